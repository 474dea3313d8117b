"""Chunks of series in one cell: same forecasts as a cell per series, and a failing series fails alone."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tsbench.engine import chunks
from tsbench.engine.chunks import chunk_series, chunk_size
from tsbench.experiment import parse_experiment
from tsbench.runner import run_experiment

MODELS = [{"name": "nd", "model": "tests.helpers:FlatHater"}, {"name": "ma", "model": "moving_average", "params": {"window": 5}}]


def experiment(folder, executor=None, flat: str | None = None):
    rng = np.random.default_rng(5)
    wide = pd.DataFrame(100 + np.cumsum(rng.normal(0, 1, (80, 12)), axis=0), columns=[f"s{i:02d}" for i in range(12)])
    if flat:
        wide[flat] = 100.0
    wide.insert(0, "t", np.arange(80))
    wide.to_csv(folder / "wide.csv", index=False)
    return parse_experiment({
        "name": "chunks", "data": [{"source": "csv:wide.csv", "columns": {"time": "t"}, "target": "price"}],
        "backtest": {"horizon": 2, "origins": 5, "step": 2, "refit_every": 2},
        "forecasters": MODELS, "metrics": ["mae"], "output": str(folder / "out"),
        "executor": executor or {"kind": "serial", "workers": 2}, "seed": 3,
    })


def test_chunk_sizes_give_each_worker_several_cells_and_stay_bounded():
    assert chunk_size(24, 2, cheap=True) == 3
    assert chunk_size(10**6, 2, cheap=True) == chunks.MAX_CHUNK
    assert chunk_size(5, 2, cheap=False) == 1
    assert [len(c) for c in chunk_series([str(i) for i in range(10)], 1, cheap=True)] == [3, 3, 3, 1]


def test_chunked_cells_give_the_forecasts_of_one_cell_per_series(tmp_path, monkeypatch):
    chunked = run_experiment(experiment(tmp_path), base_dir=tmp_path, output=tmp_path / "chunked", progress=False)
    assert chunked.ok and chunked.computed == 2 * 6  # 12 series in chunks of 2, for each of two models
    monkeypatch.setattr(chunks, "MAX_CHUNK", 1)
    single = run_experiment(experiment(tmp_path), base_dir=tmp_path, output=tmp_path / "single", progress=False)
    assert single.computed == 2 * 12
    keys = ["model", "unique_id", "cutoff", "h"]
    pd.testing.assert_frame_equal(chunked.forecasts.sort_values(keys, ignore_index=True),
                                  single.forecasts.sort_values(keys, ignore_index=True))


def test_a_failing_series_fails_alone_and_its_chunk_runs_again(tmp_path):
    exp = experiment(tmp_path, flat="s04")
    first = run_experiment(exp, base_dir=tmp_path, progress=False)
    assert [(f["model"], f["series"]) for f in first.failures] == [("nd", ["s04"])]
    fc = first.forecasts
    assert set(fc.loc[fc["model"] == "nd", "unique_id"]) == {f"s{i:02d}" for i in range(12)} - {"s04"}
    assert fc.groupby("model")["unique_id"].nunique().to_dict() == {"ma": 12, "nd": 11}
    record = next(r for r in json.loads((first.run_dir / "manifest.json").read_text())["cells"] if "failed_series" in r)
    assert record["series"] == ["s04", "s05"] and [f["series"] for f in record["failed_series"]] == ["s04"]
    again = run_experiment(exp, base_dir=tmp_path, progress=False)  # the partial chunk is computed again, alone
    assert (again.computed, again.reused) == (1, 2 * 6 - 1)
    assert len(again.failures) == 1
    pd.testing.assert_frame_equal(again.forecasts, fc)


def test_a_series_that_kills_its_worker_fails_alone_and_the_rest_of_its_chunk_completes(tmp_path):
    exp = experiment(tmp_path, {"kind": "processes", "workers": 2}, flat="s04")
    exp = exp.model_copy(update={"forecasters": [exp.forecasters[0].model_copy(update={
        "name": "crash", "model": "tests.helpers:FlatCrasher"})]})
    result = run_experiment(exp, base_dir=tmp_path, progress=False)
    assert [f["series"] for f in result.failures] == [["s04"]]
    assert "WorkerCrashed" in result.failures[0]["error"]
    assert set(result.forecasts["unique_id"]) == {f"s{i:02d}" for i in range(12)} - {"s04"}


def test_a_chunk_where_every_series_fails_reports_each_series(tmp_path):
    exp = experiment(tmp_path, flat="s04")
    exp = exp.model_copy(update={"forecasters": exp.forecasters[:1]})
    rows = pd.read_csv(tmp_path / "wide.csv")
    rows["s05"] = 7.0  # s04 and s05 share a chunk, and both fail
    rows.to_csv(tmp_path / "wide.csv", index=False)
    result = run_experiment(exp, base_dir=tmp_path, progress=False)
    assert sorted(f["series"][0] for f in result.failures) == ["s04", "s05"]
    assert all("constant series" in f["error"] for f in result.failures)
