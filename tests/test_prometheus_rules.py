"""The Prometheus configuration, recording rules and launch alerts (deploy/prometheus/), checked
and unit-tested by Prometheus' own tool, promtool."""

import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.prometheus.render import render
from tests import prometheus_tools

pytestmark = pytest.mark.prometheus

PROMETHEUS = Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
RULE_FILES = [PROMETHEUS / "recording-rules.yml", PROMETHEUS / "alerting-rules.yml"]
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))


def promtool(*arguments):
    return subprocess.run(
        [prometheus_tools.paths["promtool"], *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_rule_files_are_valid():
    result = promtool("check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_pass_their_promtool_tests():
    """Each alert fires when it should and stays quiet when it should not; each recorded
    quantity comes out right from known counters."""
    assert RULE_TESTS
    result = promtool("test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr


def alerting_rules():
    groups = yaml.safe_load((PROMETHEUS / "alerting-rules.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_has_a_case_that_fires_it_and_one_that_stays_quiet():
    fired, quiet = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alerting_rules()}
    assert names - fired == set(), "alerts that no test fires"
    assert names - quiet == set(), "alerts that no test keeps quiet"


def test_every_alert_explains_itself_in_one_line():
    for rule in alerting_rules():
        description = rule["annotations"]["description"]
        assert description, rule["alert"]
        assert "\n" not in description, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]


def test_the_rendered_configuration_is_valid(tmp_path):
    configuration = tmp_path / "prometheus.yml"
    configuration.write_text(
        render(
            {
                "prometheus": ["127.0.0.1:9090"],
                "django": ["127.0.0.1:9808", "127.0.0.1:9809"],
                "varnish": ["127.0.0.1:9131"],
            }
        )
    )
    result = promtool("check", "config", configuration)
    assert result.returncode == 0, result.stdout + result.stderr
    scraped = {
        job["job_name"]: job["static_configs"][0]["targets"]
        for job in yaml.safe_load(configuration.read_text())["scrape_configs"]
    }
    assert scraped["django"] == ["127.0.0.1:9808", "127.0.0.1:9809"]
    assert scraped["haproxy"] == []
