"""The report end to end: written by `tsbench run`, rebuilt by `tsbench report`, compared, opened in Chromium."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tsbench.cli import app
from tsbench.experiment import parse_experiment
from tsbench.runner import run_experiment
from tsbench.testing import synthetic_panel
from tsbench.metrics.registry import is_metric

pytest.importorskip("matplotlib")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def _experiment(tmp: Path, models=("naive", "drift", "mean"), **extra):
    panel = synthetic_panel(n_series=3, length=90, seed=4)
    panel[panel["unique_id"] != "s2"].to_csv(tmp / "first.csv", index=False)
    panel[panel["unique_id"] == "s2"].to_csv(tmp / "second.csv", index=False)
    raw = {
        "name": "report_test",
        "data": [{"source": "csv:first.csv"}, {"source": "csv:second.csv"}],
        "backtest": {"horizon": 3, "origins": 12, "step": 1},
        "forecasters": [{"name": m, "model": m} for m in models],
        "metrics": ["mae", "rmse", "directional_accuracy"],
        "baseline": "naive",
        "executor": {"kind": "serial"},
        **extra,
    }
    return parse_experiment(raw)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    result = run_experiment(_experiment(tmp), base_dir=tmp, output=tmp / "out", progress=False)
    assert result.ok and result.report_note is None
    assert result.report == result.run_dir / "report.html"
    return result.run_dir


def test_run_writes_a_self_contained_report(run_dir):
    page = (run_dir / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="leaderboard"' in page
    srcs = re.findall(r'src="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert not re.search(r'(href|src)="(https?:)?//', page)  # nothing fetched from elsewhere
    pngs = sorted(p.name for p in (run_dir / "plots").glob("*.png"))
    assert len(srcs) == len(pngs)
    for name in ("critical_difference.png", "horizon_mae.png", "forecasts_s0.png", "cumulative_s2.png"):
        assert name in pngs
    assert (run_dir / "plots" / "forecasts_s0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tables_group_series_by_dataset_and_carry_tests(run_dir):
    by_dataset = pd.read_csv(run_dir / "tables" / "by_dataset.csv")
    assert set(by_dataset["dataset"]) == {"(all)", "csv:first.csv", "csv:second.csv"}
    assert by_dataset.loc[by_dataset["dataset"] == "csv:first.csv", "series"].eq(2).all()
    board = pd.read_csv(run_dir / "tables" / "leaderboard.csv")
    assert {"mean_rank", "dm_better", "dm_worse", "in_mcs"} <= set(board.columns)
    dm = pd.read_csv(run_dir / "tables" / "dm.csv")
    assert len(dm) == 3 * 2 and dm["overlap"].eq(3).all()
    for name in ("relative", "ranks", "horizon_mae", "pt", "mcs", "friedman"):
        assert (run_dir / "tables" / f"{name}.csv").exists()
    md = (run_dir / "tables.md").read_text()
    assert "### leaderboard" in md and "### dm" in md


def test_report_command_rebuilds_without_refitting(run_dir, monkeypatch):
    import tsbench.forecasters.registry

    def no_fitting(*args, **kwargs):
        raise AssertionError("report must not build forecasters")

    monkeypatch.setattr(tsbench.forecasters.registry, "make_forecaster", no_fitting)
    before = {p.name: p.stat().st_mtime_ns for p in (run_dir / "cells").iterdir()}
    (run_dir / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(run_dir), "--mcs-alpha", "0.2", "--last-origins", "2"])
    assert result.exit_code == 0, result.output
    assert (run_dir / "report.html").exists()
    assert "80% model confidence set" in (run_dir / "report.html").read_text()
    assert "dm_better" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in (run_dir / "cells").iterdir()} == before


def test_report_command_on_a_folder_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code != 0
    assert "not a finished run folder" in str(result.exception)


def test_compare_shows_changes_model_by_model(run_dir, tmp_path):
    exp = _experiment(tmp_path, models=("naive", "drift", "moving_average"))
    other = run_experiment(exp, base_dir=tmp_path, output=tmp_path / "out", progress=False, report=False)
    assert not (other.run_dir / "report.html").exists()
    result = CliRunner().invoke(app, ["compare", str(run_dir), str(other.run_dir), "-m", "mae", "-m", "rmse"])
    assert result.exit_code == 0, result.output
    lines = {line.split("|")[1].strip(): line for line in result.output.splitlines() if line.startswith("| ")}
    assert "same forecasts" in lines["naive"]
    assert "only in A" in lines["mean"]
    assert "only in B" in lines["moving_average"]
    assert "mae_change" in lines["model"] and "rmse_a" in lines["model"]


def test_run_without_matplotlib_keeps_results_and_explains(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = run_experiment(_experiment(tmp_path, models=("naive", "drift")), base_dir=tmp_path,
                            output=tmp_path / "out", progress=False)
    assert result.ok and result.report is None
    assert "pip install 'tsbench[report]'" in result.report_note
    assert (result.run_dir / "tables" / "leaderboard.csv").exists()
    assert not (result.run_dir / "report.html").exists()


def test_report_can_be_switched_off_in_the_experiment(tmp_path):
    exp = _experiment(tmp_path, models=("naive", "drift"), report={"enabled": False})
    result = run_experiment(exp, base_dir=tmp_path, output=tmp_path / "out", progress=False)
    assert result.report is None and not (result.run_dir / "tables").exists()


def test_top_level_leaderboard_files_and_console_carry_the_tests_and_the_verdict(tmp_path):
    import yaml

    from tsbench.report.tables import TEST_COLUMNS

    raw = _experiment(tmp_path).model_dump(mode="json", exclude_none=True)
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(raw))
    result = CliRunner().invoke(app, ["run", str(tmp_path / "exp.yaml"), "-q", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    run_dir = next((tmp_path / "out").iterdir())
    top = pd.read_csv(run_dir / "leaderboard.csv")
    assert set(TEST_COLUMNS) <= set(top.columns)
    pd.testing.assert_frame_equal(top, pd.read_csv(run_dir / "tables" / "leaderboard.csv"))
    verdict = next(line for line in result.output.splitlines() if line.startswith("Best by mae"))
    assert "than the baseline naive on" in verdict and "model confidence set" in verdict
    md = (run_dir / "leaderboard.md").read_text()
    assert verdict in md and all(c in md for c in TEST_COLUMNS)
    _assert_verdict_matches(verdict, top)
    console_header = next(line for line in result.output.splitlines() if line.startswith("| model"))
    assert "dm_better" in console_header and "in_mcs" in console_header


def _assert_verdict_matches(verdict: str, board: pd.DataFrame) -> None:
    """Every claim of the verdict agrees with the leaderboard's test columns."""
    n = int(board["series"].max())
    metric = next(c for c in board.columns if is_metric(c))  # after model, baseline, series (and scored)
    assert verdict.startswith(f"Best by {metric} (mean over {n} series): {board['model'].iloc[0]} (")
    better = board[board["dm_better"] > 0].sort_values("dm_better", ascending=False, kind="stable")
    if better.empty:
        assert "No model is significantly more accurate than the baseline" in verdict
    else:
        listed = ", ".join(f"{m} ({c})" for m, c in zip(better["model"], better["dm_better"]))
        assert f"on this many series: {listed}" in verdict
    worse = board[board["dm_worse"] > 0].sort_values("dm_worse", ascending=False, kind="stable")
    if worse.empty:
        assert "none is significantly less accurate" in verdict
    else:
        listed = ", ".join(f"{m} ({c})" for m, c in zip(worse["model"], worse["dm_worse"]))
        assert f"significantly less accurate: {listed}." in verdict
    always = board.loc[board["in_mcs"] == n, "model"].tolist()
    if always:
        assert f"keeps {', '.join(always)} on all {n} series" in verdict
    never = board.loc[board["in_mcs"] == 0, "model"].tolist()
    assert (f"never: {', '.join(never)}." in verdict) == bool(never)
    behind = board.loc[board["rank_vs_best"].astype(str) == "worse", "model"].tolist()
    if behind:
        assert f"only {', '.join(behind)} rank significantly behind" in verdict


@pytest.fixture(scope="module")
def quickstart_report(tmp_path_factory) -> Path:
    """The quickstart's data, backtest and metrics with its fast models (no neural nets, Prophet or auto-ARIMA)."""
    from tsbench.experiment import load_experiment

    experiment = load_experiment(ROOT / "experiments" / "quickstart.yaml")
    fast = [f for f in experiment.forecasters if f.model not in ("lstm", "transformer", "prophet", "auto_arima",
                                                                  "lightgbm")]
    experiment = experiment.model_copy(update={"forecasters": fast, "executor": experiment.executor.model_copy(
        update={"kind": "serial"})})
    out = tmp_path_factory.mktemp("quickstart")
    result = run_experiment(experiment, base_dir=ROOT / "experiments", output=out, progress=False)
    assert result.report is not None and result.report_note is None
    return result.report


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_quickstart_report_in_headless_chromium_states_a_consistent_verdict(quickstart_report, tmp_path):
    shot = tmp_path / "quickstart.png"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "screenshot_report.py"),
                           str(quickstart_report), "--out", str(shot), "--height", "1600"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    run_dir = quickstart_report.parent
    assert summary["console_errors"] == []
    assert summary["images_total"] == len(list((run_dir / "plots").glob("*.png"))) >= 10
    assert summary["images_decoded"] == summary["images_total"]
    board = pd.read_csv(run_dir / "leaderboard.csv")
    assert summary["verdict"] and summary["verdict"] in (run_dir / "leaderboard.md").read_text()
    _assert_verdict_matches(summary["verdict"], board)
    assert (board["dm_worse"] > 0).any()  # the quickstart's weak models (mean, moving average) lose significantly


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_report_opens_in_headless_chromium_and_shows_its_plots(run_dir, tmp_path):
    shot = tmp_path / "report.png"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "screenshot_report.py"),
                           str(run_dir / "report.html"), "--out", str(shot), "--height", "2400"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["console_errors"] == []
    assert summary["images_total"] == len(list((run_dir / "plots").glob("*.png")))
    assert summary["images_decoded"] == summary["images_total"]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[1] == 1200
    assert (pixels[..., :3].std(axis=2) > 0.1).mean() > 0.001  # coloured plot lines were rendered
