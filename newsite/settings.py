"""Settings for newsite, configured by the environment (12-factor).

With DJANGO_DEBUG=true and nothing else (what `make run` sets), the site runs on embedded
defaults: SQLite, a local-memory cache, the debug toolbar. DATABASE_URL, REDIS_URL and friends
switch on the real stack; every variable is declared, with its type and default, in
newsite/configuration.py, which the README's table is written from. With DEBUG off, the default,
the site refuses to start without the settings production needs (a secret key, its address).
"""

import re
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from newsite.cache import layers as cache_layers
from newsite.configuration import read as env

BASE_DIR = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
# Off unless asked for, so that production never depends on remembering a variable: `make run`
# asks for itself, and so does the test session (tests/services.py).
DEBUG = env("DJANGO_DEBUG")

# The development key is public, so it is only ever the default with DEBUG on.
SECRET_KEY = env("DJANGO_SECRET_KEY")
if SECRET_KEY is None:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is false. "
        "(For development, set DJANGO_DEBUG=true, as `make run` does.)"
    )

ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")

ROOT_URLCONF = "newsite.urls"
WSGI_APPLICATION = "newsite.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The site's name and address, used in feeds, the sitemap, robots.txt and emails. Every absolute
# URL is built from SITE_URL, never from the request's Host header, which the client writes
# (and a cache would then keep for everyone). Production must say where the site lives.
SITE_NAME = "The Daily Cache"
SITE_URL = env("NEWSITE_SITE_URL")
if SITE_URL is None:
    raise ImproperlyConfigured(
        "Set NEWSITE_SITE_URL (such as https://news.example.com) when DJANGO_DEBUG is false: "
        "password-reset links, feeds and the sitemap are built from it."
    )

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "axes",
    "csp",
    "newsite.cache",
    "articles",
    "accounts",
    "demo",
]

# ------------------------------------------------------------------------------
# Middleware
# ------------------------------------------------------------------------------
# Order matters, outermost first:
# - Metrics come first, so that their duration covers every other middleware; they read what
#   Server-Timing measured (request.timings) once it has finished.
# - Server-Timing wraps everything else, so its total is the whole request.
# - The security headers (CSP, Permissions-Policy) go on every response, page-cache hits and
#   429s included, so they sit outside everything that may answer early.
# - WhiteNoise answers static files before anything else runs.
# - Tags are collected for the whole response; the edge headers are decided from them and
#   from what the inner middleware did (a session read, a cookie set).
# - A shared page's non-canonical URL (?x=1, ?page=02) is redirected before any cache sees it.
# - The page cache answers before sessions, CSRF and authentication: a hit skips them all.
# - Sessions come before authentication (which reads them) and messages (stored in them).
# - A sign-in or sign-out the cache could not record becomes a 503 page near the view, where
#   the exception is raised (accounts/sessions.py).
# - Axes last, as its documentation asks: it turns a sign-in refused by a lockout into the 429.
MIDDLEWARE = [
    "newsite.cache.metrics.MetricsMiddleware",
    "newsite.cache.timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsite.cache.tags.CollectTagsMiddleware",
    "newsite.cache.edge.EdgeHeadersMiddleware",
    "newsite.cache.canonical.CanonicalQueryMiddleware",
    "newsite.cache.pages.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.sessions.SessionNotEndedMiddleware",
    "axes.middleware.AxesMiddleware",
]

# The toolbar only in development, and only where it is installed (requirements-dev.txt).
DEBUG_TOOLBAR = DEBUG and find_spec("debug_toolbar") is not None and env("DJANGO_DEBUG_TOOLBAR")
if DEBUG_TOOLBAR:
    from debug_toolbar.settings import PANELS_DEFAULTS

    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    # Only for a request from this machine, judged by the client's address behind any proxy:
    # behind Varnish every request comes from 127.0.0.1 (newsite/clients.py).
    DEBUG_TOOLBAR_CONFIG = {"SHOW_TOOLBAR_CALLBACK": "newsite.clients.show_debug_toolbar"}
    # Our panel lists the tags a page was built from and every cache lookup it made.
    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "newsite.cache.panel.CacheTagsPanel"]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
# psycopg2 has no pool in Django: keep connections open between requests instead, and check
# them before use so a restarted PostgreSQL costs one reconnect, not an error.
connection_options = {"conn_max_age": env("DJANGO_CONN_MAX_AGE"), "conn_health_checks": True}
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL"), **connection_options)}
# A streaming replica for reader pages (make cluster): the router sends content reads there
# once it has replayed past the fence of the latest invalidation (newsite/replicas.py).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, **connection_options)
    # Tests run on one database: there the replica is the primary under another name.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["newsite.replicas.PrimaryReplicaRouter"]
    # Innermost, around the view alone: a read that failed on a database connection (the
    # replica's, above all) is made again, once, on fresh connections.
    MIDDLEWARE.append("newsite.replicas.ReadAgain")
# A database that accepts the connection and then says nothing (a hung server, a black-holed
# address) must not hold a worker for ever: connecting gives up after a few seconds, and the
# page gets the 503 (newsite/views.py).
for database in DATABASES.values():
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {})["connect_timeout"] = 3
# Behind PgBouncer in transaction pooling mode, a server connection is ours for one transaction
# only: a server-side cursor (.iterator()) would outlive it. Connections to PgBouncer stay open
# (CONN_MAX_AGE): they are cheap for it, and spare each request a new connection.
if env("DATABASE_TRANSACTION_POOLING"):
    for database in DATABASES.values():
        database["DISABLE_SERVER_SIDE_CURSORS"] = True

# ------------------------------------------------------------------------------
# Cache
# ------------------------------------------------------------------------------
# newsite's backends are django-redis and Django's local-memory cache, timed for Server-Timing
# and made to survive a dead Redis (newsite/cache/backend.py).
REDIS_URL = env("REDIS_URL")
# Redis Sentinel (make cluster): REDIS_URL names the service, redis://newsite/0, and the
# sentinels say which server is its primary now; every command goes to the primary, so that a
# lagging Redis replica never answers with an old generation.
REDIS_SENTINELS = env("REDIS_SENTINELS")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsite.cache.backend.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "PARSER_CLASS": "redis.connection._HiredisParser",
                # A slow or dead Redis must not hold a request for long.
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }
    if REDIS_SENTINELS:
        CACHES["default"]["OPTIONS"].update(
            CONNECTION_FACTORY="django_redis.pool.SentinelConnectionFactory",
            SENTINELS=REDIS_SENTINELS,
            SENTINEL_KWARGS={"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        )
else:
    CACHES = {"default": {"BACKEND": "newsite.cache.backend.LocMemCache"}}

# ------------------------------------------------------------------------------
# Sessions, authentication and messages
# ------------------------------------------------------------------------------
# Sessions are read from the cache and written through to the database: the per-reader
# fragments, requested on every page view, cost no SQL for the session. A session that was
# ended never comes back from the cache (accounts/sessions.py); a cached copy is kept for
# NEWSITE_SESSION_CACHE_TTL seconds at most, so it outlives its database row by no longer.
SESSION_ENGINE = "accounts.sessions"
NEWSITE_SESSION_CACHE_TTL = env("NEWSITE_SESSION_CACHE_TTL")
# django-axes first: it refuses a sign-in while the account or the address is locked out.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "articles:home"

# Messages live in the session: the edge keeps only the session and CSRF cookies, so a
# "messages" cookie would never come back. They are shown by a per-reader fragment, which a new
# message bans from the edge.
MESSAGE_STORAGE = "accounts.messages.ReaderMessageStorage"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Shared pages take the CSRF token from this cookie in JavaScript (static/js/site.js), so
# it must stay readable by scripts.
CSRF_COOKIE_HTTPONLY = False

# ------------------------------------------------------------------------------
# Templates
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        # Django's engine, with rendering timed for Server-Timing (newsite/cache/timing.py).
        "BACKEND": "newsite.cache.timing.TimedDjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # auth and messages are here for the admin; shared page templates never use
                # `user` or `messages`, which would tie a page to one reader.
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "articles.context_processors.site",
            ],
            "libraries": {
                "fragment_cache": "newsite.cache.fragments",
                "fragment_includes": "newsite.cache.includes",
            },
        },
    }
]

# ------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production WhiteNoise serves compressed files with hashed names (cache them forever);
    # run `manage.py collectstatic` first.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# ------------------------------------------------------------------------------
# Email
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL")

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
# DJANGO_HTTPS (on by default in production) turns on the HTTPS-only protections. Turn it off
# only for a local production-like stack served over plain http (`make stack` does).
HTTPS = env("DJANGO_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a TLS terminator that sets X-Forwarded-Proto.
if env("DJANGO_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer's health probe arrives over plain http.
SECURE_REDIRECT_EXEMPT = [r"^-/"]
CSRF_TRUSTED_ORIGINS = env("DJANGO_CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and requests from this site
# only, and never inline. No nonces: a nonce cannot work on a page the edge shares between
# visitors, so the templates carry no inline script, event handler or style attribute, and
# static/js/site.js does everything. (django-csp leaves Django's own debug pages alone.)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    }
}
# Permissions-Policy (django-permissions-policy): a news site needs none of these powers, so
# no page of it, nor anything embedded in one, may ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer", "browsing-topics", "camera", "display-capture", "geolocation",
        "gyroscope", "hid", "magnetometer", "microphone", "midi", "payment", "serial", "usb",
    ]
}  # fmt: skip

# Behind NEWSITE_TRUSTED_PROXIES proxies that each append to X-Forwarded-For (Varnish: 1), the
# client's address is the entry the outermost one appended (newsite/clients.py). 0: REMOTE_ADDR.
NEWSITE_TRUSTED_PROXIES = env("NEWSITE_TRUSTED_PROXIES")

# ------------------------------------------------------------------------------
# Logging: everything to stderr, where gunicorn and systemd collect it.
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": env("DJANGO_LOG_LEVEL")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# ------------------------------------------------------------------------------
# Caching (newsite/cache/)
# ------------------------------------------------------------------------------
# Which cache layers are on: "query,fragment,page" (the default), any of them, "off", or "site"
# (Django's per-site cache instead, below).
NEWSITE_CACHE_LAYERS = cache_layers.parse(env("NEWSITE_CACHE"))
# Seconds the edge may keep a shared page, and the page cache a whole page. Tags make pages
# fresh after an edit; these are only the safety net.
NEWSITE_EDGE_TTL = env("NEWSITE_EDGE_TTL")
NEWSITE_PAGE_TTL = env("NEWSITE_PAGE_TTL")
# Seconds a tag's generation counter lives (newsite/cache/tags.py): longer than anything built
# from it is kept, so that it expires only once nothing needs it. A counter that expires comes
# back higher, so this bounds memory, never freshness.
NEWSITE_GENERATION_TTL = env("NEWSITE_GENERATION_TTL")
# The edge: Varnish nodes to ban invalidated tags on ("http://10.0.0.5:6081,…"); none in the
# embedded default. Each ban has a short timeout and a few attempts, and is sent again after a
# delay, for pages that were being rendered from the old data when the first one went out.
VARNISH_NODES = env("VARNISH_NODES")
# Bans carry this secret, and each node refuses one without it (its top file holds the same
# value: deploy/varnish/render.py reads this variable too). Never commit it.
NEWSITE_EDGE_PURGE_SECRET = env("NEWSITE_EDGE_PURGE_SECRET")
if VARNISH_NODES and not NEWSITE_EDGE_PURGE_SECRET:
    raise ImproperlyConfigured("Set NEWSITE_EDGE_PURGE_SECRET, the edge's purge secret.")
NEWSITE_EDGE_PURGE_TIMEOUT = env("NEWSITE_EDGE_PURGE_TIMEOUT")
NEWSITE_EDGE_PURGE_ATTEMPTS = env("NEWSITE_EDGE_PURGE_ATTEMPTS")
NEWSITE_EDGE_REBAN_AFTER = env("NEWSITE_EDGE_REBAN_AFTER")
# The second ban, and a first one that failed, are owed in Redis streams (newsite/cache/
# purge_queue.py) and delivered by a thread in every application server process, even if the
# process that committed the edit dies. Off, or without Redis, they wait in a thread of that
# process. A deliverer's round comes every NEWSITE_EDGE_BAN_RETRY_INTERVAL seconds: how soon a
# node that answers again gets the bans it missed.
NEWSITE_EDGE_BAN_QUEUE = env("NEWSITE_EDGE_BAN_QUEUE")
NEWSITE_EDGE_BAN_RETRY_INTERVAL = env("NEWSITE_EDGE_BAN_RETRY_INTERVAL")
if NEWSITE_EDGE_BAN_RETRY_INTERVAL <= 0:
    raise ImproperlyConfigured(
        "NEWSITE_EDGE_BAN_RETRY_INTERVAL must be a number of seconds above 0."
    )
# A CDN in front, purged by tag like the Varnish nodes: Fastly's purge by surrogate key
# (newsite/cache/purge_backends.py). Off unless a service is named; its API token needs the
# purge_select scope (and purge_all, for the bans of everything after a bulk load).
NEWSITE_FASTLY_SERVICE_ID = env("NEWSITE_FASTLY_SERVICE_ID")
NEWSITE_FASTLY_API_TOKEN = env("NEWSITE_FASTLY_API_TOKEN")
NEWSITE_FASTLY_SOFT_PURGE = env("NEWSITE_FASTLY_SOFT_PURGE")
NEWSITE_FASTLY_API_URL = env("NEWSITE_FASTLY_API_URL")
if NEWSITE_FASTLY_SERVICE_ID and not re.fullmatch(r"[A-Za-z0-9]+", NEWSITE_FASTLY_SERVICE_ID):
    raise ImproperlyConfigured(
        f"NEWSITE_FASTLY_SERVICE_ID={NEWSITE_FASTLY_SERVICE_ID!r} is not a Fastly service id "
        "(letters and digits)."
    )
if NEWSITE_FASTLY_SERVICE_ID and not NEWSITE_FASTLY_API_TOKEN:
    raise ImproperlyConfigured("Set NEWSITE_FASTLY_API_TOKEN, the token that purges the service.")
# NEWSITE_CACHE=site: Django's per-site cache instead of newsite's layers, for comparison.
# UpdateCacheMiddleware goes inside the edge headers (which then leave its Cache-Control alone)
# and FetchFromCacheMiddleware last, as Django's documentation asks.
if cache_layers.DJANGO_SITE_CACHE in NEWSITE_CACHE_LAYERS:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("newsite.cache.pages.PageCacheMiddleware"),
        "django.middleware.cache.UpdateCacheMiddleware",
    )
    MIDDLEWARE.append("django.middleware.cache.FetchFromCacheMiddleware")
    CACHE_MIDDLEWARE_SECONDS = env("NEWSITE_SITE_CACHE_SECONDS")

# Seconds the site stops trying a cache that failed, before it tries again.
NEWSITE_CACHE_RETRY_AFTER = env("NEWSITE_CACHE_RETRY_AFTER")

# What Server-Timing tells every client: "detail" (SQL, cache, template and app time, query and
# cache-call counts, each cache layer's hits and misses: the teaching view, and what the
# benchmarks read), "total" (only the total, which any client can time for itself) or "off".
# Detail in development, total in production; `make stack` and the benchmarks ask for detail.
NEWSITE_SERVER_TIMING = env("NEWSITE_SERVER_TIMING")
if NEWSITE_SERVER_TIMING not in ("detail", "total", "off"):
    raise ImproperlyConfigured(
        f"NEWSITE_SERVER_TIMING={NEWSITE_SERVER_TIMING!r}: use detail, total or off."
    )

# ------------------------------------------------------------------------------
# newsite
# ------------------------------------------------------------------------------
# Articles per page on section, author, topic and search pages.
ARTICLES_PER_PAGE = 20
# Comments a reader may post in COMMENT_RATE_WINDOW seconds, counted in the database.
COMMENT_RATE_LIMIT = env("NEWSITE_COMMENT_RATE_LIMIT")
COMMENT_RATE_WINDOW = 600

# ------------------------------------------------------------------------------
# Rate limits and sign-in lockouts (newsite/throttling.py, django-axes)
# ------------------------------------------------------------------------------
# Requests one client address may make, as COUNT/PERIOD (s, m, h, d: 30/m, 10/h, 5/15m); the
# reset e-mail limit counts per address asked for, whoever asks. Only requests that reach
# Django count: a search the edge or the page cache answers is free. While the cache cannot
# count (Redis down), each process counts in its own memory: still limited, never a 500.
RATE_LIMITS = {
    "search": env("NEWSITE_RATE_LIMIT_SEARCH"),
    "read-beacon": env("NEWSITE_RATE_LIMIT_READ_BEACON"),
    "sign-up": env("NEWSITE_RATE_LIMIT_SIGN_UP"),
    "password-reset": env("NEWSITE_RATE_LIMIT_PASSWORD_RESET"),
    "password-reset-email": env("NEWSITE_RATE_LIMIT_PASSWORD_RESET_EMAIL"),
}

# Sign-in (the readers' form and the admin's alike): after AXES_FAILURE_LIMIT wrong passwords
# for one account, or from one address, that account or address is locked out until
# AXES_COOLOFF_TIME has passed since the last of them, even with the right password. Kept in
# the database, so lockouts hold while Redis is down. Locking the account is what stops
# guessing from many addresses; its price is that a stranger can lock a reader out, whose way
# in is then a password reset, which clears the account's failures and signs them in.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env("NEWSITE_LOGIN_FAILURE_LIMIT")
AXES_COOLOFF_TIME = timedelta(minutes=env("NEWSITE_LOGIN_COOL_OFF_MINUTES"))
# A wrong password during a lockout does not prolong it: a reader who keeps trying their own
# password gets in when the cool-off ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "newsite.clients.client_network"
AXES_LOCKOUT_CALLABLE = "newsite.throttling.login_locked_out"
# Only failures are kept; a log of every successful sign-in would grow without bound.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
