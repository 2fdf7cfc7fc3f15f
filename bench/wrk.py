"""Running wrk, the load generator, and reading what it prints."""

import re
import subprocess

from bench.stack import LOAD_CPUS, pinned

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def milliseconds(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS[match[2]]


def wrk(url, connections, seconds, headers=()):
    """Requests per second, p50 and p99 latency (ms) and errors for one closed-loop run.

    wrk keeps `connections` requests in flight: latencies are those of a saturated server,
    not of a fixed arrival rate (wrk's --latency output is only a rough correction for that).
    """
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run(
        pinned([*command, url], LOAD_CPUS), capture_output=True, text=True, check=True
    ).stdout
    if "Requests/sec" not in output:
        raise RuntimeError(f"wrk printed no results for {url}:\n{output}")
    errors = 0
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(non_2xx[1])
    if socket := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(count) for count in socket.groups())
    return {
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "p50_ms": milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)[1]),
        "p99_ms": milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)[1]),
        "errors": errors,
    }
