"""make capacity: docs/scaling.md holds what the model computes from our measurements."""

import json

import pytest

from bench import capacity


def generated_section(text):
    return text.partition(capacity.BEGIN)[2].partition(capacity.END)[0]


def test_docs_scaling_holds_the_figures_make_capacity_computes_from_our_measurements():
    inputs = capacity.measured(
        json.loads(capacity.PERFORMANCE.read_text()),
        capacity.MONITORING.read_text(),
        "article",
    )
    figures = capacity.report(inputs, capacity.options_from([]))
    document = (capacity.PROJECT / "docs" / "scaling.md").read_text()
    assert generated_section(document) == f"\n{figures}", "run `make capacity`"


def test_a_figure_missing_from_the_measurements_is_a_clear_error(monkeypatch, tmp_path):
    monitoring = tmp_path / "monitoring.md"
    monitoring.write_text("# Monitoring\n\nNo load run yet.\n")
    monkeypatch.setattr(capacity, "MONITORING", monitoring)
    with pytest.raises(SystemExit) as stopped:
        capacity.main([])
    assert "docs/monitoring.md no longer states the edge's hits and misses" in str(stopped.value)
