"""make bench-scale: does a page cost the same with 10,000 articles and with a million?

For each size, a PostgreSQL database seeded once (and reused) is served by gunicorn twice:
cold (NEWSITE_CACHE=off, every query runs) and warm (query and fragment caches). The home page,
a section front, an article and a search are timed with wrk at concurrency 1 (p50 of each
run, median of the runs). The last column divides the cold time at the largest size by the one
at the smallest: near 1, a page costs the same whatever the size of the archive.
"""

import json
import statistics
import time

import requests

from bench import report
from bench.stack import PROJECT, Servers, base_environment, empty_cache, prepare_database
from bench.wrk import wrk
from newsite.configuration import read as env

SIZES = env("BENCH_SIZES")
RUNS = env("BENCH_RUNS")
SECONDS = env("BENCH_SCALE_SECONDS")
REDIS_URL = env("BENCH_REDIS_URL")
RESULTS = report.SCALE
PAGES = ("home", "section", "article", "search")


def say(message):
    print(f"[bench-scale] {message}", flush=True)


def paths_of(base_url):
    """A URL of each kind, found on the site itself: the first section, the newest article."""
    feed = requests.get(f"{base_url}/feeds/latest/").text
    article = "/" + feed.split("<link>")[2].split("</link>")[0].split("/", 3)[3]
    section = "/" + article.strip("/").split("/")[0] + "/"
    return {"home": "/", "section": section, "article": article, "search": "/search/?q=council"}


def measure_size(articles, earlier_seed_seconds):
    database = f"newsite_bench_{articles}"
    environment = base_environment(database, REDIS_URL)
    figures = {"articles": articles}
    seeded_in = prepare_database(database, articles, environment, say)
    if seeded_in is not None:
        figures["seed_seconds"] = round(seeded_in, 1)
    elif articles in earlier_seed_seconds:  # reused: keep the time of the run that seeded it
        figures["seed_seconds"] = earlier_seed_seconds[articles]
    empty_cache(REDIS_URL)
    with Servers() as servers:
        urls = {
            "cold": servers.gunicorn(
                f"scale-cold-{articles}", 8111, environment, NEWSITE_CACHE="off"
            ),
            "warm": servers.gunicorn(
                f"scale-warm-{articles}", 8112, environment, NEWSITE_CACHE="query,fragment"
            ),
        }
        paths = paths_of(urls["warm"])
        samples = {}
        for run in range(1, RUNS + 1):
            for page, path in paths.items():
                for state, url in urls.items():
                    say(f"{articles:,} articles, run {run}/{RUNS}: {state} {page}")
                    for _ in range(5):
                        requests.get(f"{url}{path}")
                    result = wrk(f"{url}{path}", 1, SECONDS)
                    if result["errors"]:
                        raise RuntimeError(f"{url}{path} answered with an error: not a timing")
                    samples.setdefault(f"{state}/{page}", []).append(result["p50_ms"])
    figures["p50_ms"] = {key: statistics.median(values) for key, values in samples.items()}
    figures["samples_ms"] = samples
    return figures


def markdown(results):
    sizes = results["sizes"]
    counts = ", ".join(f"{size['articles']:,}" for size in sizes)
    lines = [
        "## Scale: `make bench-scale`",
        "",
        f"Measured {results['started']}: the same pages at {counts} "
        f"articles, p50 at concurrency 1 with wrk, median of {results['runs']} runs of "
        f"{results['seconds']} s. Cold: NEWSITE_CACHE=off; warm: query and fragment caches.",
        "",
        "| page | " + " | ".join(f"cold, {s['articles']:,}" for s in sizes) + " | "
        + " | ".join(f"warm, {s['articles']:,}" for s in sizes) + " | cold, largest ÷ smallest |",
        "|---|" + "---|" * (2 * len(sizes) + 1),
    ]  # fmt: skip
    for page in PAGES:
        cold = [s["p50_ms"][f"cold/{page}"] for s in sizes]
        warm = [s["p50_ms"][f"warm/{page}"] for s in sizes]
        lines.append(
            f"| {page} | " + " | ".join(f"{value:.2f} ms" for value in cold + warm)
            + f" | {cold[-1] / cold[0]:.2f} × |"
        )  # fmt: skip
    seeded = [f"{s['articles']:,} in {s['seed_seconds']:g} s" for s in sizes if "seed_seconds" in s]
    if seeded:
        lines += ["", "Seeding (`manage.py seed`, with a progress bar): " + ", ".join(seeded) + "."]
    lines += [
        "",
        "Reproduce: `make bench-scale` (it seeds what is missing; a million takes minutes).",
    ]
    return "\n".join(lines)


def main():
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"sizes": []}
    seed_seconds = {
        s["articles"]: s["seed_seconds"] for s in previous["sizes"] if "seed_seconds" in s
    }
    results = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "runs": RUNS,
        "seconds": SECONDS,
        "sizes": [measure_size(articles, seed_seconds) for articles in SIZES],
    }
    results["markdown"] = markdown(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {RESULTS.relative_to(PROJECT)}")
    report.write()


if __name__ == "__main__":
    main()
