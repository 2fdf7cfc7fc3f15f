"""The edge's VCL on its own, with varnishtest: cookies, ESI, grace, bans and leaks.

Each deploy/varnish/tests/*.vtc file starts a Varnish with newsite.vcl in front of a scripted
backend and checks what reaches the backend and what reaches the client.
"""

import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, StringConverter

from deploy.varnish.render import render
from newsite.cache import canonical
from tests.services import varnish_binaries
from tests.stack import Varnish

VTC_DIRECTORY = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "tests"

pytestmark = pytest.mark.varnish


@pytest.mark.parametrize("vtc", sorted(VTC_DIRECTORY.glob("*.vtc")), ids=lambda path: path.stem)
def test_the_vcl_passes_its_varnishtest(vtc):
    result = subprocess.run(
        [shutil.which("varnishtest"), "-q", vtc.name],
        cwd=VTC_DIRECTORY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_top_file_compiles_for_any_backend(tmp_path):
    top = tmp_path / "top.vcl"
    secret = "a-secret-for-this-test-that-is-long-enough"
    top.write_text(render(("10.0.0.7", "8000"), ["10.0.0.0/24", "127.0.0.1"], purge_secret=secret))
    varnishd = varnish_binaries()[0]
    # -j none: as root, the jail would read the file as the varnish user, who may not.
    storage = ["-s", "shared=malloc", "-s", "reader=malloc"]
    command = [varnishd, "-C", "-j", "none", *storage, "-f", str(top)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_top_file_is_not_written_without_a_purge_secret():
    """Without it, anybody at an allowed address could ban: render.py refuses, and says why."""
    script = Path(__file__).resolve().parent.parent / "deploy" / "varnish" / "render.py"
    environment = {
        name: value for name, value in os.environ.items() if name != "NEWSITE_EDGE_PURGE_SECRET"
    }
    command = [sys.executable, str(script), "--backend", "127.0.0.1:8000"]
    refused = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert refused.returncode == 2
    assert "Set NEWSITE_EDGE_PURGE_SECRET" in refused.stderr
    assert refused.stdout == ""

    environment["NEWSITE_EDGE_PURGE_SECRET"] = "too-short"
    assert subprocess.run(command, capture_output=True, env=environment).returncode == 2

    environment["NEWSITE_EDGE_PURGE_SECRET"] = "x" * 40
    written = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert written.returncode == 0
    assert f'req.http.X-Purge-Secret != "{"x" * 40}"' in written.stdout


# ------------------------------------------------------------------------------
# The edge and Django agree on the query parameters each shared page reads
# ------------------------------------------------------------------------------
class Recorder:
    """A backend that answers every request and remembers the URLs Varnish asked it for."""

    def __init__(self):
        self.urls = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                # Varnish's health probe asks on its own, at any moment: not a request of ours.
                if self.path != "/-/health/":
                    recorder.urls.append(self.path)
                self.send_response(200)
                # Private: each request below reaches the backend, even a repeated URL.
                self.send_header("Cache-Control", "private, no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url_asked_for(self, edge_url, url):
        self.urls.clear()
        assert requests.get(f"{edge_url}{url}").status_code == 200
        (received,) = self.urls
        return received


@pytest.fixture
def edge_with_recorder(tmp_path):
    recorder = Recorder()
    varnish = Varnish(tmp_path).start()
    varnish.use_backend(recorder.port)
    yield varnish, recorder
    varnish.stop()
    recorder.server.shutdown()


SAMPLE_BY_CONVERTER = {IntConverter: 7, SlugConverter: "world", StringConverter: "articles"}


def url_patterns(patterns=None, prefix="", namespace="", converters=None):
    """(URL name, route, converters) for every named URL of the site."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        found = {**(converters or {}), **pattern.pattern.converters}
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, route, inner, found)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", route, found


def sample_path(name, converters):
    """A URL of this name, its path parameters filled with plausible values."""
    kwargs = {
        parameter: SAMPLE_BY_CONVERTER.get(type(converter), 1)
        for parameter, converter in converters.items()
    }
    if name == "articles:article":
        kwargs["year"] = 2026
    return reverse(name, kwargs=kwargs)


# What the edge passes to Django untouched: the admin, accounts, health checks and beacon.
PRIVATE_PREFIXES = ("/admin/", "/accounts/", "/-/")
EVERY_PARAMETER = ["zz", "utm_source", "page", "q", "p", "next", "pages"]


def test_every_page_the_edge_may_share_declares_the_query_parameters_it_reads():
    undeclared = {
        name
        for name, route, _ in url_patterns()
        if name not in canonical.SHARED_PAGES and not f"/{route}".startswith(PRIVATE_PREFIXES)
    }
    # The one exception answers POST only, which the edge always passes.
    assert undeclared == {"articles:post-comment"}


def test_the_edge_drops_exactly_the_query_parameters_django_does_not_read(edge_with_recorder):
    varnish, recorder = edge_with_recorder
    for name, _, converters in url_patterns():
        if name not in canonical.SHARED_PAGES:
            continue
        path = sample_path(name, converters)
        query = "&".join(f"{parameter}=7" for parameter in EVERY_PARAMETER)
        read = sorted(f"{parameter}=7" for parameter in canonical.parameters_read(name))
        expected = f"{path}?{'&'.join(read)}" if read else path
        assert recorder.url_asked_for(varnish.url, f"{path}?{query}") == expected, name


def test_a_canonical_url_from_django_reaches_django_unchanged_through_the_edge(
    edge_with_recorder,
):
    """Otherwise Django would redirect it again, and again."""
    varnish, recorder = edge_with_recorder
    values = {"page": "2", "p": "3", "q": "brexit vote ~ café", "next": "/world/?a=1"}
    for name, _, converters in url_patterns():
        if name not in canonical.SHARED_PAGES:
            continue
        pairs = [(parameter, values[parameter]) for parameter in canonical.parameters_read(name)]
        url = canonical.url_with_query(sample_path(name, converters), canonical.query_string(pairs))
        assert recorder.url_asked_for(varnish.url, url) == url, name


def test_the_query_strings_of_private_pages_reach_django_untouched(edge_with_recorder):
    varnish, recorder = edge_with_recorder
    for url in ["/accounts/login/?next=/world/&zz=1", "/admin/articles/article/?q=x&p=2&o=1"]:
        assert recorder.url_asked_for(varnish.url, url) == url
