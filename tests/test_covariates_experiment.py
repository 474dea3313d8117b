"""The ready covariates experiment: every covariate-capable model with and without covariates, on built-in data."""

from pathlib import Path

import yaml

from tsbench.data.loader import load_panel_levels
from tsbench.experiment import load_experiment, parse_experiment, resolve_experiment
from tsbench.runner import run_experiment

FILE = Path(__file__).resolve().parent.parent / "experiments" / "covariates.yaml"


def test_each_covariate_model_runs_with_and_without_covariates():
    resolved = resolve_experiment(load_experiment(FILE))
    by_name = {f.name: f for f in resolved.forecasters}
    with_cov = {name for name, f in by_name.items() if f.covariates}
    assert with_cov == {f"{name}_cov" for name in ("arima", "lightgbm", "prophet", "lstm", "transformer")}
    for name in with_cov:
        twin = by_name[name.removesuffix("_cov")]
        assert type(twin) is type(by_name[name]) and not twin.covariates
    assert resolved.experiment.baseline == "mean"


def test_its_covariates_load_point_in_time_from_built_in_data():
    experiment = load_experiment(FILE)
    panel, _, infos = load_panel_levels(experiment.data)
    assert list(panel.columns) == ["unique_id", "ds", "y", "vix", "other_index", "day_of_week", "month"]
    assert panel.notna().all().all() and {i.unique_id for i in infos} == {"sp500", "nasdaq"}
    # each index is the other's past covariate: same-day returns, strongly correlated
    sp = panel[panel["unique_id"] == "sp500"]
    assert sp["y"].corr(sp["other_index"]) > 0.8
    assert set(sp["day_of_week"]) <= {0.0, 1.0, 2.0, 3.0, 4.0}


def test_a_shortened_run_scores_every_model(tmp_path):
    raw = yaml.safe_load(FILE.read_text())
    keep = {"mean", "arima", "arima_cov", "lightgbm", "lightgbm_cov"}
    raw["forecasters"] = [f for f in raw["forecasters"] if f["name"] in keep]
    raw["backtest"] = {**raw["backtest"], "origins": 10}
    raw["executor"] = {"kind": "serial"}
    result = run_experiment(parse_experiment(raw), base_dir=FILE.parent, output=tmp_path, progress=False, report=False)
    assert result.ok and set(result.leaderboard["model"]) == keep
