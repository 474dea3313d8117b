"""`tsbench run` end to end: files written, and the random walk's scores recomputed by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

Y = [10.0, 11.0, 10.5, 12.0, 12.5, 12.0, 13.0, 14.0, 13.5, 15.0, 16.0, 15.0]

TOY = """
name: toy
data: [{{source: "csv:{csv}", columns: {{id: id, time: t, value: price}}}}]
backtest: {{horizon: 2, origins: 3, step: 1, min_train: 5}}
forecasters:
  - {{name: rw, model: naive}}
  - {{name: ma3, model: moving_average, params: {{window: 3}}}}
metrics: [mae, smape, mase, directional_accuracy]
baseline: rw
output: {out}
"""


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tsbench", *args], capture_output=True, text=True, cwd=cwd)


def hand_scores(y: list[float], cutoffs: list[int], horizon: int) -> dict[str, float]:
    """Random-walk scores written out long-hand, without tsbench.metrics."""
    abs_err, smape_terms, dirs = [], [], []
    for c in cutoffs:
        for h in range(1, horizon + 1):
            actual, pred = y[c + h], y[c]
            abs_err.append(abs(actual - pred))
            smape_terms.append(200 * abs(actual - pred) / (abs(actual) + abs(pred)))
            dirs.append(0.5)  # a no-change forecast carries no direction
    train = y[: cutoffs[0] + 1]
    scale = sum(abs(train[i] - train[i - 1]) for i in range(1, len(train))) / (len(train) - 1)
    mae = sum(abs_err) / len(abs_err)
    return {"mae": mae, "smape": sum(smape_terms) / len(smape_terms), "mase": mae / scale,
            "directional_accuracy": sum(dirs) / len(dirs)}


@pytest.fixture
def toy_run(tmp_path, hand_csv):
    exp = tmp_path / "toy.yaml"
    exp.write_text(TOY.format(csv=hand_csv.name, out=tmp_path / "out"))
    result = run_cli("run", str(exp), "--quiet")
    assert result.returncode == 0, result.stderr
    (run_dir,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    return run_dir, result


def test_random_walk_scores_match_a_hand_computation(toy_run):
    run_dir, _ = toy_run
    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    rw = metrics[(metrics["model"] == "rw") & (metrics["h"] == 0)].set_index("metric")["value"]
    expected = hand_scores(Y, cutoffs=[7, 8, 9], horizon=2)
    for name, value in expected.items():
        assert rw[name] == pytest.approx(value, rel=1e-12), name
    per_h = metrics[(metrics["model"] == "rw") & (metrics["metric"] == "mae") & (metrics["h"] == 2)]["value"]
    assert per_h.iloc[0] == pytest.approx(np.mean([abs(Y[c + 2] - Y[c]) for c in (7, 8, 9)]))


def test_forecast_file_has_the_documented_columns_and_values(toy_run):
    run_dir, _ = toy_run
    fc = pd.read_parquet(run_dir / "forecasts.parquet")
    assert list(fc.columns) == ["unique_id", "cutoff", "ds", "h", "model", "y", "y_pred"]
    ma = fc[fc["model"] == "ma3"].sort_values(["cutoff", "h"])
    assert ma["cutoff"].tolist() == [7, 7, 8, 8, 9, 9]
    assert ma["ds"].tolist() == [8, 9, 9, 10, 10, 11]
    assert ma["y"].tolist() == [Y[8], Y[9], Y[9], Y[10], Y[10], Y[11]]
    assert ma["y_pred"].iloc[0] == pytest.approx(np.mean(Y[5:8]))


def test_leaderboard_manifest_and_printed_table(toy_run):
    run_dir, result = toy_run
    board = pd.read_csv(run_dir / "leaderboard.csv")
    assert board["model"].tolist() == ["rw", "ma3"] or board["model"].tolist() == ["ma3", "rw"]
    assert board.loc[board["model"] == "rw", "baseline"].item()
    assert "| rw * |" in (run_dir / "leaderboard.md").read_text()
    assert "| rw * |" in result.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["config_hash"].startswith(run_dir.name)
    assert manifest["data"][0]["unique_id"] == "toy" and len(manifest["data"][0]["fingerprint"]) == 16
    assert {c["model"] for c in manifest["cells"]} == {"rw", "ma3"}
    assert all(c["fit_time"] >= 0 and c["predict_time"] >= 0 for c in manifest["cells"])
    assert manifest["packages"]["pandas"]
    assert json.loads((run_dir / "failures.json").read_text()) == []


def test_second_run_reuses_stored_cells(toy_run, tmp_path):
    _, _ = toy_run
    again = run_cli("run", str(tmp_path / "toy.yaml"), "--quiet")
    assert "0 cells computed, 2 reused" in again.stdout


def test_config_errors_exit_2_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndata: []\nbackground: {}\n")
    result = run_cli("run", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "bad.yaml: background: unknown key" in result.stderr
    assert "bad.yaml: data: List should have at least 1 item" in result.stderr


def test_validate_command(tmp_path, hand_csv):
    exp = tmp_path / "toy.yaml"
    exp.write_text(TOY.format(csv=hand_csv.name, out=tmp_path / "out"))
    result = run_cli("validate", str(exp))
    assert result.returncode == 0 and "valid (1 data source(s), 1 series, 3 forecast origins, 2 forecaster(s), 2 cells" in result.stdout
    assert not (tmp_path / "out").exists()


def test_datasets_command_lists_the_builtins():
    result = run_cli("datasets")
    assert result.returncode == 0, result.stderr
    for name in ("sp500", "nasdaq", "wti", "vix", "msft", "crude", "default"):
        assert name in result.stdout
    assert "1999-01-04" in result.stdout and "5031" in result.stdout


def test_constant_series_with_mase_is_refused_before_work(tmp_path):
    pd.DataFrame({"t": range(40), "flat": 5.0}).to_csv(tmp_path / "flat.csv", index=False)
    exp = tmp_path / "flat.yaml"
    exp.write_text(TOY.format(csv="flat.csv", out=tmp_path / "o").replace("{id: id, time: t, value: price}", "{time: t}"))
    result = run_cli("run", str(exp), "--quiet")
    assert result.returncode == 2
    assert "series 'flat' is constant over its first training window, so MASE's scale would be zero" in result.stderr
