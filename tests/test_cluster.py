"""`make cluster`: the whole topology on real engines, and what it promises.

One cluster per session (the `cluster` fixture): HAProxy in front of two Varnish nodes, two
application servers, PgBouncer, a PostgreSQL primary with a replica that replays every commit
3 s late, Redis with a replica and three Sentinels. Edits are made the way an editor's save
makes them: by Django with the application servers' settings, in a process of its own.
"""

import html
import http.client
import os
import re
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from demo.credentials import DEMO_READERS
from deploy import engines
from deploy.engines import wait_until
from tests.helpers import ARTICLE_LINK, replica_is_past_the_fence, sign_in
from tests.monitoring import instant, target_health_once_scraped

pytestmark = pytest.mark.cluster

PROJECT = engines.PROJECT
HEADLINE = re.compile(r'<h1 class="article__headline">(.*?)</h1>', re.DOTALL)
ARTICLE_ID = re.compile(r"/-/read/(\d+)/")
# Statements that read or write the site's own tables (not the replicas' position checks,
# nor PgBouncer's `SELECT 1`), as pg_stat_statements records them.
SITE_TABLES = r'"(articles|accounts|auth|django)_'


def run_django(cluster, code, **environment):
    """Run Python in a Django process with the application servers' settings."""
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT,
        env={**os.environ, **cluster.environment(), **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


def edit(cluster, article_id, headline):
    """Save a new headline as the newsroom does: commit, fence, generations, bans."""
    code = (
        "from django.db import transaction\n"
        "from articles.models import Article\n"
        "with transaction.atomic():\n"
        f"    article = Article.objects.select_for_update().get(pk={article_id})\n"
        f"    article.headline = {headline!r}\n"
        "    article.save()\n"
    )
    result = run_django(cluster, code)
    assert result.returncode == 0, result.stderr[-2000:]


def statements(cluster, server):
    """How many statements on the site's tables the server has run so far."""
    return int(
        engines.postgres_query(
            cluster.port(server),
            f"SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query ~ '{SITE_TABLES}'",
            database="newsite",
        )
    )


@pytest.fixture
def front_page_article(cluster):
    """An article on the home page and its section page: (id, path, headline as on the page)."""
    home = requests.get(f"{cluster.url}/", timeout=10).text
    for path in ARTICLE_LINK.findall(home):
        page = requests.get(f"{cluster.url}{path}", timeout=10).text
        headline = HEADLINE.search(page)[1].strip()
        section = requests.get(f"{cluster.url}/{path.split('/')[1]}/", timeout=10).text
        if headline in home and headline in section:
            return int(ARTICLE_ID.search(page)[1]), path, headline
    pytest.fail("no article is on both the home page and its section page")


def the_three_pages(path):
    return [path, f"/{path.split('/')[1]}/", "/"]


# ------------------------------------------------------------------------------
# Freshness with a lagging replica
# ------------------------------------------------------------------------------
def test_an_edited_headline_is_on_every_page_through_each_node_at_the_next_request(
    cluster, front_page_article
):
    """The replica is 3 s behind, yet the rebuild after the edit shows the new headline (the
    fence sends it to the primary), on the article, its section and the home page, through
    both Varnish nodes (each got the ban) and the load balancer; and no later request gets
    the old headline back, while the replica catches up and after."""
    article_id, path, old_headline = front_page_article
    nodes = [cluster.node_url(name) for name in cluster.varnish_names]
    for node in nodes:
        for page in the_three_pages(path):
            requests.get(f"{node}{page}", timeout=10)
            assert requests.get(f"{node}{page}", timeout=10).headers["X-Cache"] == "HIT"

    new_headline = f"Edited while the replica lags {uuid.uuid4().hex[:8]}"
    edit(cluster, article_id, new_headline)

    for node in nodes:
        for page in the_three_pages(path):
            response = requests.get(f"{node}{page}", timeout=10)
            assert response.headers["X-Cache"] == "MISS", f"{node}{page} was not banned"
            assert new_headline in response.text, f"{node}{page}"
            assert old_headline not in response.text, f"{node}{page}"
    assert not replica_is_past_the_fence(cluster), "the replica was meant to lag behind"
    deadline = time.monotonic() + 5  # the replica's delay, and a re-ban, and more
    while time.monotonic() < deadline:
        for base in [*nodes, cluster.url]:
            for page in the_three_pages(path):
                text = requests.get(f"{base}{page}", timeout=10).text
                assert new_headline in text, f"{base}{page}"
                assert old_headline not in text, f"{base}{page}"


def test_a_reader_sees_their_comment_on_their_next_page_view_and_so_does_everybody(cluster):
    home = requests.get(f"{cluster.url}/", timeout=10).text
    path = ARTICLE_LINK.findall(home)[-1]
    alice = sign_in(cluster.url, "alice", DEMO_READERS["alice"])
    page = alice.get(f"{cluster.url}{path}", timeout=10).text
    article_id = ARTICLE_ID.search(page)[1]
    anonymous_before = requests.get(f"{cluster.url}{path}", timeout=10)
    text = f"A comment while the replica lags, {uuid.uuid4().hex[:8]}"

    response = alice.post(
        f"{cluster.url}/comments/{article_id}/",
        data={"body": text, "csrfmiddlewaretoken": alice.cookies["csrftoken"]},
        headers={"Referer": f"{cluster.url}{path}"},
        timeout=10,
    )

    assert response.status_code == 200
    assert urlsplit(response.url).path == path
    assert html.escape(text) in response.text, "the reader's next page view shows it"
    assert html.escape(text) not in anonymous_before.text
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for node in [cluster.node_url(name) for name in cluster.varnish_names]:
            anonymous = requests.get(f"{node}{path}", timeout=10).text
            assert html.escape(text) in anonymous, f"an older copy at {node}"
        assert html.escape(text) in alice.get(f"{cluster.url}{path}", timeout=10).text


# ------------------------------------------------------------------------------
# Where queries go
# ------------------------------------------------------------------------------
def test_reader_pages_with_a_warm_cache_send_no_query_to_the_primary(cluster):
    pages = ["/", *ARTICLE_LINK.findall(requests.get(f"{cluster.url}/", timeout=10).text)[:5]]
    servers = [cluster.node_url(name) for name in cluster.application_names]
    for server in servers:  # past the edge, straight to Django: warm its caches
        for page in pages:
            assert requests.get(f"{server}{page}", timeout=10).status_code == 200
    before = statements(cluster, "postgres-primary")

    for server in servers:
        for page in pages:
            response = requests.get(f"{server}{page}", timeout=10)
            assert response.status_code == 200
            assert 'sql;dur=0.0;desc="0 queries"' in response.headers["Server-Timing"]

    assert statements(cluster, "postgres-primary") == before


def test_a_cold_reader_page_reads_the_replica_once_it_has_replayed_past_the_fence(cluster):
    wait_until(lambda: replica_is_past_the_fence(cluster), "the replica catches up", seconds=30)
    primary_before = statements(cluster, "postgres-primary")
    replica_before = statements(cluster, "postgres-replica")
    home = requests.get(f"{cluster.url}/", timeout=10).text
    author = re.search(r'href="(/authors/[\w-]+/)"', home)[1]

    response = requests.get(f"{cluster.node_url('gunicorn1')}{author}?page=1", timeout=10)

    assert response.status_code == 200
    assert "miss" in response.headers["Server-Timing"]
    assert statements(cluster, "postgres-replica") > replica_before
    assert statements(cluster, "postgres-primary") == primary_before


def test_iterating_over_a_queryset_works_through_pgbouncers_transaction_pooling(cluster):
    """PgBouncer lends a server connection for one transaction: a server-side cursor would be
    left on a connection that another client holds by the next fetch. With
    DATABASE_TRANSACTION_POOLING Django uses none, and .iterator() still works."""
    code = (
        "import psycopg2\n"
        "from django.conf import settings\n"
        "from articles.models import Article\n"
        "rows = Article.objects.using('default').iterator(chunk_size=5)\n"
        "first = next(rows)\n"
        "database = settings.DATABASES['default']\n"
        "other = psycopg2.connect(host=database['HOST'], port=database['PORT'],\n"
        "                         user=database['USER'], dbname=database['NAME'])\n"
        "other.cursor().execute('SELECT 1')  # a transaction: it keeps a server connection\n"
        "print(1 + sum(1 for _ in rows), Article.objects.using('default').count())\n"
    )
    result = run_django(cluster, code)

    assert result.returncode == 0, result.stderr[-2000:]
    iterated, counted = result.stdout.split()[-2:]
    assert iterated == counted


# ------------------------------------------------------------------------------
# Through the load balancer
# ------------------------------------------------------------------------------
def haproxy_sessions(cluster):
    """Requests HAProxy has sent to each Varnish node: {varnish1: n, varnish2: m}."""
    rows = requests.get(f"{cluster.stats_url};csv", timeout=10).text.splitlines()
    header = rows[0].lstrip("# ").split(",")
    return {
        row["svname"]: int(row["stot"])
        for row in (dict(zip(header, line.split(","), strict=False)) for line in rows[1:])
        if row.get("pxname") == "edge" and row["svname"].startswith("varnish")
    }


def application_requests(cluster):
    """Requests the Varnish nodes have sent to each application server."""
    totals = {}
    for name in cluster.varnish_names:
        counters = subprocess.run(
            [engines.binary("varnishstat"), "-n", cluster.engines[name].directory, "-1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for match in re.finditer(r"^VBE\.\w+\.(application\d)\.req\s+(\d+)", counters, re.M):
            totals[match[1]] = totals.get(match[1], 0) + int(match[2])
    return totals


def test_requests_are_spread_over_both_varnish_nodes_and_both_application_servers(cluster):
    nodes_before, servers_before = haproxy_sessions(cluster), application_requests(cluster)
    home = requests.get(f"{cluster.url}/", timeout=10).text
    pages = sorted({*ARTICLE_LINK.findall(home), *re.findall(r'href="(/[\w-]+/)"', home)})

    for page in pages:
        assert requests.get(f"{cluster.url}{page}?spread", timeout=10).status_code == 200

    nodes_after, servers_after = haproxy_sessions(cluster), application_requests(cluster)
    assert len(pages) >= 10
    assert all(nodes_after[node] > nodes_before.get(node, 0) for node in nodes_after)
    assert sorted(servers_after) == ["application1", "application2"]
    assert all(servers_after[name] > servers_before.get(name, 0) for name in servers_after)


def test_the_edge_sees_the_readers_address_and_django_gets_it_forwarded_once(cluster):
    """HAProxy passes the reader's address with the PROXY protocol: Varnish's client.ip (and so
    its purge ACL) is the reader's, not the load balancer's, and X-Forwarded-For holds it once,
    added by Varnish. Bans do not go through the load balancer at all."""
    marker = uuid.uuid4().hex
    reader = http.client.HTTPConnection(
        "127.0.0.1", cluster.port("haproxy"), timeout=10, source_address=("127.0.0.2", 0)
    )
    reader.request("GET", f"/-/alive/?{marker}")
    assert reader.getresponse().status == 200
    reader.close()

    def what_varnish_logged():
        for name in cluster.varnish_names:
            command = [engines.binary("varnishlog"), "-n", cluster.engines[name].directory, "-d"]
            command += ["-g", "request", "-q", f'ReqURL ~ "{marker}"']
            log = subprocess.run(
                [*command, "-i", "ReqStart,BereqHeader"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
            if "BereqHeader" in log:
                return log
        return None

    log = wait_until(what_varnish_logged, "Varnish logs the request", seconds=10)
    assert re.findall(r"ReqStart\s+(\S+)", log) == ["127.0.0.2"]
    assert re.findall(r"BereqHeader\s+X-Forwarded-For: (.*)", log) == ["127.0.0.2"]
    assert requests.request("BAN", f"{cluster.url}/", timeout=10).status_code == 405


def every_page_answers(cluster, pages, base=None):
    for page in pages:
        response = requests.get(f"{base or cluster.url}{page}", timeout=10)
        assert response.status_code == 200, f"{page}: {response.status_code}"


@pytest.mark.prometheus
def test_prometheus_scrapes_every_engine_of_the_cluster_with_haproxy_and_the_replicas_lag(
    cluster,
):
    """Before any engine is stopped (the tests below stop some): all of them are up."""
    prometheus = cluster.watching.prometheus.url
    health = target_health_once_scraped(prometheus)
    assert health == {
        ("prometheus", "prometheus"): "up",
        ("django", "gunicorn1"): "up",
        ("django", "gunicorn2"): "up",
        ("haproxy", "haproxy"): "up",
        ("varnish", "varnish1"): "up",
        ("varnish", "varnish2"): "up",
        ("postgres", "postgres-primary"): "up",
        ("postgres", "postgres-replica"): "up",
        ("redis", "redis-primary"): "up",
        ("redis", "redis-replica"): "up",
        ("sentinel", "sentinel1"): "up",
        ("sentinel", "sentinel2"): "up",
        ("sentinel", "sentinel3"): "up",
    }
    # HAProxy's own exporter counts the public frontend's requests.
    assert instant(prometheus, 'haproxy_frontend_http_requests_total{proxy="public"}')
    # The replica's lag, as its primary sees it.
    lag = instant(prometheus, 'pg_replica_replay_lag_seconds{application_name="replica"}')
    assert list(lag) == ["postgres-primary"]
    assert instant(prometheus, "redis_sentinel_master_status") == {
        f"sentinel{number}": 1 for number in (1, 2, 3)
    }


def test_with_one_application_server_stopped_every_page_still_answers(cluster):
    """The director routes around it: before its probe notices, the request is retried on the
    other server; after, it gets no requests at all."""
    home = requests.get(f"{cluster.url}/", timeout=10).text
    pages = [f"{path}?cold={uuid.uuid4().hex}" for path in ARTICLE_LINK.findall(home)[:8]]
    gunicorn = cluster.engines["gunicorn1"]
    gunicorn.stop()
    try:
        every_page_answers(cluster, pages)
        every_page_answers(cluster, ["/-/health/", "/accounts/login/"] * 4)
    finally:
        gunicorn.start()


def test_with_one_varnish_node_stopped_haproxy_routes_around_it(cluster):
    """Refused connections are sent to the other node at once; the health check then takes
    the stopped node out; started again (empty, so cold), it takes its share back."""
    home = requests.get(f"{cluster.url}/", timeout=10).text
    pages = sorted({*ARTICLE_LINK.findall(home), *re.findall(r'href="(/[\w-]+/)"', home)})
    varnish = cluster.engines["varnish1"]
    varnish.stop()
    try:
        every_page_answers(cluster, pages)
        wait_until(lambda: "DOWN" in server_status(cluster, "varnish1"), "varnish1 marked DOWN", 20)
        every_page_answers(cluster, pages)
    finally:
        varnish.start()
    wait_until(lambda: server_status(cluster, "varnish1") == "UP", "varnish1 back UP", 20)
    every_page_answers(cluster, pages)


def server_status(cluster, server):
    rows = requests.get(f"{cluster.stats_url};csv", timeout=10).text.splitlines()
    header = rows[0].lstrip("# ").split(",")
    for line in rows[1:]:
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "edge" and row.get("svname") == server:
            return row["status"]
    return ""


def cache_answers_on_every_application_server(cluster):
    return all(
        requests.get(f"{cluster.node_url(name)}/-/health/", timeout=10).json().get("cache") == "ok"
        for name in cluster.application_names
    )


def test_with_the_redis_primary_killed_sentinel_promotes_the_replica(cluster, cluster_findings):
    """Pages answer 200 throughout (from PostgreSQL while the cache is gone), and the cache is
    back on every application server once Sentinel has promoted the replica."""
    home = requests.get(f"{cluster.url}/", timeout=10).text
    pages = [f"{path}?failover={uuid.uuid4().hex}" for path in ARTICLE_LINK.findall(home)[:4]]
    replica_port = cluster.port("redis-replica")
    wait_until(
        lambda: engines.redis_command(
            cluster.sentinel_ports[0], "SENTINEL", "replicas", engines.SENTINEL_SERVICE
        ),
        "the sentinels know the replica",
        seconds=20,
    )

    killed_at = time.monotonic()
    cluster.engines["redis-primary"].kill()
    promoted_after = None
    while not (promoted_after and cache_answers_on_every_application_server(cluster)):
        every_page_answers(cluster, pages)
        if promoted_after is None and engines.sentinel_primary(cluster.sentinel_ports) == (
            replica_port
        ):
            promoted_after = time.monotonic() - killed_at
        assert time.monotonic() - killed_at < 60, "no failover within 60 s"
        time.sleep(0.1)
    caching_after = time.monotonic() - killed_at

    every_page_answers(cluster, ["/", *pages])
    cluster_findings.append(
        f"Redis primary killed: Sentinel promoted the replica after {promoted_after:.1f} s, "
        f"every application server cached again after {caching_after:.1f} s "
        "(NEWSITE_CACHE_RETRY_AFTER), and every page answered 200 meanwhile"
    )
