"""Configuration by environment: embedded defaults with nothing set, a clean deploy check."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def run_manage(*arguments, **environment):
    """Run manage.py in a fresh process with exactly the newsite variables given."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "NEWSITE_", "PYTEST"))
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_nothing_set_the_site_runs_on_sqlite_local_memory_and_debug():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.DEBUG,"
        " 'debug_toolbar' in s.INSTALLED_APPS)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        "django.db.backends.sqlite3",
        "newsite.cache.backend.LocMemCache",
        "True",
        "True",
    ]


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-production-secret-that-is-long-and-random-enough-8f3k2j5h7g9d1s",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is false." in result.stderr


def test_a_mistyped_boolean_is_a_clear_error():
    result = run_manage("check", DJANGO_DEBUG="maybe")
    assert "DJANGO_DEBUG='maybe' is not a boolean; use true or false." in result.stderr
