"""What the exercise checks share: a throwaway site on a small newspaper, and plain reports.

A check runs Django in its own process on a temporary SQLite database holding a newsroom made
here (a few sections, authors and articles: enough to show a cost that grows with the data, and
made in a moment), with the local-memory cache. The edge checks put real Varnish in front of
gunicorn on that database (deploy/engines.py, tests/stack.py), as the edge tests do.
"""

import atexit
import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HEADLINE_EDIT = " (updated)"

# gunicorn's settings behind the edge: production, over plain http, behind one proxy.
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_HTTPS": "false",
    "DJANGO_SECRET_KEY": "workshop-only-secret-key-long-enough-for-the-deploy-checks",
    "NEWSITE_EDGE_REBAN_AFTER": "0",
    "NEWSITE_SITE_URL": "http://127.0.0.1",
    "NEWSITE_TRUSTED_PROXIES": "1",
    "NEWSITE_SERVER_TIMING": "detail",
}


def say(label, value=""):
    """One measured figure, on a line of its own."""
    print(f"  {label:<52} {value}".rstrip())


def start_django(migrations=False, **environment):
    """Configure Django for this check and create its tables; returns the working directory.

    Settings read the environment once, so a check names its cache layers (NEWSITE_CACHE) and
    anything else here, before anything else touches Django. The settings load in development
    mode (plain static files, no secret key needed), then DEBUG goes off as in production,
    as in the test suite: pages are shared, and the caches keep them. The tables are made
    straight from the models, as the test suite can, unless the check is about `migrations`.
    """
    directory = Path(tempfile.mkdtemp(prefix="newsite-workshop-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    os.environ.pop("REDIS_URL", None)  # the local-memory cache, whatever the shell says
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsite.settings",
            "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
            "DJANGO_DEBUG": "true",
            "DJANGO_DEBUG_TOOLBAR": "false",
            "DJANGO_LOG_LEVEL": "ERROR",
            # gunicorn's key (edge checks): sessions made here must be good there.
            "DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"],
            **environment,
        }
    )
    import django
    from django.apps import apps
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment(debug=False)
    if not migrations:
        settings.MIGRATION_MODULES = {app.label: None for app in apps.get_app_configs()}
    call_command("migrate", run_syncdb=True, verbosity=0)
    return directory


def newsroom(sections=4, articles_per_section=6):
    """A small newspaper: each section with its own author and topic and a few published
    articles, one a minute, the newest first. Returns the articles, newest first."""
    from django.utils import timezone

    from articles.models import Article, Author, Section, Topic

    now = timezone.now()
    articles = []
    for number in range(1, sections + 1):
        section = Section.objects.create(
            name=f"Section {number}", slug=f"section-{number}", position=number
        )
        author = Author.objects.create(name=f"Author {number}", slug=f"author-{number}")
        topic = Topic.objects.create(name=f"Topic {number}", slug=f"topic-{number}")
        for _ in range(articles_per_section):
            serial = len(articles) + 1
            article = Article.objects.create(
                headline=f"Story number {serial}",
                slug=f"story-{serial}",
                summary=f"What happened in story {serial}.",
                body=f"The whole of story {serial}.",
                section=section,
                author=author,
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(minutes=serial),
            )
            article.topics.add(topic)
            articles.append(article)
    return sorted(articles, key=lambda article: article.published_at, reverse=True)


def bulk_newsroom(articles, authors, sections=8):
    """A larger newspaper, loaded in bulk: `articles` published articles by `authors` authors,
    one every ten minutes back from now, then ANALYZEd for the planner. Returns the count."""
    from django.db import connection
    from django.utils import timezone

    from articles.models import Article, Author, Section

    all_sections = Section.objects.bulk_create(
        Section(name=f"Section {n}", slug=f"section-{n}", position=n) for n in range(sections)
    )
    all_authors = Author.objects.bulk_create(
        Author(name=f"Author {n}", slug=f"author-{n}") for n in range(authors)
    )
    now = timezone.now()
    Article.objects.bulk_create(
        (
            Article(
                headline=f"Story number {n}",
                slug=f"story-{n}",
                summary="What happened.",
                body="The whole story.",
                section=all_sections[n % sections],
                author=all_authors[n % authors],
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(minutes=10 * n),
            )
            for n in range(articles)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return articles


def throwaway_postgres_database():
    """The URL of a new database for this check, dropped when it ends: on the PostgreSQL
    server WORKSHOP_POSTGRES_URL names (the test suite passes its own), or else on a server
    started here from the installed binaries, and stopped and removed at the end."""
    from deploy import engines

    server_url = os.environ.get("WORKSHOP_POSTGRES_URL")
    if not server_url:
        directory = Path(tempfile.mkdtemp(prefix="newsite-workshop-postgres-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        server = engines.start_on_a_free_port(
            lambda port: engines.postgres(directory, port, durable=False, name="PostgreSQL")
        )
        atexit.register(server.stop)  # runs before the removal: atexit goes last in, first out
        server_url = f"postgres://postgres@127.0.0.1:{server.port}/postgres"
    name = f"newsite_workshop_{os.getpid()}"
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    engines.ensure_database(url)
    atexit.register(drop_database, url)
    return url


def drop_database(url):
    import psycopg2
    from django.db import connections

    connections.close_all()
    address = urlsplit(url)
    connection = psycopg2.connect(
        host=address.hostname,
        port=address.port,
        user=address.username,
        password=address.password,
        dbname="postgres",
    )
    connection.autocommit = True  # DROP DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{address.path.lstrip("/")}"')
    finally:
        connection.close()


def edit_headline(article):
    """An editor's edit, as the admin saves it: the headline gains HEADLINE_EDIT."""
    from articles.models import Article

    article = Article.objects.get(pk=article.pk)
    article.headline += HEADLINE_EDIT
    article.save()
    return article


def count_queries(client, url):
    """(response, the SQL statements it ran) for a GET of `url` through the test client."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    return response, [query["sql"] for query in queries.captured_queries]


def milliseconds(seconds):
    return f"{seconds * 1000:.1f} ms"


# ------------------------------------------------------------------------------
# The edge: Varnish in front of gunicorn
# ------------------------------------------------------------------------------
def collected_static_files():
    """Where gunicorn's WhiteNoise finds the site's static files (DJANGO_STATIC_ROOT, or a
    directory of the checks' own), collected again only when they have changed. The admin's
    and the debug toolbar's are left out: no check shows them, and they take most of the time.
    """
    from django.conf import settings

    checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:12]
    default_root = Path(tempfile.gettempdir()) / f"newsite-workshop-static-{checkout}"
    root = Path(os.environ.get("DJANGO_STATIC_ROOT") or default_root)
    manifest = root / "staticfiles.json"
    sources = [path for path in (settings.BASE_DIR / "static").rglob("*") if path.is_file()]
    newest_source = max(path.stat().st_mtime for path in sources)
    if not manifest.exists() or manifest.stat().st_mtime < newest_source:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0",
             "--ignore", "admin", "--ignore", "debug_toolbar"],
            cwd=settings.BASE_DIR,
            env={**os.environ, **PRODUCTION, "DJANGO_STATIC_ROOT": str(root)},
            check=True,
        )  # fmt: skip
    return root


@contextlib.contextmanager
def edge_stack(directory, **environment):
    """Varnish → gunicorn on this check's database, production settings over plain http, as
    `make stack` runs them; stopped at the end. Yields (varnish, gunicorn) from tests/stack.py.
    """
    from django.conf import settings

    from tests.stack import Gunicorn, Varnish

    environment = {
        **PRODUCTION,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_STATIC_ROOT": str(collected_static_files()),
        **environment,
    }
    for engine in ("varnish", "gunicorn"):
        (directory / engine).mkdir()
    varnish = Varnish(directory / "varnish")
    application = None
    try:
        varnish.start()
        application = Gunicorn(
            directory / "gunicorn",
            {
                **environment,
                "NEWSITE_SITE_URL": varnish.url,
                "VARNISH_NODES": varnish.url,
                "NEWSITE_EDGE_PURGE_SECRET": varnish.purge_secret,
            },
        ).start()
        varnish.use_backend(application.port)
        # Edits made by the check itself are banned at the edge too, as the site's would be.
        settings.VARNISH_NODES = [varnish.url]
        settings.NEWSITE_EDGE_PURGE_SECRET = varnish.purge_secret
        yield varnish, application
    finally:
        if application is not None:
            application.stop()
        varnish.stop()


def get(url, headers=None):
    """GET `url` with `headers`: (status, response headers, body as text), errors included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def timed(function, *arguments):
    """(what function(*arguments) returned, the seconds it took)."""
    started = time.perf_counter()
    result = function(*arguments)
    return result, time.perf_counter() - started
