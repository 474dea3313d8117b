"""A failing, hanging or crashing forecaster fails only its own cells."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tsbench.runner import run_experiment
from tests.helpers import experiment

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"name": "nd", "model": "tests.helpers:NoisyDrift"}


def _assert_intact(result, reference, model="nd"):
    """The ``model`` forecasts of ``result`` equal those of a run without the failing model."""
    got = result.forecasts.query("model == @model").reset_index(drop=True)
    want = reference.forecasts.query("model == @model").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


@pytest.fixture
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reference")
    return run_experiment(experiment(folder, [GOOD]), progress=False)


def test_raising_forecaster_fails_only_its_cells(tmp_path, reference):
    flaky = {"name": "flaky", "model": "tests.helpers:FlakyForecaster", "params": {"fail_on": ["s1", "s2"]}}
    result = run_experiment(experiment(tmp_path, [GOOD, flaky]), progress=False)

    assert sorted((f["model"], f["series"][0]) for f in result.failures) == [("flaky", "s1"), ("flaky", "s2")]
    assert all("deliberate failure" in f["error"] and "Traceback" in f["traceback"] for f in result.failures)
    stored = json.loads((result.run_dir / "failures.json").read_text())
    assert [f["key"] for f in stored] == [f["key"] for f in result.failures]
    log = (result.run_dir / "run.log").read_text()
    assert "deliberate failure on series s1" in log and "Traceback" in log
    board = result.leaderboard.set_index("model")
    assert board.loc["flaky", "series"] == 2 and not board.loc["flaky", "complete"]
    assert board.loc["nd", "series"] == 4 and board.loc["nd", "complete"]
    assert sorted(result.forecasts.query("model == 'flaky'")["unique_id"].unique()) == ["s0", "s3"]
    _assert_intact(result, reference)
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert sorted(manifest["failed_cells"]) == sorted(f["key"] for f in result.failures)
    assert manifest["timing"]["cells_failed"] == 2

    retried = run_experiment(experiment(tmp_path, [GOOD, flaky]), progress=False)
    assert (retried.computed, retried.reused) == (2, 6)  # only the failed cells are tried again


@pytest.mark.slow
def test_cli_exits_non_zero_with_a_summary(tmp_path):
    flaky = {"name": "flaky", "model": "tests.helpers:FlakyForecaster", "params": {"fail_on": ["s0"]}}
    path = experiment(tmp_path, [GOOD, flaky], write=True)
    out = subprocess.run([sys.executable, "-m", "tsbench", "run", str(path), "--quiet"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    summary = " ".join(out.stderr.split())
    assert "1 cell(s) failed, for model(s) flaky" in summary and "failures.json" in summary
    assert "| flaky | 3 (75% of origins) |" in out.stdout  # the leaderboard shows the missing series


@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_timeout_fails_the_slow_cell_only(tmp_path, reference, kind):
    hang = {"name": "hang", "model": "tests.helpers:HangingForecaster", "params": {"hang_on": ["s3"]}}
    executor = {"kind": kind, "timeout": 1.0, **({"workers": 2} if kind == "processes" else {})}
    result = run_experiment(experiment(tmp_path, [GOOD, hang], executor), progress=False)

    assert [(f["model"], f["series"]) for f in result.failures] == [("hang", ["s3"])]
    assert result.failures[0]["error"].startswith("CellTimeout")
    assert "time.sleep" in result.failures[0]["traceback"]  # interrupted from inside: the worker survives
    assert result.leaderboard.set_index("model").loc["hang", "series"] == 3
    _assert_intact(result, reference)


@pytest.mark.slow
def test_process_timeout_stops_a_cell_that_ignores_the_soft_limit(tmp_path, reference):
    deaf = {"name": "deaf", "model": "tests.helpers:HangingForecaster", "params": {"hang_on": ["s0"], "deaf": True}}
    executor = {"kind": "processes", "workers": 2, "timeout": 0.5}
    result = run_experiment(experiment(tmp_path, [GOOD, deaf], executor), progress=False)

    assert [(f["model"], f["series"]) for f in result.failures] == [("deaf", ["s0"])]
    assert "worker process was stopped" in result.failures[0]["error"]
    assert result.computed == 8 and len(result.forecasts) == 7 * 6 * 3
    _assert_intact(result, reference)


@pytest.mark.slow
def test_dead_worker_fails_its_cell_and_the_others_complete(tmp_path, reference):
    crash = {"name": "crash", "model": "tests.helpers:CrashingForecaster", "params": {"crash_on": ["s2"]}}
    result = run_experiment(experiment(tmp_path, [GOOD, crash], {"kind": "processes", "workers": 2}),
                            progress=False)

    assert [(f["model"], f["series"]) for f in result.failures] == [("crash", ["s2"])]
    assert result.failures[0]["error"].startswith("WorkerCrashed")
    assert result.leaderboard.set_index("model").loc["crash", "series"] == 3
    _assert_intact(result, reference)
