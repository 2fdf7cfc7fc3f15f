"""Every environment variable newsite reads, declared once: its type, its default and one line
saying what it does (12-factor configuration, written as a table).

The settings, gunicorn.conf.py and the scripts read the environment only through `read()`, so
nothing is configured without being declared here; the README's configuration tables are
written from these declarations (`make configuration-docs`), and tests/test_configuration.py
fails when the two differ. Importing this module starts nothing of Django's.
"""

import multiprocessing
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

PROJECT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------------------
# Types: each turns the variable's text into a value, or says clearly what is wrong
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Type:
    name: str
    # (the variable's name, its text) -> its value
    parse: Callable[[str, str], object]


def _boolean(name, value):
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def _number(convert, what):
    def parse(name, value):
        try:
            return convert(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not {what}.") from None

    return parse


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate(name, value):
    """A rate limit such as "30/m" or "10/15m": (requests allowed, in so many seconds)."""
    match = re.fullmatch(r"(\d+)/(\d*)([smhd])", value.strip())
    if match is None or match[2] == "0":
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; write COUNT/PERIOD, such as 30/m, 10/h or 5/15m."
        )
    return int(match[1]), int(match[2] or 1) * RATE_PERIODS[match[3]]


def _site_address(name, value):
    """The site's address as scheme://host[:port], checked."""
    address = urlsplit(value.strip())
    has_path = address.path not in ("", "/") or address.query
    if address.scheme not in ("http", "https") or not address.netloc or has_path:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a site address; write it as "
            "https://news.example.com (a scheme and a host, no path)."
        )
    return f"{address.scheme}://{address.netloc}"


def _items(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def _host_ports(name, value):
    return [(host, int(port)) for host, _, port in (item.rpartition(":") for item in _items(value))]


BOOLEAN = Type("boolean", _boolean)
INTEGER = Type("integer", _number(int, "a whole number"))
NUMBER = Type("number", _number(float, "a number"))
TEXT = Type("text", lambda name, value: value)
LIST = Type("list", lambda name, value: _items(value))
INTEGERS = Type("list of integers", lambda name, value: [int(item) for item in _items(value)])
HOST_PORTS = Type("list of HOST:PORT", _host_ports)
RATE = Type("rate", _rate)
SITE_ADDRESS = Type("URL", _site_address)


# ------------------------------------------------------------------------------
# The declarations
# ------------------------------------------------------------------------------
SETTINGS = "newsite/settings.py"


@dataclass(frozen=True)
class Variable:
    name: str
    type: Type
    # The value when the variable is unset or empty, as the environment would spell it; None:
    # no value (the reader decides, or refuses to start).
    default: str | None
    doc: str
    # The default when DJANGO_DEBUG is true, where it differs.
    debug_default: str | None = None
    # How the README says the default, where the value alone would not tell.
    default_in_words: str = ""
    # An empty value means "none" (turn it off) rather than the default.
    empty_is_a_value: bool = False
    # What reads it: the site's settings, or a tool around it.
    read_by: str = SETTINGS

    def default_for_readme(self):
        if self.default_in_words:
            return self.default_in_words
        default = "unset" if self.default is None else f"`{self.default}`"
        if self.default == "":
            default = "empty"
        if self.debug_default is not None:
            default += f"; `{self.debug_default}` with `DJANGO_DEBUG=true`"
        return default


CACHES_DOC = "[docs/caching.md](docs/caching.md)"
FENCE = "[the fence](docs/caching.md#replicas-the-fence-that-keeps-their-lag-out-of-the-caches)"

VARIABLES = [
    # The site: newsite/settings.py
    Variable("DATABASE_URL", TEXT, f"sqlite:///{PROJECT / 'db.sqlite3'}", "the database, e.g. `postgres://user@127.0.0.1:5432/newsite`", default_in_words="SQLite in `db.sqlite3`"),
    Variable("DATABASE_REPLICA_URL", TEXT, "", f"a streaming replica for reader pages ({FENCE}), e.g. `postgres://user@127.0.0.1:6432/newsite_replica`", default_in_words="unset: one database"),
    Variable("DATABASE_TRANSACTION_POOLING", BOOLEAN, "false", "`true` behind PgBouncer in transaction pooling mode: no server-side cursors"),
    Variable("REDIS_URL", TEXT, "", "Redis for the caches, e.g. `redis://127.0.0.1:6379/0`; with Sentinel, the service's name: `redis://newsite/0`", default_in_words="unset: local-memory cache"),
    Variable("REDIS_SENTINELS", HOST_PORTS, "", "comma-separated Sentinel addresses, e.g. `127.0.0.1:26380,127.0.0.1:26381`: Django asks them where the Redis primary is", default_in_words="unset"),
    Variable("DJANGO_DEBUG", BOOLEAN, "false", "`true` for development (`make run` sets it): the debug toolbar, the development key and site address. Off, WhiteNoise serves compressed, hashed static files (run `manage.py collectstatic`), errors get the friendly pages"),
    Variable("DJANGO_SECRET_KEY", TEXT, None, "required when `DJANGO_DEBUG=false`", debug_default="django-insecure-only-for-local-development", default_in_words="a development key, with `DJANGO_DEBUG=true` only"),
    Variable("NEWSITE_SITE_URL", SITE_ADDRESS, None, "the site's address, such as `https://news.example.com`: every absolute URL (reset links, feeds, sitemap, robots.txt) is built from it, never from the Host header; required when `DJANGO_DEBUG=false`", debug_default="http://127.0.0.1:8000", default_in_words="`http://127.0.0.1:8000`, with `DJANGO_DEBUG=true` only"),
    Variable("NEWSITE_TRUSTED_PROXIES", INTEGER, "0", "how many proxies in front of Django append the client's address to `X-Forwarded-For` (Varnish: `1`; `make stack` sets it); the rate limits and lockouts count by that address"),
    Variable("DJANGO_ALLOWED_HOSTS", LIST, "localhost,127.0.0.1", "comma-separated host names the site answers to", debug_default="localhost,127.0.0.1,[::1]"),
    Variable("DJANGO_HTTPS", BOOLEAN, "true", "HTTPS redirect, secure cookies and HSTS; set `false` only for a local production-like stack on plain http", debug_default="false"),
    Variable("DJANGO_BEHIND_TLS_PROXY", BOOLEAN, "false", "trust `X-Forwarded-Proto: https` from a TLS terminator in front"),
    Variable("DJANGO_CSRF_TRUSTED_ORIGINS", LIST, "", "comma-separated origins, e.g. `https://news.example.com`"),
    Variable("DJANGO_CONN_MAX_AGE", INTEGER, "60", "seconds a database connection is kept between requests"),
    Variable("DJANGO_EMAIL_BACKEND", TEXT, "django.core.mail.backends.console.EmailBackend", "where password-reset emails go", default_in_words="console"),
    Variable("DJANGO_DEFAULT_FROM_EMAIL", TEXT, "newsroom@localhost", "their sender"),
    Variable("DJANGO_LOG_LEVEL", TEXT, "INFO", "logs go to stderr"),
    Variable("DJANGO_DEBUG_TOOLBAR", BOOLEAN, "true", "turn the debug toolbar off in development; it is only ever shown to a request from this machine"),
    Variable("DJANGO_STATIC_ROOT", TEXT, str(PROJECT / "staticfiles"), "where `collectstatic` puts files for WhiteNoise", default_in_words="`staticfiles/`"),
    Variable("NEWSITE_CACHE", TEXT, "query,fragment,page", f"which cache layers are on: any of them, `off`, or `site` for Django's own per-site cache instead, for comparison ({CACHES_DOC})"),
    Variable("NEWSITE_SITE_CACHE_SECONDS", INTEGER, "600", "with `NEWSITE_CACHE=site`, seconds Django's per-site cache keeps a page: an edit stays invisible that long"),
    Variable("NEWSITE_EDGE_TTL", INTEGER, "600", "seconds the edge may keep a shared page (`s-maxage`); tags make it fresh sooner"),
    Variable("NEWSITE_PAGE_TTL", INTEGER, "600", "seconds the page cache keeps a page, the same safety net"),
    Variable("NEWSITE_GENERATION_TTL", INTEGER, "86400", "seconds a tag's generation counter lives in the cache: longer than anything built from it; an expired counter comes back higher, so this bounds memory, never freshness"),
    Variable("VARNISH_NODES", LIST, "", "comma-separated Varnish addresses to ban invalidated tags on, e.g. `http://10.0.0.5:6081`"),
    Variable("NEWSITE_EDGE_PURGE_SECRET", TEXT, "", "the secret every ban carries (`X-Purge-Secret`); `deploy/varnish/render.py` writes the same value into each node's top file. `make stack` generates one; never commit it", default_in_words="empty; required with `VARNISH_NODES`"),
    Variable("NEWSITE_EDGE_PURGE_TIMEOUT", NUMBER, "0.5", "seconds a ban may take before it is retried in the background"),
    Variable("NEWSITE_EDGE_PURGE_ATTEMPTS", INTEGER, "4", "attempts per ban and node when it cannot be owed in Redis (Redis down, or the queue off); every failure is logged"),
    Variable("NEWSITE_EDGE_REBAN_AFTER", NUMBER, "5", "seconds after which each ban is sent again, for a page that left Django just before the edit and reached the edge just after the ban; `0` turns it off"),
    Variable("NEWSITE_EDGE_BAN_QUEUE", BOOLEAN, "true", "with Redis as the cache, the second ban and any ban that failed are owed in Redis streams and delivered by a thread in every gunicorn worker, even if the process that committed the edit dies ([docs/caching.md](docs/caching.md#bans-that-outlive-the-process-that-owes-them)); `false`, or without Redis, they wait in a thread of the committing process"),
    Variable("NEWSITE_EDGE_BAN_RETRY_INTERVAL", NUMBER, "1", "seconds between a deliverer's rounds: how soon a node that takes bans again gets those it missed; an owed ban a deliverer went quiet on is taken over after five intervals"),
    Variable("NEWSITE_FASTLY_SERVICE_ID", TEXT, "", "a Fastly service in front, purged by surrogate key after every edit, after the Varnish nodes ([docs/caching.md](docs/caching.md#a-cdn-in-front-purging-by-tag-beyond-varnish))", default_in_words="empty: no CDN"),
    Variable("NEWSITE_FASTLY_API_TOKEN", TEXT, "", "the API token, sent as `Fastly-Key`: scope `purge_select` for tags, and `purge_all` for the bans of everything after a bulk load. Never commit it", default_in_words="empty; required with `NEWSITE_FASTLY_SERVICE_ID`"),
    Variable("NEWSITE_FASTLY_SOFT_PURGE", BOOLEAN, "false", "`true`: mark purged pages stale (`Fastly-Soft-Purge: 1`) instead of removing them"),
    Variable("NEWSITE_FASTLY_API_URL", TEXT, "https://api.fastly.com", "where Fastly's API is; the tests point it at a local stand-in"),
    Variable("NEWSITE_CACHE_RETRY_AFTER", NUMBER, "5", "seconds the site serves without a cache that failed before trying it again"),
    Variable("NEWSITE_SESSION_CACHE_TTL", INTEGER, "300", "seconds a session is kept in the cache before it is read from the database again: the longest a cached copy can outlive its database row"),
    Variable("NEWSITE_COMMENT_RATE_LIMIT", INTEGER, "5", "comments one reader may post in ten minutes, counted in the database"),
    Variable("NEWSITE_RATE_LIMIT_SEARCH", RATE, "30/m", "searches one client address may make (`COUNT/PERIOD`, period `s`, `m`, `h`, `d`, such as `10/15m`); pages a cache answers do not count; over it, a 429 page with `Retry-After`"),
    Variable("NEWSITE_RATE_LIMIT_READ_BEACON", RATE, "60/m", "reads one client address may count"),
    Variable("NEWSITE_RATE_LIMIT_SIGN_UP", RATE, "10/h", "accounts one client address may create"),
    Variable("NEWSITE_RATE_LIMIT_PASSWORD_RESET", RATE, "10/h", "password resets one client address may ask for"),
    Variable("NEWSITE_RATE_LIMIT_PASSWORD_RESET_EMAIL", RATE, "3/h", "reset e-mails one address may receive, whoever asks"),
    Variable("NEWSITE_LOGIN_FAILURE_LIMIT", INTEGER, "10", "wrong passwords after which an account, or an address, is locked out (django-axes, in the database; the admin's sign-in too)"),
    Variable("NEWSITE_LOGIN_COOL_OFF_MINUTES", INTEGER, "15", "how long a lockout lasts after the last wrong password; a password reset ends it for the account"),
    Variable("NEWSITE_SERVER_TIMING", TEXT, "total", "what `Server-Timing` tells clients: `detail` (every component, query and cache counts, each cache layer's hits), `total`, or `off`; `make stack` and the benchmarks use `detail`", debug_default="detail"),
    Variable("NEWSITE_EDITOR_PASSWORD", TEXT, None, "the staff account's password for `manage.py seed` (`make stack` passes the one it keeps); unset, the seed generates one and prints it", read_by="demo/credentials.py"),
    # The tools around the site
    Variable("GUNICORN_BIND", TEXT, "127.0.0.1:8000", "where gunicorn listens", read_by="deploy/gunicorn.conf.py"),
    Variable("GUNICORN_WORKERS", INTEGER, str(multiprocessing.cpu_count() * 2 + 1), "gunicorn's worker processes", default_in_words="2 × CPUs + 1", read_by="deploy/gunicorn.conf.py"),
    Variable("GUNICORN_THREADS", INTEGER, "4", "threads per worker", read_by="deploy/gunicorn.conf.py"),
    Variable("GUNICORN_ACCESS_LOG", TEXT, "-", "where the access log goes (`-`: stderr); empty turns it off", empty_is_a_value=True, read_by="deploy/gunicorn.conf.py"),
    Variable("GUNICORN_LOG_LEVEL", TEXT, "info", "gunicorn's own log level", read_by="deploy/gunicorn.conf.py"),
    Variable("GUNICORN_METRICS_BIND", TEXT, "127.0.0.1:9808", "where the master serves the workers' Prometheus metrics ([docs/monitoring.md](docs/monitoring.md)); empty turns it off", empty_is_a_value=True, read_by="deploy/gunicorn.conf.py, make stack"),
    Variable("STACK_EDGE_PORT", INTEGER, "8080", "Varnish's port", read_by="make stack"),
    Variable("STACK_APP_PORT", INTEGER, "8000", "gunicorn's port", read_by="make stack"),
    Variable("STACK_ARTICLES", INTEGER, "2000", "articles the seed writes into an empty database", read_by="make stack"),
    Variable("STACK_PROMETHEUS_PORT", INTEGER, "9190", "Prometheus' port (not 9090, where Debian's prometheus package runs one of its own)", read_by="make stack"),
    Variable("NEWSITE_MONITORING", BOOLEAN, "true", "Prometheus and an exporter per engine beside the site; `false` (or `off`) starts none of them", read_by="make stack, make cluster"),
    Variable("CLUSTER_PORT_OFFSET", INTEGER, "0", "moves every port of the cluster by this much, if the usual ones are taken", read_by="make cluster"),
    Variable("CLUSTER_ARTICLES", INTEGER, "2000", "articles the seed writes into an empty database", read_by="make cluster"),
    Variable("BENCH_ARTICLES", INTEGER, "100000", "articles in the benchmark's database", read_by="make bench"),
    Variable("BENCH_RUNS", INTEGER, "3", "runs of each measurement", read_by="make bench, make bench-scale"),
    Variable("BENCH_SECONDS", INTEGER, "5", "seconds each run lasts", read_by="make bench"),
    Variable("BENCH_SCALE_SECONDS", INTEGER, "3", "seconds each run lasts", read_by="make bench-scale"),
    Variable("BENCH_READER_SESSIONS", INTEGER, "10000", "sessions signed in after the measurements, each viewing both pages: how much memory Varnish's storage of readers' fragments then holds", read_by="make bench"),
    Variable("BENCH_SCENARIOS", LIST, "", "comma-separated scenarios to measure, such as `varnish,warm`", default_in_words="every scenario", read_by="make bench"),
    Variable("BENCH_CONNECTIONS", INTEGER, "8", "wrk's connections in the concurrent measurements (the sequential ones use one)", read_by="make bench"),
    Variable("BENCH_SIZES", INTEGERS, "10000,100000,1000000", "the numbers of articles the pages are timed at", read_by="make bench-scale"),
    Variable("BENCH_REDIS_URL", TEXT, "redis://127.0.0.1:6379/3", "the Redis database the benchmarks use (and flush)", read_by="make bench, make bench-scale"),
]  # fmt: skip

DECLARED = {variable.name: variable for variable in VARIABLES}


def read(name):
    """The value of environment variable `name`, parsed as declared; its default when it is
    unset or empty (the debug default under DJANGO_DEBUG=true)."""
    variable = DECLARED[name]
    value = os.environ.get(name, "")
    if value == "" and not (variable.empty_is_a_value and name in os.environ):
        value = variable.default
        if variable.debug_default is not None and read("DJANGO_DEBUG"):
            value = variable.debug_default
    return None if value is None else variable.type.parse(name, value)


# ------------------------------------------------------------------------------
# The README's tables, written from the declarations
# ------------------------------------------------------------------------------
README = PROJECT / "README.md"
TABLES = {
    "settings": lambda variable: variable.read_by in (SETTINGS, "demo/credentials.py"),
    "tools": lambda variable: variable.read_by not in (SETTINGS, "demo/credentials.py"),
}


def table(which):
    """The Markdown table of one group of variables: the site's settings, or the tools'."""
    with_reader = which == "tools"
    header = ["variable", *(["read by"] if with_reader else []), "type", "default", "what it does"]
    rows = [header, ["---"] * len(header)]
    for variable in filter(TABLES[which], VARIABLES):
        reader = [variable.read_by] if with_reader else []
        rows.append(
            [
                f"`{variable.name}`",
                *reader,
                variable.type.name,
                variable.default_for_readme(),
                variable.doc,
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def markers(which):
    return (
        f"<!-- {which} table: written by `make configuration-docs` from newsite/configuration.py -->",
        f"<!-- end of {which} table -->",
    )


def readme_with_tables(text):
    """The README's text with every generated table written afresh between its markers."""
    for which in TABLES:
        start, end = markers(which)
        pattern = re.compile(re.escape(start) + r"\n.*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"README.md has no {start} … {end} markers")
        replacement = f"{start}\n{table(which)}\n{end}"
        text = pattern.sub(lambda _, replacement=replacement: replacement, text)
    return text


if __name__ == "__main__":
    README.write_text(readme_with_tables(README.read_text()))
    sys.stdout.write(f"Wrote the configuration tables of {README.relative_to(PROJECT)}\n")
