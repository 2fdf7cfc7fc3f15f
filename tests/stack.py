"""Throwaway Varnish and gunicorn processes for the tests that go through the edge.

Both listen on ports the kernel picks (port 0), so nothing races for a port. Varnish starts
first, on a placeholder backend; gunicorn starts knowing where Varnish is (to send it bans);
then Varnish loads the real top VCL, pointing at gunicorn.
"""

import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from deploy.varnish.render import render
from tests.services import varnish_binaries

PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30


def wait_until(condition, what, seconds=STARTUP_SECONDS, process=None, log=None):
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"{what}: the process exited ({process.returncode}).\n{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {seconds} s.")
        time.sleep(0.05)


@dataclass
class Varnish:
    directory: Path
    process: subprocess.Popen = None
    url: str = ""
    binaries: tuple = field(default_factory=varnish_binaries)
    loaded: int = 0
    # What BAN and PURGE must carry (X-Purge-Secret); Django's settings need the same one.
    purge_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def start(self):
        varnishd, _, _ = self.binaries
        top = self.directory / "placeholder.vcl"
        top.write_text(render(("127.0.0.1", "9"), ["127.0.0.1"], purge_secret=self.purge_secret))
        log = self.directory / "varnishd.log"
        with log.open("wb") as output:
            # -j none: no privilege-separation jail (it would need the varnish users).
            command = [varnishd, "-F", "-j", "none", "-n", str(self.directory)]
            command += ["-a", "127.0.0.1:0", "-f", str(top), "-s", "malloc,64m"]
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        address = wait_until(self._listen_address, "Varnish", process=self.process, log=log)
        self.url = f"http://{address}"
        return self

    def _listen_address(self):
        reply = self.admin("debug.listen_address", check=False)
        match = re.search(r"(127\.0\.0\.1) (\d+)", reply)
        return match and f"{match[1]}:{match[2]}"

    def admin(self, *arguments, check=True):
        _, varnishadm, _ = self.binaries
        result = subprocess.run(
            [varnishadm, "-n", str(self.directory), *arguments],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"varnishadm {' '.join(arguments)}: {result.stdout}{result.stderr}")
        return result.stdout

    def use_backend(self, port, probe_interval="0.2s", probe_host=None, wait=True):
        """Point the edge at the application on 127.0.0.1:port (a new VCL, loaded live), and
        wait until its probe finds the application healthy."""
        self.loaded += 1
        top = self.directory / f"top{self.loaded}.vcl"
        top.write_text(
            render(
                ("127.0.0.1", str(port)),
                ["127.0.0.1"],
                probe_interval,
                purge_secret=self.purge_secret,
                probe_host=probe_host,
            )
        )
        self.admin("vcl.load", f"newsite{self.loaded}", str(top))
        self.admin("vcl.use", f"newsite{self.loaded}")
        if wait:
            wait_until(self.backend_is_healthy, "Varnish's probe of the backend")

    def backend_health(self):
        """The probe's verdict on the backend of the VCL in use: healthy or sick."""
        pattern = rf"^newsite{self.loaded}\.default\s.*\b(healthy|sick)\b"
        match = re.search(pattern, self.admin("backend.list"), re.MULTILINE)
        return match and match[1]

    def force_backend_health(self, state):
        """Overrule the probe ("healthy", "sick"), or hand the verdict back to it ("auto")."""
        self.admin("backend.set_health", f"newsite{self.loaded}.default", state)

    def backend_is_healthy(self):
        return self.backend_health() == "healthy"

    def backend_is_sick(self):
        return self.backend_health() == "sick"

    def ban_everything(self):
        self.admin("ban", "obj.status", "!=", "0")

    def counter(self, name):
        _, _, varnishstat = self.binaries
        output = subprocess.run(
            [varnishstat, "-n", str(self.directory), "-1", "-f", name],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(output.split()[1])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@dataclass
class Gunicorn:
    """newsite under gunicorn (deploy/gunicorn.conf.py), with production settings."""

    directory: Path
    environment: dict
    process: subprocess.Popen = None
    port: int = 0

    def start(self):
        log = self.directory / "gunicorn.log"
        env = {**os.environ, **self.environment, "GUNICORN_BIND": "127.0.0.1:0"}
        command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [*command, "--workers", "2", "--access-logfile", "-", "newsite.wsgi"],
                cwd=PROJECT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

        def listening_port():
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
            return match and int(match[1])

        try:
            self.port = wait_until(listening_port, "gunicorn", process=self.process, log=log)
            wait_until(self.answers, "gunicorn's /-/alive/", process=self.process, log=log)
        except BaseException:
            self.stop()  # nobody else holds it yet
            raise
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def answers(self):
        # gunicorn listens before its workers have booted: a connection it accepted but did not
        # answer yet (a read timeout) is "not yet", like a refused one.
        # Asked under a host name Django answers to, as the edge's probe is.
        allowed_host = self.environment.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",")[0]
        try:
            return requests.get(
                f"{self.url}/-/alive/", headers={"Host": allowed_host}, timeout=1
            ).ok
        except (requests.ConnectionError, requests.Timeout):
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def collect_static(static_root, environment):
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT,
        env={**os.environ, **environment, "DJANGO_STATIC_ROOT": str(static_root)},
        check=True,
    )
