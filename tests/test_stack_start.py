"""`make stack` (deploy/stack.py) starts on a busy machine, and never with a known password.

Its engines, like every other, are waited for by deploy/engines.py."""

import re
import stat
import subprocess
import sys
import time

import pytest

from demo.credentials import DEMO_STAFF_PASSWORD
from deploy import engines, stack

SLOW_APPLICATION = """
import time

time.sleep(3)  # a worker booting on a busy machine: Django, the app, the imports


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"alive\\n"]
"""


@pytest.fixture
def slow_gunicorn(tmp_path):
    """A real gunicorn whose worker takes 3 s to boot, while its socket already listens."""
    (tmp_path / "slow_application.py").write_text(SLOW_APPLICATION)
    log = tmp_path / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1",
        "--no-control-socket", "--chdir", str(tmp_path), "slow_application:application",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        match = engines.wait_until(
            lambda: re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text()),
            "gunicorn listens",
            seconds=30,
            process=process,
        )
        yield process, int(match[1])
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_waiting_for_a_server_whose_workers_are_still_booting_is_not_a_failure(slow_gunicorn):
    """gunicorn accepts the connection before a worker can answer it: the read times out,
    which means "not yet", like a refused connection."""
    process, port = slow_gunicorn
    started = time.monotonic()
    engines.wait_until(
        lambda: engines.url_answers(f"http://127.0.0.1:{port}/"),
        "gunicorn answers",
        seconds=30,
        process=process,
    )
    assert time.monotonic() - started >= 1, "it did wait for the worker"


def test_the_stack_generates_the_staff_password_keeps_it_private_and_reuses_it(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(stack, "STATE", tmp_path)
    first = stack.environment()
    password = first["NEWSITE_EDITOR_PASSWORD"]
    assert password != DEMO_STAFF_PASSWORD
    assert len(password) >= 16
    kept = tmp_path / "editor_password"
    assert kept.read_text() == password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stack.environment()["NEWSITE_EDITOR_PASSWORD"] == password, "printed again"


def test_the_stack_runs_behind_one_proxy_at_its_own_address(tmp_path, monkeypatch):
    monkeypatch.setattr(stack, "STATE", tmp_path)
    monkeypatch.delenv("NEWSITE_SITE_URL", raising=False)
    environment = stack.environment()
    assert environment["DJANGO_DEBUG"] == "false"
    assert environment["NEWSITE_TRUSTED_PROXIES"] == "1"
    assert environment["NEWSITE_SITE_URL"] == f"http://127.0.0.1:{stack.EDGE_PORT}"
    assert environment["NEWSITE_SERVER_TIMING"] == "detail"
