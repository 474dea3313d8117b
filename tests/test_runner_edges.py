"""Edges of a run: non-finite forecasts, unwritable output, validate reading the data, the plugin check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tsbench.errors import ConfigError, DataError, PluginError
from tsbench.experiment import parse_experiment
from tsbench.runner import run_experiment
from tests.helpers import experiment

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"name": "nd", "model": "tests.helpers:NoisyDrift"}


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_forecasts_are_counted_not_scored(tmp_path, value):
    bad = {"name": "bad", "model": "tests.helpers:NonFinite", "params": {"value": float(value)}}
    result = run_experiment(experiment(tmp_path, [GOOD, bad]), progress=False, report=False)
    board = result.leaderboard.set_index("model")
    assert np.isfinite(board.loc["bad", "mae"])  # an inf never reaches the leaderboard
    assert board.loc["nd", "scored"] == 1.0 and bool(board.loc["nd", "complete"])
    assert 0 < board.loc["bad", "scored"] < 1 and not bool(board.loc["bad", "complete"])
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    dropped = manifest["nonfinite"]["bad"]
    assert dropped > 0 and "nd" not in manifest["nonfinite"]
    planned = 4 * 6  # series x origins
    assert manifest["coverage"]["bad"] == pytest.approx((planned - dropped) / planned)
    assert result.forecasts.query("model == 'bad'")["cutoff"].nunique() < 6
    md = (result.run_dir / "leaderboard.md").read_text()
    assert f"of origins)" in md and "NaN/inf" in md


def test_non_finite_forecasts_use_the_fallback(tmp_path):
    bad = {"name": "bad", "model": "tests.helpers:NonFinite", "params": {"value": float("inf")},
           "fallback": "naive"}
    result = run_experiment(experiment(tmp_path, [bad]), progress=False, report=False)
    row = result.leaderboard.set_index("model").loc["bad"]
    assert row["scored"] == 1.0 and np.isfinite(row["mae"])
    assert result.forecasts["fallback"].eq("naive").any()


def test_output_path_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("not a folder")
    exp = experiment(tmp_path, [GOOD])
    with pytest.raises(ConfigError, match="'.*taken' is an existing file, not a folder"):
        run_experiment(exp, output=tmp_path / "taken", progress=False)


def test_output_folder_that_cannot_be_written(tmp_path):
    exp = experiment(tmp_path, [GOOD])
    with pytest.raises(ConfigError, match="is not writable .*choose a folder you can write to"):
        run_experiment(exp, output="/sys/tsbench-results", progress=False)  # sysfs refuses even root


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tsbench", "validate", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_validate_reads_the_data_and_plans_the_backtest(tmp_path):
    path = experiment(tmp_path, [GOOD], write=True)
    raw = yaml.safe_load(path.read_text())
    ok = _validate(path)
    assert ok.returncode == 0 and "4 series, 24 forecast origins" in ok.stdout

    raw["data"][0]["source"] = f"csv:{tmp_path / 'absent.csv'}"
    path.write_text(yaml.safe_dump(raw))
    missing = _validate(path)
    assert missing.returncode == 2 and "absent.csv' does not exist" in missing.stderr

    raw["data"][0]["source"] = f"csv:{tmp_path / 'panel.csv'}"
    raw["backtest"]["origins"] = 60
    path.write_text(yaml.safe_dump(raw))
    short = _validate(path)
    assert short.returncode == 2 and "too few for the backtest" in short.stderr
    assert "Traceback" not in missing.stderr + short.stderr


def test_start_after_the_end_of_the_data_says_so(tmp_path):
    raw = yaml.safe_load(experiment(tmp_path, [GOOD], write=True).read_text())
    raw["backtest"] = {"horizon": 3, "start": "2021-01-04"}
    with pytest.raises(DataError, match=r"backtest.start 2021-01-04 leaves no origin: the data end at 2020-06-16"
                                        r".*latest start that leaves a forecast to score is 2020-06-12"):
        run_experiment(parse_experiment(raw), progress=False)
    raw["backtest"] = {"horizon": 3, "start": 500}
    with pytest.raises(DataError, match="has dates; 'start' must be a date"):
        run_experiment(parse_experiment(raw), progress=False)


def test_run_checks_plugins_for_look_ahead_before_work(tmp_path):
    peek = {"name": "peek", "model": "plugin_fixtures:PeekingLocal"}
    exp = experiment(tmp_path, [GOOD, peek])
    with pytest.raises(PluginError, match="'peek' .*failed the no-look-ahead check: predict_origins .*"
                                          "--no-plugin-check"):
        run_experiment(exp, progress=False, report=False)
    assert not list((tmp_path / "results").rglob("cells/*.json"))  # nothing was computed
    skipped = run_experiment(exp, progress=False, report=False, check_plugins=False)
    assert skipped.ok
