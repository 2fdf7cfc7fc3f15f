"""make bench: the book's response-time table, layer by layer, measured on this machine.

Brings up the stack on a fixed PostgreSQL dataset (100,000 articles, seeded once and reused),
then measures the home page and an article page with wrk, in several interleaved runs:

  nginx    the same bytes as a static file: the practical limit of this machine
  varnish  a Varnish hit
  page     Django's page cache (edge bypassed)
  warm     Django rendering, with warm query and fragment caches (NEWSITE_CACHE=query,fragment)
  cold     Django rendering from PostgreSQL (NEWSITE_CACHE=off)
  site     Django's own per-site cache middleware (NEWSITE_CACHE=site), the usual peer
  signed-in  a signed-in reader through Varnish in the steady state: the cached shell, and
           their own fragments kept at the edge for their session (ESI), counting the
           requests that reach Django meanwhile (varnishstat's MAIN.backend_req)
  pass     the same reader passed to Django, as the built-in VCL passes anyone with a cookie

Then it signs in BENCH_READER_SESSIONS sessions (10,000), views both pages with each, and reads
how much memory Varnish's storage for readers' fragments holds. BENCH_SCENARIOS=varnish,signed-in
measures only the scenarios named. Writes docs/performance.json (raw figures) and, through
bench/report.py, docs/performance.md and docs/performance.png.
"""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import requests

from bench import report
from bench.stack import (
    CPUS,
    LOAD_CPUS,
    PROJECT,
    SERVER_CPUS,
    STATE,
    Servers,
    base_environment,
    empty_cache,
    manage,
    prepare_database,
)
from bench.wrk import wrk
from demo.credentials import DEMO_READERS
from newsite.cache.edge import READER_EDGE_TTL
from newsite.configuration import read as env

ARTICLES = env("BENCH_ARTICLES")
RUNS = env("BENCH_RUNS")
SECONDS = env("BENCH_SECONDS")
CONNECTIONS = env("BENCH_CONNECTIONS")
READER_SESSIONS = env("BENCH_READER_SESSIONS")
TIMING_SAMPLES = 30
DATABASE = f"newsite_bench_{ARTICLES}"
REDIS_URL = env("BENCH_REDIS_URL")
RESULTS = PROJECT / "docs" / "performance.json"
# Django's per-site cache keeps pages this long: the longest an edit can stay invisible there.
SITE_CACHE_SECONDS = 60

SCENARIOS = {
    "nginx": "nginx, the same bytes as a static file",
    "varnish": "Varnish hit",
    "page": "Django page-cache hit (edge bypassed)",
    "warm": "Django render, warm query and fragment caches",
    "cold": "Django render, cold (NEWSITE_CACHE=off)",
    "site": "Django per-site cache middleware (peer baseline)",
    "signed-in": "Signed-in reader, steady state: shell and own fragments from the edge",
    "pass": "Signed-in reader passed to Django",
}
CHOSEN = env("BENCH_SCENARIOS") or list(SCENARIOS)
# The book's figure for a layer, in milliseconds (the fast end of its range).
BOOK_MILLISECONDS = {"varnish": 10, "page": 35, "warm": 100, "cold": 500}
GZIP = "Accept-Encoding: gzip"
# As the built-in VCL does for any request with a cookie: no cache for signed-in readers.
PASS_SIGNED_IN_READERS = """\
sub vcl_recv {
    if (req.http.Cookie ~ "sessionid=") {
        set req.http.Surrogate-Capability = "varnish=ESI/1.0";
        return (pass);
    }
}
"""


def say(message):
    print(f"[bench] {message}", flush=True)


def command_output(*command):
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except FileNotFoundError:
        return "not installed"
    return (result.stdout + result.stderr).strip().splitlines()[0]


def machine():
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": CPUS,
        "memory_gib": round(memory_kb / 1024 / 1024),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": manage(os.environ | {"DJANGO_DEBUG": "true"}, "--version", capture=True).strip(),
        "gunicorn": command_output(sys.executable, "-m", "gunicorn", "--version"),
        "varnish": command_output("varnishd", "-V"),
        "nginx": command_output("nginx", "-v"),
        "postgresql": command_output(
            "psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"
        ),
        "redis": command_output("redis-server", "--version"),
        "wrk": command_output("wrk", "--version"),
        "load_cpus": LOAD_CPUS,
        "server_cpus": SERVER_CPUS,
    }


def sign_in(edge_url, username="alice"):
    """A demo reader's session cookie, signed in through the edge like a browser."""
    session = requests.Session()
    login = session.get(f"{edge_url}/accounts/login/")
    session.post(
        login.url,
        data={
            "username": username,
            "password": DEMO_READERS[username],
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": login.url},
    ).raise_for_status()
    cookies = session.cookies
    return f"Cookie: sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"


METRIC = re.compile(r'([\w-]+)(?:;dur=([\d.]+))?(?:;desc="([^"]*)")?')
COMPONENTS = ("sql", "cache", "template", "app")


def server_timing(url, headers=()):
    """Median SQL queries, total time and share of each component, from Server-Timing."""
    samples = []
    for _ in range(TIMING_SAMPLES):
        response = requests.get(url, headers=dict(header.split(": ", 1) for header in headers))
        metrics = {
            name: (float(duration or 0), description)
            for name, duration, description in METRIC.findall(response.headers["Server-Timing"])
        }
        samples.append(metrics)
    return {
        "sql_queries": statistics.median(int(s["sql"][1].split()[0]) for s in samples),
        "total_ms": statistics.median(s["total"][0] for s in samples),
        "shares": {
            component: statistics.median(s[component][0] / s["total"][0] for s in samples)
            for component in COMPONENTS
        },
    }


def measure(url, headers=(), backend_requests=None):
    """wrk's figures, after warming; with `backend_requests` (a counter), how many requests
    reached the backend during the runs."""
    for _ in range(20):  # warm whatever this scenario keeps warm
        requests.get(url, headers=dict(header.split(": ", 1) for header in headers))
    before = backend_requests() if backend_requests else None
    results = {
        "concurrent": wrk(url, CONNECTIONS, SECONDS, headers),
        "sequential": wrk(url, 1, SECONDS, headers),
    }
    if backend_requests:
        results["backend_requests"] = backend_requests() - before
    return results


SIGN_IN_SESSIONS = """
import os
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
user = get_user_model().objects.get(username="alice")
store = import_module(settings.SESSION_ENGINE).SessionStore
for _ in range(int(os.environ["BENCH_READER_SESSIONS"])):
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(session.session_key)
"""


def reader_memory(servers, edge, paths, environment):
    """Varnish's memory for the fragments of READER_SESSIONS signed-in sessions (as if signed
    in through the login form, all as one demo reader), each having viewed every page.

    In batches, and no longer than the first session's fragments are kept (READER_EDGE_TTL):
    on a loaded machine, fewer sessions, none of whose fragments has expired yet."""
    printed = manage(
        {**environment, "BENCH_READER_SESSIONS": str(READER_SESSIONS)},
        "shell", "-c", SIGN_IN_SESSIONS, capture=True,
    )  # fmt: skip
    sessions = re.findall(r"^[a-z0-9]{32}$", printed, re.MULTILINE)

    def view_pages(session_key):
        for path in paths.values():
            headers = {"Cookie": f"sessionid={session_key}", "Accept-Encoding": "gzip"}
            requests.get(f"{edge}{path}", headers=headers).raise_for_status()

    before = {
        counter: servers.varnish_counter("varnish", counter)
        for counter in ("SMA.reader.g_bytes", "MAIN.n_object", "MAIN.n_lru_nuked")
    }
    deadline = time.monotonic() + READER_EDGE_TTL * 0.8
    warmed = 0
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        while warmed < len(sessions) and time.monotonic() < deadline:
            list(pool.map(view_pages, sessions[warmed : warmed + 500]))
            warmed = min(warmed + 500, len(sessions))
    grown = {
        counter: servers.varnish_counter("varnish", counter) - value
        for counter, value in before.items()
    }
    return {
        "sessions": warmed,
        "objects": grown["MAIN.n_object"],
        "bytes": grown["SMA.reader.g_bytes"],
        "evicted": grown["MAIN.n_lru_nuked"],
    }


def staleness(article_url_site, article_url_edge, environment):
    """Seconds each stack serves a headline after the edit that changed it was committed."""
    edit = (
        "import os; from articles.models import Article; "
        "article = Article.objects.get(slug=os.environ['BENCH_SLUG']); "
        "article.headline = os.environ['BENCH_HEADLINE']; article.save()"
    )
    slug = article_url_edge.rstrip("/").rsplit("/", 1)[1]
    results = {}
    marker = f"Edited at {time.time():.0f}"
    # Both stacks cache the page afresh, just before the edit: the worst case for Django's
    # per-site cache, which keeps it for its whole timeout.
    empty_cache(REDIS_URL)
    for url in (article_url_site, article_url_edge):
        requests.get(url)
    edge_nodes = "http://127.0.0.1:8180"
    edit_environment = {"BENCH_HEADLINE": marker, "BENCH_SLUG": slug, "VARNISH_NODES": edge_nodes}
    manage({**environment, **edit_environment}, "shell", "-c", edit)
    committed = time.monotonic()
    for name, url in (("edge", article_url_edge), ("site", article_url_site)):
        while marker not in requests.get(url).text:
            if time.monotonic() - committed > SITE_CACHE_SECONDS + 15:
                break
            time.sleep(0.25)
        results[name] = round(time.monotonic() - committed, 2)
    return results


def main():
    started = datetime.now(UTC)
    environment = base_environment(DATABASE, REDIS_URL)
    prepare_database(DATABASE, ARTICLES, environment, say)
    manage(environment, "collectstatic", "--noinput", "--verbosity", "0")
    empty_cache(REDIS_URL)

    with Servers() as servers:
        say("starting gunicorn (four cache configurations), Varnish and nginx")
        full = servers.gunicorn(
            "gunicorn-full", 8101, environment, VARNISH_NODES="http://127.0.0.1:8180"
        )
        warm = servers.gunicorn("gunicorn-warm", 8102, environment, NEWSITE_CACHE="query,fragment")
        cold = servers.gunicorn("gunicorn-cold", 8103, environment, NEWSITE_CACHE="off")
        site = servers.gunicorn(
            "gunicorn-site",
            8104,
            environment,
            NEWSITE_CACHE="site",
            NEWSITE_SITE_CACHE_SECONDS=str(SITE_CACHE_SECONDS),
        )
        edge = servers.varnish("varnish", 8180, 8101)
        passing_edge = servers.varnish("varnish-pass", 8181, 8102, PASS_SIGNED_IN_READERS)

        article_path = requests.get(f"{full}/feeds/latest/").text.split("<link>")[2]
        article_path = "/" + article_path.split("</link>")[0].split("/", 3)[3]
        paths = {"home": "/", "article": article_path}
        static_root = STATE / "nginx-root"
        static_root.mkdir(exist_ok=True)
        for page, path in paths.items():
            body = requests.get(f"{edge}{path}", headers={"Accept-Encoding": "gzip"}, stream=True)
            (static_root / f"{page}.html.gz").write_bytes(body.raw.read())
        nginx = servers.nginx("nginx", 8190, static_root)
        cookie = sign_in(edge)

        targets = {
            "nginx": lambda page: (f"{nginx}/{page}.html.gz", [GZIP]),
            "varnish": lambda page: (f"{edge}{paths[page]}", [GZIP]),
            "page": lambda page: (f"{full}{paths[page]}", []),
            "warm": lambda page: (f"{warm}{paths[page]}", []),
            "cold": lambda page: (f"{cold}{paths[page]}", []),
            "site": lambda page: (f"{site}{paths[page]}", []),
            "signed-in": lambda page: (f"{edge}{paths[page]}", [GZIP, cookie]),
            "pass": lambda page: (f"{passing_edge}{paths[page]}", [GZIP, cookie]),
        }
        edge_backend_requests = partial(servers.varnish_counter, "varnish", "MAIN.backend_req")
        runs = []
        for run in range(1, RUNS + 1):
            for scenario in CHOSEN:
                for page in paths:
                    say(f"run {run}/{RUNS}: {scenario}, {page}")
                    url, headers = targets[scenario](page)
                    counter = edge_backend_requests if scenario == "signed-in" else None
                    runs.append({"run": run, "scenario": scenario, "page": page,
                                 **measure(url, headers, counter)})  # fmt: skip

        say(f"signing in {READER_SESSIONS:,} sessions: Varnish's memory for their fragments")
        readers = reader_memory(servers, edge, paths, environment)

        say("reading Server-Timing for SQL and time per component")
        timings = {}
        for scenario in ("page", "warm", "cold", "site"):
            for page in paths:
                url, headers = targets[scenario](page)
                timings[f"{scenario}/{page}"] = server_timing(url, headers)

        say(
            f"editing a headline: how long each stack serves the old one (≤ {SITE_CACHE_SECONDS} s)"
        )
        stale = staleness(f"{site}{paths['article']}", f"{edge}{paths['article']}", environment)

    results = {
        "started": started.isoformat(timespec="seconds"),
        "command": "make bench",
        "settings": {"articles": ARTICLES, "runs": RUNS, "seconds": SECONDS,
                     "connections": CONNECTIONS, "site_cache_seconds": SITE_CACHE_SECONDS},
        "machine": machine(),
        "scenarios": {scenario: SCENARIOS[scenario] for scenario in CHOSEN},
        "book_ms": BOOK_MILLISECONDS,
        "paths": paths,
        "runs": runs,
        "server_timing": timings,
        "staleness_seconds": stale,
        "reader_memory": readers,
    }  # fmt: skip
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {RESULTS.relative_to(PROJECT)}")
    report.write()


if __name__ == "__main__":
    main()
