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


def test_cells_out_of_order_are_sorted_and_sorted_cells_kept(tmp_path):
    import numpy as np
    import pyarrow as pa

    from tsbench.engine.cells import CellResult

    rows = pd.DataFrame({"unique_id": np.repeat(["s1", "s0"], 4), "cutoff": np.tile(pd.to_datetime(["2020-01-02"] * 2 + ["2020-01-01"] * 2), 2),
                         "ds": pd.Timestamp("2020-02-01"), "h": np.tile([2, 1], 4), "model": "m",
                         "y": np.arange(8.0), "y_pred": np.arange(8.0) / 2})
    store = collect_module.RunStore(tmp_path)

    class Cell:
        def __init__(self, key, series):
            self.key, self.name, self.series = key, "m", series

    store.save(CellResult("a", "m", ("s1", "s0"), rows))
    path = tmp_path / "forecasts.parquet"
    assert collect_module.collect(store, [Cell("a", ("s0", "s1"))], path) == 8
    got = pd.read_parquet(path)
    # the time resolution read back depends on the pandas version (pandas 2 keeps the file's): compare values
    pd.testing.assert_frame_equal(got, rows.sort_values(["unique_id", "cutoff", "h"], ignore_index=True),
                                  check_dtype=False)
    table = pa.Table.from_pandas(got, preserve_index=False)
    assert collect_module._in_order(table)
    assert not collect_module._in_order(table.take([1, 0, *range(2, 8)]))
