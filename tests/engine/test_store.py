"""The forecasts file streamed a chunk of cells at a time equals one built from all forecasts at once."""

from __future__ import annotations

import pandas as pd

from tsbench.engine import store as collect_module
from tsbench.metrics.evaluation import evaluate
from tsbench.runner import run_experiment
from tests.helpers import experiment

MODELS = [{"name": "nd", "model": "tests.helpers:NoisyDrift"}, {"name": "rw", "model": "naive"},
          {"name": "ma", "model": "moving_average", "params": {"window": 5}}]


def test_chunked_tables_equal_whole_frame_tables(tmp_path, monkeypatch):
    exp = experiment(tmp_path, MODELS)
    whole = run_experiment(exp, output=tmp_path / "whole", progress=False)
    monkeypatch.setattr(collect_module, "CHUNK_ROWS", 10)  # one cell per chunk
    chunked = run_experiment(exp, output=tmp_path / "chunked", progress=False)

    pd.testing.assert_frame_equal(whole.forecasts, chunked.forecasts)
    pd.testing.assert_frame_equal(whole.metrics, chunked.metrics)
    forecasts = whole.forecasts
    assert list(forecasts.columns[:7]) == ["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred"]
    expected_order = forecasts.sort_values(["model", "unique_id", "cutoff", "h"], ignore_index=True)
    pd.testing.assert_frame_equal(forecasts, expected_order)
    from tsbench.data.loader import load_panel

    panel, _ = load_panel(exp.data)
    again = evaluate(forecasts, panel, exp.metric_names(), exp.metric_params())
    pd.testing.assert_frame_equal(again, whole.metrics.drop(columns="scale"))


def test_all_cells_failed_gives_empty_tables(tmp_path):
    flaky = {"name": "flaky", "model": "tests.helpers:FlakyForecaster",
             "params": {"fail_on": ["s0", "s1", "s2", "s3"]}}
    result = run_experiment(experiment(tmp_path, [flaky]), progress=False)
    assert len(result.failures) == 4
    assert result.forecasts.empty and result.metrics.empty
    assert result.leaderboard.set_index("model").loc["flaky", "series"] == 0
