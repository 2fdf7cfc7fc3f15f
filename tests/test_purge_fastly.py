"""A CDN in front: Fastly purged by surrogate key, the way its API reference documents it.

No CDN can be reached from here, so a stand-in for api.fastly.com runs in this process and
checks every request as Fastly documents it: `POST /service/{service_id}/purge` with the keys
in `Surrogate-Key` (256 at most, each 1,024 bytes at most), `POST
/service/{service_id}/purge_all` (never soft), the token in `Fastly-Key`. It answers what
Fastly answers: 200 with a purge id per key, 401 for a token it does not know, and, when a
test asks, 429 with `Retry-After` or a 5xx. Failed purges are owed in Redis and retried like
Varnish's bans (tests/test_purge_queue.py).
"""

import json
import logging
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from prometheus_client import REGISTRY

from newsite.cache import purge_queue, tags
from newsite.cache.purge_queue import Deliverer
from newsite.cache.purging import purger
from tests.factories import ArticleFactory
from tests.helpers import run_manage

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SERVICE_ID = "SU1Z0isxPaozGVKXdv0eY"
TOKEN = "a-fastly-api-token-for-the-stand-in"
BACKEND = f"fastly:{SERVICE_ID}"
PURGE = re.compile(r"^/service/(?P<service>[A-Za-z0-9]+)/(?P<action>purge|purge_all)$")
MAX_KEYS = 256
MAX_KEY_BYTES = 1024


class FastlyStandIn(ThreadingHTTPServer):
    """api.fastly.com's purge endpoints, strict about what they accept. `requests` lists every
    request; `rejected`, those Fastly would refuse as malformed (none, in a passing test);
    `answers`, canned answers (status, headers) given before the normal ones."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.requests = []
        self.rejected = []
        self.answers = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def purged_keys(self):
        return [
            key for request in self.requests if request["status"] == 200 for key in request["keys"]
        ]


class StandInHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        with self.server.lock:
            status, headers, body = self.answer()
            self.server.requests.append(
                {
                    "path": self.path,
                    "keys": self.headers.get("Surrogate-Key", "").split(),
                    "soft": self.headers.get("Fastly-Soft-Purge"),
                    "status": status,
                    "at": time.monotonic(),
                }
            )
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        data = json.dumps(body).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def answer(self):
        match = PURGE.fullmatch(self.path)
        if match is None or match["service"] != SERVICE_ID:
            return self.refuse(404, "Record not found")
        if self.headers.get("Fastly-Key") != TOKEN:
            return 401, {}, {"msg": "Provided credentials are missing or invalid"}
        if problem := self.malformed(match["action"]):
            return self.refuse(400, problem)
        if self.server.answers:
            status, headers = self.server.answers.pop(0)
            return status, headers, {"msg": "canned"}
        if match["action"] == "purge_all":
            return 200, {}, {"status": "ok", "id": uuid.uuid4().hex}
        keys = self.headers["Surrogate-Key"].split()
        return 200, {}, {key: uuid.uuid4().hex for key in keys}

    def malformed(self, action):
        """What Fastly would refuse in this request, in words; None if nothing."""
        if int(self.headers.get("Content-Length", "0")):
            return "newsite sends the keys in Surrogate-Key, not in a body"
        if self.headers.get("Accept") != "application/json":
            return "Accept: application/json"
        soft = self.headers.get("Fastly-Soft-Purge")
        if action == "purge_all":
            return "purge_all cannot be soft" if soft is not None else None
        keys = self.headers.get("Surrogate-Key", "").split()
        if not keys or len(keys) > MAX_KEYS:
            return f"1 to {MAX_KEYS} keys per request"
        if any(len(key.encode()) > MAX_KEY_BYTES for key in keys):
            return f"keys of {MAX_KEY_BYTES} bytes at most"
        if soft not in (None, "1"):
            return "Fastly-Soft-Purge: 1"
        return None

    def refuse(self, status, why):
        self.server.rejected.append(f"{self.path}: {why}")
        return status, {}, {"msg": why}

    def log_message(self, format, *arguments):
        """Quiet: the test reads `requests` instead."""


@pytest.fixture
def fastly(settings):
    """Django configured for a Fastly service whose API is the stand-in; no Varnish."""
    standin = FastlyStandIn()
    settings.VARNISH_NODES = []
    settings.NEWSITE_FASTLY_SERVICE_ID = SERVICE_ID
    settings.NEWSITE_FASTLY_API_TOKEN = TOKEN
    settings.NEWSITE_FASTLY_API_URL = standin.url
    settings.NEWSITE_EDGE_REBAN_AFTER = 0
    settings.NEWSITE_EDGE_BAN_RETRY_INTERVAL = 0.2
    yield standin
    standin.shutdown()
    standin.server_close()
    assert standin.rejected == []


@pytest.fixture
def deliverer(fastly):
    running = Deliverer(name="another-application-server").start()
    yield running
    running.stop()


def wait_until(condition, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"never happened within {seconds} s: {what}"
        time.sleep(0.02)
    return result


def counted(outcome):
    labels = {"node": BACKEND, "outcome": outcome}
    return REGISTRY.get_sample_value("newsite_edge_bans_total", labels) or 0.0


def owed():
    return purge_queue.owed([BACKEND])[BACKEND]


def test_an_edit_purges_the_tags_its_pages_carry_by_surrogate_key(fastly, client):
    article = ArticleFactory(headline="Before the edit")
    page = client.get(article.get_absolute_url())
    published = len(fastly.requests)  # publishing the article purged its lists
    article.headline = "After the edit"
    article.save()

    [request] = fastly.requests[published:]
    assert request["path"] == f"/service/{SERVICE_ID}/purge"
    assert request["status"] == 200
    assert request["soft"] is None
    assert {f"article:{article.slug}", "home", f"section:{article.section_id}"} <= set(
        request["keys"]
    )
    # Our Surrogate-Key header is Fastly's format: the purge names what the page carries.
    assert f"article:{article.slug}" in page["Surrogate-Key"].split()
    assert owed() == 0


def test_more_keys_than_one_request_may_carry_go_in_batches_of_256(fastly):
    keys = [f"article:story-{number}" for number in range(600)]
    purger.ban(keys)
    assert [len(request["keys"]) for request in fastly.requests] == [256, 256, 88]
    assert fastly.purged_keys() == keys


def test_a_soft_purge_marks_the_pages_stale_when_asked_for(fastly, settings):
    settings.NEWSITE_FASTLY_SOFT_PURGE = True
    purger.ban(["article:glacier-melts"])
    assert [request["soft"] for request in fastly.requests] == ["1"]


def test_a_ban_of_everything_purges_the_whole_service_never_softly(fastly, settings):
    settings.NEWSITE_FASTLY_SOFT_PURGE = True
    with transaction.atomic():
        tags.invalidate_everything()
    [request] = fastly.requests
    assert request["path"] == f"/service/{SERVICE_ID}/purge_all"
    assert request["soft"] is None
    assert request["status"] == 200


def test_a_rate_limited_purge_waits_as_long_as_fastly_asks_then_goes_through(
    fastly, deliverer, caplog
):
    fastly.answers = [(429, {"Retry-After": "1"})]
    with caplog.at_level(logging.WARNING, logger="newsite.cache"):
        purger.ban(["article:glacier-melts"])
    assert "429 Too Many Requests" in caplog.text
    wait_until(lambda: len(fastly.requests) == 2, "the owed purge, sent again")
    limited, accepted = fastly.requests
    assert accepted["at"] - limited["at"] >= 1.0
    assert (limited["status"], accepted["status"]) == (429, 200)
    wait_until(lambda: owed() == 0, "the purge acknowledged")


def test_fastly_errors_are_retried_from_the_queue_until_it_answers(fastly, deliverer):
    fastly.answers = [(503, {}), (503, {}), (500, {})]
    retried, sent = counted("retried"), counted("sent")
    purger.ban(["article:glacier-melts"])
    wait_until(lambda: owed() == 0, "the purge delivered after three failures")
    assert [request["status"] for request in fastly.requests] == [503, 503, 500, 200]
    assert fastly.purged_keys() == ["article:glacier-melts"]
    assert counted("retried") - retried == 3
    assert counted("sent") - sent == 1


def test_a_refused_token_is_given_up_at_once_and_said_so(fastly, settings, caplog):
    settings.NEWSITE_FASTLY_API_TOKEN = "a-token-fastly-does-not-know"
    given_up = counted("given_up")
    with caplog.at_level(logging.ERROR, logger="newsite.cache.purging"):
        purger.ban(["article:glacier-melts"])
    assert "401 Unauthorized" in caplog.text
    assert "check NEWSITE_FASTLY_API_TOKEN" in caplog.text
    assert counted("given_up") - given_up == 1
    deliverer = Deliverer(name="another-application-server")
    deliverer.deliver_once()
    deliverer.deliver_once()
    assert [request["status"] for request in fastly.requests] == [401], "no retry"
    assert owed() == 0


@pytest.mark.parametrize(
    ("environment", "error"),
    [
        ({"NEWSITE_FASTLY_SERVICE_ID": "SU1Z0isxPaozGVKXdv0eY"}, "Set NEWSITE_FASTLY_API_TOKEN"),
        (
            {"NEWSITE_FASTLY_SERVICE_ID": "../../tokens", "NEWSITE_FASTLY_API_TOKEN": TOKEN},
            "is not a Fastly service id",
        ),
    ],
)
def test_a_half_configured_cdn_is_a_clear_error_at_start(environment, error):
    result = run_manage("check", DJANGO_DEBUG="true", **environment)
    assert result.returncode != 0
    assert error in result.stderr
