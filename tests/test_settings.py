"""Configuration by environment: embedded defaults with nothing set, a clean deploy check."""

from pathlib import Path

from tests.helpers import run_manage

PROJECT = Path(__file__).resolve().parent.parent


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-8f3k2j5h7g9d1s",
    "NEWSITE_SITE_URL": "https://news.example.com",
}


def print_settings(*names, **environment):
    """The values of these settings, as a fresh process with this environment sees them."""
    code = (
        "from django.conf import settings as s; print("
        + ", ".join(f"s.{name}" for name in names)
        + ")"
    )
    result = run_manage("shell", "-c", code, **environment)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-len(names) :]


def test_make_runs_development_settings_run_on_sqlite_local_memory_and_debug():
    """What `make run` sets (DJANGO_DEBUG=true) and nothing else is enough to run."""
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.DEBUG,"
        " 'debug_toolbar' in s.INSTALLED_APPS)",
        DJANGO_DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == [
        "django.db.backends.sqlite3",
        "newsite.cache.backend.LocMemCache",
        "True",
        "True",
    ]


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is false." in result.stderr


def test_a_mistyped_boolean_is_a_clear_error():
    result = run_manage("check", DJANGO_DEBUG="maybe")
    assert "DJANGO_DEBUG='maybe' is not a boolean; use true or false." in result.stderr


def test_with_nothing_set_debug_is_off_and_the_public_development_key_is_refused():
    """A fork deployed without a single variable must not run in debug mode with a known key."""
    result = run_manage("check")
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is false." in result.stderr
    assert print_settings("DEBUG", DJANGO_SECRET_KEY="x" * 50, NEWSITE_SITE_URL="https://a.b") == [
        "False"
    ]


def test_make_run_turns_debug_on_for_itself_only():
    makefile = (PROJECT / "Makefile").read_text()
    assert "run: export DJANGO_DEBUG = true" in makefile


def test_production_refuses_to_start_without_the_site_address():
    result = run_manage(
        "check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"]
    )
    assert result.returncode != 0
    assert "Set NEWSITE_SITE_URL (such as https://news.example.com)" in result.stderr


def test_a_site_address_with_a_path_is_a_clear_error():
    result = run_manage("check", **{**PRODUCTION, "NEWSITE_SITE_URL": "news.example.com/x"})
    assert "is not a site address; write it as https://news.example.com" in result.stderr


def test_a_mistyped_rate_limit_is_a_clear_error():
    result = run_manage("check", **PRODUCTION, NEWSITE_RATE_LIMIT_SEARCH="lots")
    assert "NEWSITE_RATE_LIMIT_SEARCH='lots' is not a rate" in result.stderr


def test_server_timing_tells_only_the_total_in_production_unless_asked_for_detail():
    assert print_settings("NEWSITE_SERVER_TIMING", **PRODUCTION) == ["total"]
    assert print_settings("NEWSITE_SERVER_TIMING", DJANGO_DEBUG="true") == ["detail"]
    detail = {**PRODUCTION, "NEWSITE_SERVER_TIMING": "detail"}
    assert print_settings("NEWSITE_SERVER_TIMING", **detail) == ["detail"]


def test_the_site_settings_never_ask_whether_tests_are_running():
    """What only the test process wants lives in tests/settings.py, which pytest loads."""
    source = (PROJECT / "newsite" / "settings.py").read_text().lower()
    assert "pytest" not in source
