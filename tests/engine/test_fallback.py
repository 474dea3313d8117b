"""Failures are data: fit diagnostics and warnings per cell, and a fallback where a model fails."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from tsbench.engine.origins import plan_backtest
from tsbench.engine.cells import plan_cells, run_cell
from tsbench.config import BacktestSpec
from tsbench.experiment import parse_experiment
from tsbench.errors import ConfigError
from tsbench.forecasters.base import LocalForecaster
from tsbench.forecasters.baselines import Naive
from tsbench.forecasters.statsbase import NonInvertibleFitWarning, NonStationaryFitWarning
from tsbench.forecasters.registry import make_forecaster
from tsbench.runner import run_experiment
from tsbench.testing import synthetic_panel


class Flaky(LocalForecaster):
    """Fails to fit on histories longer than ``fail_after``, or forecasts NaN there."""

    def __init__(self, fail_after: int = 100, mode: str = "raise") -> None:
        self.fail_after = fail_after
        self.mode = mode

    def _fit_one(self, y):
        if self.mode == "raise" and len(y) > self.fail_after:
            raise np.linalg.LinAlgError("singular matrix")
        return None

    def _predict_one(self, state, y, horizon):
        value = np.nan if self.mode == "nan" and len(y) > self.fail_after else y[-1] + 1.0
        return np.full(horizon, value)


def cells_for(forecaster, fallback, refit_every=2):
    panel = synthetic_panel(1, 120)
    spec = BacktestSpec(horizon=2, origins=6, step=2, refit_every=refit_every)
    plans = plan_backtest(panel, spec)
    forecaster.name = "flaky"
    fallbacks = {"flaky": fallback} if fallback is not None else None
    return plan_cells(panel, plans, [forecaster], 2, (), 0, fallbacks=fallbacks)


def test_fallback_replaces_blocks_whose_fit_fails():
    fallback = make_forecaster("naive", "naive")
    (cell,) = cells_for(Flaky(fail_after=113), fallback)
    result = run_cell(cell)
    assert result.error is None
    out = result.forecasts
    used = out["fallback"].notna()
    # origins at rows 107..117 of 120, refit every 2: fits on 108 and 112 rows work, on 116 rows fail
    last_two = np.sort(out["cutoff"].unique())[-2:]
    assert used.sum() == 2 * 2 and out.loc[used, "cutoff"].isin(last_two).all()
    naive = out.loc[used].merge(synthetic_panel(1, 120), left_on=["unique_id", "cutoff"], right_on=["unique_id", "ds"])
    np.testing.assert_allclose(naive["y_pred"], naive["y_y"])  # the fallback forecasts the last value
    np.testing.assert_allclose(out.loc[~used, "y_pred"] - 1.0, out.loc[~used].merge(
        synthetic_panel(1, 120), left_on=["unique_id", "cutoff"], right_on=["unique_id", "ds"])["y_y"].to_numpy())
    assert (out["model"] == "flaky").all()
    meta = result.meta["fallback"]
    assert meta["model"] == "naive" and meta["origins"] == 2
    assert meta["used"][0]["block"] == 2 and "LinAlgError" in meta["used"][0]["reason"]


def test_fallback_replaces_only_origins_with_non_finite_forecasts():
    (cell,) = cells_for(Flaky(fail_after=112, mode="nan"), make_forecaster("naive", "naive"), refit_every=6)
    result = run_cell(cell)
    out = result.forecasts
    assert np.isfinite(out["y_pred"]).all()
    assert out["fallback"].notna().sum() == 3 * 2  # origins at rows 113, 115, 117
    assert result.meta["fallback"]["used"][0]["reason"] == "non-finite forecasts"


def test_without_fallback_a_failing_fit_fails_the_cell():
    (cell,) = cells_for(Flaky(fail_after=110), None)
    result = run_cell(cell)
    assert result.forecasts is None and "LinAlgError" in result.error


def test_fit_diagnostics_and_warnings_are_counted_per_cell():
    from tsbench.forecasters.arima import Arima
    from tsbench.forecasters.statsbase import SeriesFit

    class Doubtful(Arima):
        def _fit_series(self, y, previous):
            fit = super()._fit_series(y, previous)
            fit.info.update(stationary=False, invertible=False, converged=False)
            return fit

    (cell,) = cells_for(Doubtful(order=(1, 1, 0)), None, refit_every=3)
    result = run_cell(cell)
    assert result.error is None
    assert result.meta["warnings"]["NonStationaryFitWarning"] == 2
    assert result.meta["warnings"]["NonInvertibleFitWarning"] == 2
    assert result.meta["fit_problems"] == {"not_converged": 2, "non_stationary": 2, "non_invertible": 2}
    assert [f["block"] for f in result.meta["fits"]] == [0, 1]
    assert result.meta["fits"][1]["warm_start"] is True
    assert issubclass(NonStationaryFitWarning, UserWarning) and issubclass(NonInvertibleFitWarning, UserWarning)
    assert SeriesFit  # the state type forecasters return


def experiment(tmp_path, **extra):
    raw = {
        "name": "fallback-test",
        "data": [{"source": "builtin:sp500", "target": "log_price", "last": 260}],
        "backtest": {"horizon": 2, "origins": 4, "step": 2, "refit_every": 2},
        "forecasters": [
            {"name": "arima", "model": "arima", "params": {"order": [1, 1, 1]}, "fallback": "naive"},
            {"name": "flaky", "model": "tests.engine.test_fallback:Flaky", "params": {"fail_after": 254}, "fallback": "naive"},
            {"name": "random_walk", "model": "naive"},
        ],
        "metrics": ["mase"],
        "output": str(tmp_path),
        **extra,
    }
    return parse_experiment(raw)


@pytest.mark.slow
def test_run_records_fallback_and_fits_and_prints_nothing(tmp_path, capfd):
    result = run_experiment(experiment(tmp_path), progress=False)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert result.ok
    fc = result.forecasts
    flaky = fc[fc["model"] == "flaky"]
    assert flaky["fallback"].eq("naive").sum() == 2 * 2  # the fit on 256 rows fails
    assert fc.loc[fc["model"] == "arima", "fallback"].isna().all()
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    by_model = {c["model"]: c for c in manifest["cells"]}
    assert by_model["flaky"]["fallback"]["origins"] == 2
    assert [f["order"] for f in by_model["arima"]["fits"]] == [[1, 1, 1], [1, 1, 1]]
    assert set(by_model["arima"]["fit_problems"]) == {"not_converged", "non_stationary", "non_invertible"}
    stored = pd.read_parquet(result.run_dir / "forecasts.parquet")
    assert "fallback" in stored.columns


def test_config_checks_the_fallback(tmp_path):
    with pytest.raises(ConfigError, match="fallback"):
        parse_experiment({**experiment(tmp_path).model_dump(mode="json"),
                          "forecasters": [{"name": "a", "model": "arima", "fallback": "nope"}]})
    with pytest.raises(ConfigError, match="quantiles"):
        parse_experiment({**experiment(tmp_path).model_dump(mode="json"), "quantiles": [0.1, 0.9],
                          "forecasters": [{"name": "a", "model": "arima", "fallback": "drift"}]})
    assert isinstance(make_forecaster("naive", "naive"), Naive)
