"""Metrics under gunicorn: the master serves what every worker counted, on a port of its own.

A real gunicorn (deploy/gunicorn.conf.py) with several workers; its workers are replaced
halfway through the traffic, as max_requests does in production, and nothing they counted is lost.
"""

import os
import signal
from pathlib import Path

import pytest
import requests

from articles.queries import reads
from deploy.engines import wait_until
from tests.monitoring import gunicorn_with_metrics, scrape, total

# django_db: so that the session creates the test database, which gunicorn then uses.
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture(scope="module")
def application(tmp_path_factory, django_db_setup):
    with gunicorn_with_metrics(tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


def workers_of(master):
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def send(url, count):
    for _ in range(count):
        # A new connection each time, so that the workers share the requests between them.
        with requests.Session() as session:
            assert session.get(url, timeout=5).status_code == 200


def test_the_counts_of_every_worker_add_up_even_after_the_workers_were_replaced(application):
    robots = f"{application.url}/robots.txt"
    send(robots, 30)
    first_workers = workers_of(application.process)
    assert len(first_workers) == 2
    for pid in first_workers:
        os.kill(pid, signal.SIGTERM)  # gunicorn starts a new worker for each one

    def replaced():
        workers = workers_of(application.process)
        return len(workers) == 2 and not workers & first_workers

    wait_until(replaced, "two new workers", seconds=30, process=application.process)
    send(robots, 30)

    samples = scrape(application.metrics_url)
    assert total(samples, "newsite_requests_total", view="robots-txt") == 60
    assert total(samples, "newsite_request_duration_seconds_count", view="robots-txt") == 60
    assert total(samples, "newsite_gunicorn_workers") == 2
    assert total(samples, "newsite_gunicorn_threads") == 4


def test_reads_waiting_to_be_saved_are_served_by_the_master(application):
    for article_id in [1, 1, 1, 1, 2]:
        reads.increment(article_id)
    samples = scrape(application.metrics_url)
    assert total(samples, "newsite_reads_unsaved") == 5
    assert total(samples, "newsite_reads_unsaved_articles") == 2


def test_the_metrics_are_not_served_on_the_sites_own_port(application):
    assert requests.get(f"{application.url}/metrics/", timeout=5).status_code == 404
    assert requests.get(application.metrics_url, timeout=5).status_code == 200
