"""The debug toolbar is for the developer at this machine: behind the edge, where every request
reaches Django from 127.0.0.1, a visitor never gets it."""

import http.client
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = [pytest.mark.varnish, pytest.mark.postgres]

TOOLBAR = 'id="djDebug"'


def get_from(url, source_address):
    """GET `url` from a given loopback address (any 127.x.y.z is this machine's to use)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(
        address.hostname, address.port, timeout=10, source_address=(source_address, 0)
    )
    try:
        connection.request("GET", address.path or "/")
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_a_visitor_through_the_edge_never_sees_the_toolbar(start_edge_stack, transactional_db):
    stack = start_edge_stack(DJANGO_DEBUG="true", DJANGO_DEBUG_TOOLBAR="true")
    # A visitor: Varnish appends their address (127.0.0.2) to X-Forwarded-For.
    status, page = get_from(f"{stack.edge.url}/accounts/login/", "127.0.0.2")
    assert status == 200
    assert TOOLBAR not in page
    # The developer at this machine, straight to the application server: it is on.
    direct = requests.get(f"{stack.application.url}/accounts/login/", timeout=10)
    assert TOOLBAR in direct.text
