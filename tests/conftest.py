"""Fixtures shared by the whole suite.

The PostgreSQL and Redis servers themselves are started by the tests.services plugin, before
Django reads its settings; here are the fixtures built on top of them.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import global_settings
from django.core.cache import cache
from django.db import connection

from newsite import throttling
from newsite.cache.backend import outage
from tests import services
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CommentFactory,
    SectionFactory,
    TopicFactory,
    UserFactory,
)
from tests.monitoring import metrics_url
from tests.stack import Gunicorn, Varnish, collect_static


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache, whichever backend the settings chose, and with
    no memory of a cache outage that an earlier test caused on purpose (nor of what the rate
    limits counted in memory meanwhile)."""
    outage.end()
    cache.clear()
    throttling.counted_here.clear()
    yield
    outage.end()
    cache.clear()
    throttling.counted_here.clear()


@pytest.fixture
def production_password_hashing(settings):
    """Passwords hashed as the servers check them (Django's hashers, which newsite/settings.py
    keeps), for users who sign in on a server; tests/settings.py hashes them fast otherwise."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def make_newsroom(db):
    """Build sections full of articles, with authors, topics and comments.

    Call it again to add more of everything: the query-count tests render a page, grow the
    newsroom, and render it again.
    """

    def make_newsroom(sections=3, articles_per_section=4, comments_per_article=2):
        topics = TopicFactory.create_batch(3)
        commenters = UserFactory.create_batch(2)
        created = []
        for _ in range(sections):
            section = SectionFactory()
            for index in range(articles_per_section):
                article = ArticleFactory(
                    section=section,
                    author=AuthorFactory(),
                    topics=topics,
                    is_featured=index == 0,
                )
                for number in range(comments_per_article):
                    CommentFactory(article=article, user=commenters[number % 2])
                created.append(article)
        return created

    return make_newsroom


@pytest.fixture(scope="session")
def artifacts():
    """Where tests leave files for people to look at (screenshots); CI keeps the folder."""
    folder = Path(__file__).resolve().parent.parent / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


# As root (CI, containers) Chromium needs --no-sandbox; the rest keeps it from calling home,
# which a closed network answers with errors.
CHROMIUM_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop in this thread, and Django refuses ORM
    # calls from a thread with a running loop unless told the calls are safe, which they are.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.chromium_path, args=CHROMIUM_ARGUMENTS
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def browser_page(browser):
    """A fresh browser tab with its own cookies, at a desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


# ------------------------------------------------------------------------------
# The edge: real Varnish in front of real gunicorn, on the test database
# ------------------------------------------------------------------------------
EDGE_SECRET_KEY = "edge-tests-only-secret-key-that-is-long-enough-to-pass-the-checks"


@pytest.fixture(scope="session")
def start_edge_stack(django_db_setup, tmp_path_factory):
    """Start Varnish → gunicorn on this session's test database and Redis; stopped at the end.

    Call it with extra environment for gunicorn (NEWSITE_EDGE_TTL=1, say), and the Host the
    edge's health probe sends, to get a stack of your own. The data a test makes must be
    committed (transactional tests) for gunicorn to see it.
    """
    database = connection.settings_dict
    # Production settings, without the delayed second ban (see `edge`); behind one proxy that
    # appends the client to X-Forwarded-For (Varnish), with Server-Timing in detail.
    environment = {
        "DJANGO_SETTINGS_MODULE": "newsite.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "DJANGO_SECRET_KEY": EDGE_SECRET_KEY,
        "NEWSITE_EDGE_REBAN_AFTER": "0",
        "NEWSITE_SITE_URL": "http://127.0.0.1",
        "NEWSITE_TRUSTED_PROXIES": "1",
        "NEWSITE_SERVER_TIMING": "detail",
    }
    environment["DJANGO_STATIC_ROOT"] = str(tmp_path_factory.mktemp("static"))
    collect_static(environment["DJANGO_STATIC_ROOT"], environment)
    started = []

    def start(probe_host=None, **extra_environment):
        varnish = Varnish(tmp_path_factory.mktemp("varnish")).start()
        started.append(varnish)
        application = Gunicorn(
            tmp_path_factory.mktemp("gunicorn"),
            {
                **environment,
                "VARNISH_NODES": varnish.url,
                "NEWSITE_SITE_URL": varnish.url,
                "NEWSITE_EDGE_PURGE_SECRET": varnish.purge_secret,
                **extra_environment,
            },
        )
        started.append(application.start())
        varnish.use_backend(application.port, probe_host=probe_host)
        return SimpleNamespace(edge=varnish, application=application)

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture(scope="session")
def edge_stack(start_edge_stack):
    return start_edge_stack()


@pytest.fixture(scope="session")
def monitored_edge_stack(start_edge_stack):
    """A stack of its own whose gunicorn serves its metrics (`.django_metrics`, the URL)."""
    stack = start_edge_stack(GUNICORN_METRICS_BIND="127.0.0.1:0")
    stack.django_metrics = metrics_url(stack.application)
    return stack


@pytest.fixture
def edge(edge_stack, transactional_db, settings):
    """The shared stack, with an empty edge cache; this process bans it too after commits.

    Without the delayed second ban (tests/test_edge.py tests it on its own): one scheduled by
    a test would land in the next one.
    """
    edge_stack.edge.ban_everything()
    settings.VARNISH_NODES = [edge_stack.edge.url]
    settings.NEWSITE_EDGE_PURGE_SECRET = edge_stack.edge.purge_secret
    settings.NEWSITE_EDGE_REBAN_AFTER = 0
    return edge_stack


# ------------------------------------------------------------------------------
# The cluster: `make cluster`'s whole topology, on free ports (tests/test_cluster.py)
# ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def cluster_findings(pytestconfig):
    """Figures the cluster tests measure (a failover's duration), printed at the end."""
    findings = []
    yield findings
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        for finding in findings:
            reporter.write_line(f"cluster: {finding}")


@pytest.fixture(scope="session")
def cluster(cluster_findings):
    """HAProxy, two Varnish nodes, two gunicorns, PgBouncer, a PostgreSQL primary with a replica
    that replays every commit 3 s late (so its lag is certain), Redis with a replica and three
    Sentinels, and Prometheus with an exporter for each (deploy/cluster.py): started once per
    session, stopped and removed at the end."""
    from deploy.cluster import BINARIES, Cluster, Ports
    from deploy.engines import EngineFailed, missing_binaries

    missing = missing_binaries(BINARIES)
    if missing:
        if services.running_in_ci():
            pytest.fail(f"{missing} (CI=true: a missing service is a failure)", pytrace=False)
        pytest.skip(missing)
    directory = Path(tempfile.mkdtemp(prefix="newsite-cluster-"))
    directory.chmod(0o755)  # PostgreSQL runs as `postgres` when we are root: let it in
    running = Cluster(
        directory=directory,
        ports=Ports.free(),
        articles=40,
        replica_delay="3s",
        durable=False,
        # The tests search from one address, more often than a reader may (30 a minute).
        application_environment={
            "DJANGO_LOG_LEVEL": "WARNING",
            "NEWSITE_RATE_LIMIT_SEARCH": "1000/m",
        },
        monitored=True,
        say=lambda message: None,
    )
    started = time.monotonic()
    try:
        running.start()
    except EngineFailed as error:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"The cluster did not start: {error}", pytrace=False)
    cluster_findings.append(f"started in {time.monotonic() - started:.1f} s")
    yield running
    running.stop()
    shutil.rmtree(directory, ignore_errors=True)
