"""Settings for newsite, configured by the environment (12-factor).

With no environment variables set, the site runs on embedded defaults: SQLite, a local-memory
cache, DEBUG on with the debug toolbar. DATABASE_URL, REDIS_URL and friends switch on the real
stack; every variable is listed in the README.
"""

import os
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from newsite.cache import layers as cache_layers


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use true or false.")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", True)

if DEBUG:
    SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-only-for-local-development")
else:
    try:
        SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
    except KeyError:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is false.") from None

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "localhost,127.0.0.1"
)

ROOT_URLCONF = "newsite.urls"
WSGI_APPLICATION = "newsite.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The site's name and address, used in feeds, the sitemap and emails.
SITE_NAME = "The Daily Cache"

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
    "newsite.cache",
    "articles",
    "accounts",
]

# ------------------------------------------------------------------------------
# Middleware
# ------------------------------------------------------------------------------
# Order matters, outermost first:
# - Metrics come first, so that their duration covers every other middleware; they read what
#   Server-Timing measured (request.timings) once it has finished.
# - Server-Timing wraps everything else, so its total is the whole request.
# - WhiteNoise answers static files before anything else runs.
# - Tags are collected for the whole response; the edge headers are decided from them and
#   from what the inner middleware did (a session read, a cookie set).
# - The page cache answers before sessions, CSRF and authentication: a hit skips them all.
# - Sessions come before authentication (which reads them) and messages (stored in them).
MIDDLEWARE = [
    "newsite.cache.metrics.MetricsMiddleware",
    "newsite.cache.timing.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsite.cache.tags.CollectTagsMiddleware",
    "newsite.cache.edge.EdgeHeadersMiddleware",
    "newsite.cache.pages.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The toolbar only in development, and only where it is installed (requirements-dev.txt).
# It never runs under pytest, where it would change the pages under test.
DEBUG_TOOLBAR = (
    DEBUG
    and find_spec("debug_toolbar") is not None
    and "PYTEST_VERSION" not in os.environ
    and env_bool("DJANGO_DEBUG_TOOLBAR", True)
)
if DEBUG_TOOLBAR:
    from debug_toolbar.settings import PANELS_DEFAULTS

    INSTALLED_APPS.append("debug_toolbar")
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    # Our panel lists the tags a page was built from and every cache lookup it made.
    DEBUG_TOOLBAR_PANELS = [*PANELS_DEFAULTS, "newsite.cache.panel.CacheTagsPanel"]

# ------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------
# psycopg2 has no pool in Django: keep connections open between requests instead, and check
# them before use so a restarted PostgreSQL costs one reconnect, not an error.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# ------------------------------------------------------------------------------
# Cache
# ------------------------------------------------------------------------------
# newsite's backends are Django's own, timed for Server-Timing and made to survive a dead
# Redis (newsite/cache/backend.py).
REDIS_URL = os.environ.get("REDIS_URL", "")
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
else:
    CACHES = {"default": {"BACKEND": "newsite.cache.backend.LocMemCache"}}

# ------------------------------------------------------------------------------
# Sessions, authentication and messages
# ------------------------------------------------------------------------------
# Sessions are read from the cache and written through to the database: the per-reader
# fragments, requested on every page view, cost no SQL for the session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "articles:home"

# Messages live in the session: the edge keeps only the session and CSRF cookies, so a
# "messages" cookie would never come back. They are shown by a per-reader fragment.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

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
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"
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
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "newsroom@localhost")

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
# DJANGO_HTTPS (on by default in production) turns on the HTTPS-only protections. Turn it off
# only for a local production-like stack served over plain http (`make stack` does).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a TLS terminator that sets X-Forwarded-Proto.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The load balancer's health probe arrives over plain http.
SECURE_REDIRECT_EXEMPT = [r"^-/"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"

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
    "root": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
    },
}

# ------------------------------------------------------------------------------
# Caching (newsite/cache/)
# ------------------------------------------------------------------------------
# Which cache layers are on: "query,fragment,page" (the default), any of them, or "off".
NEWSITE_CACHE_LAYERS = cache_layers.parse(os.environ.get("NEWSITE_CACHE", "all"))
# Seconds the edge may keep a shared page, and the page cache a whole page. Tags make pages
# fresh after an edit; these are only the safety net.
NEWSITE_EDGE_TTL = int(os.environ.get("NEWSITE_EDGE_TTL", "600"))
NEWSITE_PAGE_TTL = int(os.environ.get("NEWSITE_PAGE_TTL", "600"))
# The edge: Varnish nodes to ban invalidated tags on ("http://10.0.0.5:6081,…"); none in the
# embedded default. Each ban has a short timeout and a few attempts, and is sent again after a
# delay, for pages that were being rendered from the old data when the first one went out.
VARNISH_NODES = env_list("VARNISH_NODES")
NEWSITE_EDGE_PURGE_TIMEOUT = float(os.environ.get("NEWSITE_EDGE_PURGE_TIMEOUT", "0.5"))
NEWSITE_EDGE_PURGE_ATTEMPTS = int(os.environ.get("NEWSITE_EDGE_PURGE_ATTEMPTS", "4"))
NEWSITE_EDGE_REBAN_AFTER = float(os.environ.get("NEWSITE_EDGE_REBAN_AFTER", "5"))
# NEWSITE_CACHE=site: Django's per-site cache instead of newsite's layers, for comparison.
# UpdateCacheMiddleware goes inside the edge headers (which then leave its Cache-Control alone)
# and FetchFromCacheMiddleware last, as Django's documentation asks.
if cache_layers.DJANGO_SITE_CACHE in NEWSITE_CACHE_LAYERS:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("newsite.cache.pages.PageCacheMiddleware"),
        "django.middleware.cache.UpdateCacheMiddleware",
    )
    MIDDLEWARE.append("django.middleware.cache.FetchFromCacheMiddleware")
    CACHE_MIDDLEWARE_SECONDS = int(os.environ.get("NEWSITE_SITE_CACHE_SECONDS", "600"))

# Seconds the site stops trying a cache that failed, before it tries again.
NEWSITE_CACHE_RETRY_AFTER = float(os.environ.get("NEWSITE_CACHE_RETRY_AFTER", "5"))

# ------------------------------------------------------------------------------
# newsite
# ------------------------------------------------------------------------------
# Articles per page on section, author, topic and search pages.
ARTICLES_PER_PAGE = 20
# Comments a reader may post in COMMENT_RATE_WINDOW seconds.
COMMENT_RATE_LIMIT = int(os.environ.get("NEWSITE_COMMENT_RATE_LIMIT", "5"))
COMMENT_RATE_WINDOW = 600
