"""Health endpoints for load balancers: /-/alive/ touches nothing, /-/health/ checks the parts;
and what a reader gets while the database does not answer."""

import socket

import pytest
from django.db import connection
from django.test import Client

from articles import queries
from tests.helpers import run_manage


def closed_port():
    """A loopback port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_alive_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django makes any database access here an error.
    response = client.get("/-/alive/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_health_reports_the_database_and_the_cache(client):
    response = client.get("/-/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.django_db
def test_without_the_cache_the_site_is_degraded_but_serves(client, settings):
    """Pages are then built from the database: the edge must keep asking for them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "newsite.cache.backend.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = client.get("/-/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "failing"}


@pytest.fixture
def unreachable_database(transactional_db):
    """The database connection pointed at a port nobody listens on, as when PostgreSQL is down."""
    database = connection.settings_dict
    address = database["HOST"], database["PORT"]
    connection.close()
    database["HOST"], database["PORT"] = "127.0.0.1", closed_port()
    yield
    connection.close()
    database["HOST"], database["PORT"] = address


@pytest.mark.postgres
def test_without_the_database_health_names_it_with_a_503(unreachable_database, client):
    response = client.get("/-/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "failing", "cache": "ok"}


@pytest.mark.postgres
def test_without_the_database_a_page_gets_back_in_a_moment_with_retry_after(
    unreachable_database,
):
    response = Client(raise_request_exception=False).get("/world/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "private, no-store"
    assert "We are back in a moment" in response.content.decode()


@pytest.mark.django_db
def test_a_bug_still_gets_the_500_page(monkeypatch):
    """Only an unreachable database is an outage; anything else is a 500, as before."""

    def broken():
        raise ZeroDivisionError

    monkeypatch.setattr(queries, "lead_story", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_a_database_that_accepts_and_never_answers_is_given_up_on(tmp_path):
    """A hung PostgreSQL (or a black-holed address) must not hold a worker for ever: Django
    gives up connecting after a few seconds, with an error, instead of waiting for good."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections; nobody ever answers them
        port = silent.getsockname()[1]
        result = run_manage(
            "migrate",
            "--check",
            DJANGO_DEBUG="true",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/newsite",
        )
    assert result.returncode != 0
    assert "timeout expired" in result.stderr
