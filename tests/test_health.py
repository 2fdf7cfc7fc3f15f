"""Health endpoints for load balancers: /-/alive/ touches nothing, /-/health/ checks the parts."""

import socket

import pytest


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
def test_health_names_the_failing_part_with_a_503(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "newsite.cache.backend.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = client.get("/-/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "cache": "failing"}
