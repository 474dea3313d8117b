"""The Prophet forecaster: calendars, quantiles, quiet runs, parameters, and the contract."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("prophet")

from tsbench.experiment import parse_experiment  # noqa: E402
from tsbench.errors import ConfigError, PluginError  # noqa: E402
from tsbench.forecasters.prophet import ProphetForecaster  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.runner import run_experiment  # noqa: E402
from tsbench.testing import check_forecaster, synthetic_panel  # noqa: E402


def monday_effect_panel(weeks: int = 30) -> pd.DataFrame:
    """Business days with a large jump every Monday, ending on a Friday."""
    ds = pd.bdate_range("2021-01-04", periods=5 * weeks)  # a Monday; 5*weeks days end on a Friday
    rng = np.random.default_rng(1)
    y = 5.0 + 2.0 * (ds.day_of_week == 0) + rng.normal(0, 0.05, len(ds))
    return pd.DataFrame({"unique_id": "m", "ds": ds, "y": y})


@pytest.mark.slow
def test_conformance():
    report = check_forecaster(ProphetForecaster(yearly_seasonality=False))
    assert report.passed, str(report)


def test_business_day_series_are_forecast_on_business_days():
    panel = monday_effect_panel()
    assert panel["ds"].iloc[-1].day_of_week == 4  # the cutoff is a Friday
    out = ProphetForecaster().fit(panel).predict(panel, 6)
    ds = pd.DatetimeIndex(out["ds"])
    assert (ds.day_of_week < 5).all()
    assert list(ds.day_of_week) == [0, 1, 2, 3, 4, 0]
    # Prophet itself must have been asked for those weekdays: the Monday jump lands on h=1 and h=6
    y = out["y_pred"].to_numpy()
    assert y[0] > y[1:5].max() + 1.5 and y[5] > y[1:5].max() + 1.5


def test_point_forecasts_reproduce_plain_prophet_with_stan_defaults():
    from prophet import Prophet

    panel = synthetic_panel(1, 150)
    ours = ProphetForecaster(lbfgs_memory=None).fit(panel).predict(panel, 5)
    plain = Prophet().fit(panel[["ds", "y"]])
    future = plain.make_future_dataframe(periods=5, freq="B", include_history=False)
    np.testing.assert_allclose(ours["y_pred"], plain.predict(future)["yhat"], rtol=0, atol=1e-10)
    assert (ours["ds"].to_numpy() == future["ds"].to_numpy()).all()


def test_quantiles_are_ordered_and_centred_on_the_point_forecast():
    panel = synthetic_panel(2, 120)
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    model = ProphetForecaster(seed=3).fit(panel)
    out = model.predict(panel, 5, quantiles=levels)
    q = out[[f"q_{lv:g}" for lv in levels]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()
    width = q[:, -1] - q[:, 0]
    assert (width > 0).all()
    assert (np.abs(q[:, 2] - out["y_pred"].to_numpy()) < 0.1 * width).all()
    again = model.predict(panel, 5, quantiles=levels)
    np.testing.assert_array_equal(again[[f"q_{lv:g}" for lv in levels]].to_numpy(), q)


def test_point_forecasts_draw_no_samples(monkeypatch):
    from prophet import Prophet

    def refuse(*args, **kwargs):
        raise AssertionError("uncertainty sampling ran although no quantiles were asked for")

    monkeypatch.setattr(Prophet, "sample_posterior_predictive", refuse)
    panel = synthetic_panel(1, 80)
    out = ProphetForecaster().fit(panel).predict(panel, 3)
    assert np.isfinite(out["y_pred"]).all()


def test_integer_steps_use_a_stated_synthetic_calendar():
    panel = synthetic_panel(1, 90, timestamps=False)
    panel["ds"] = panel["ds"] * 2 + 100  # steps of two, not starting at zero
    model = ProphetForecaster().fit(panel)
    out = model.predict(panel, 4)
    assert list(out["ds"]) == [280, 282, 284, 286]
    assert np.isfinite(out["y_pred"]).all()
    note = model.notes_["calendar"]["s0"]
    assert "synthetic daily calendar" in note and "step 100" in note
    dates = model.states_["s0"].model.history["ds"]
    assert dates.iloc[0] == pd.Timestamp("2000-01-03") and (dates.diff().dropna() == pd.Timedelta(days=1)).all()


def test_a_run_prints_nothing_and_logs_the_libraries_to_the_run_log(tmp_path, capfd):
    y = 10 + np.cumsum(np.random.default_rng(0).normal(0, 0.1, 140))
    pd.DataFrame({"id": "toy", "t": range(len(y)), "price": y}).to_csv(tmp_path / "toy.csv", index=False)
    experiment = parse_experiment({
        "name": "quiet",
        "data": [{"source": f"csv:{tmp_path / 'toy.csv'}", "columns": {"id": "id", "time": "t", "value": "price"}}],
        "backtest": {"horizon": 3, "origins": 2, "step": 3},
        "forecasters": [{"name": "prophet", "model": "prophet"}],
        "metrics": ["mae"],
        "output": str(tmp_path / "out"),
    })
    capfd.readouterr()
    result = run_experiment(experiment, progress=False)
    captured = capfd.readouterr()
    assert result.ok, result.failures
    assert captured.out == "" and captured.err == ""
    log = (result.run_dir / "run.log").read_text()
    assert "cmdstanpy" in log and "prophet" in log
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    (cell,) = manifest["cells"]
    assert "synthetic daily calendar" in cell["notes"]["calendar"]["toy"]


@pytest.mark.slow
def test_the_cli_shows_no_library_output(tmp_path):
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        "name: cli\n"
        "data: [{source: 'builtin:vix', target: log_price, last: 150}]\n"
        "backtest: {horizon: 2, origins: 2, step: 2}\n"
        "forecasters: [{name: prophet, model: prophet}]\n"
        f"output: {tmp_path / 'out'}\n"
    )
    run = subprocess.run([sys.executable, "-m", "tsbench", "run", str(exp), "--quiet"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text = (run.stdout + run.stderr).lower()
    for word in ("cmdstanpy", "chain [1]", "plotly", "disabling", "prophet:"):
        assert word not in text


def test_holidays_and_seasonalities_are_passed_through():
    panel = synthetic_panel(1, 300)
    model = ProphetForecaster(
        holidays="US",
        seasonalities=[{"name": "monthly", "period": 30.5, "fourier_order": 3}],
        n_changepoints=5,
        changepoint_prior_scale=0.1,
        growth="flat",
    ).fit(panel)
    fitted = model.states_["s0"].model
    assert "monthly" in fitted.seasonalities and fitted.seasonalities["monthly"]["fourier_order"] == 3
    assert fitted.country_holidays == "US" and len(fitted.train_holiday_names) > 0
    assert fitted.n_changepoints == 5 and fitted.changepoint_prior_scale == 0.1 and fitted.growth == "flat"


def test_logistic_growth_uses_the_cap():
    panel = synthetic_panel(1, 100)
    out = ProphetForecaster(growth="logistic", cap=12.0, floor=8.0).fit(panel).predict(panel, 3)
    assert ((out["y_pred"] > 8.0) & (out["y_pred"] < 12.0)).all()


@pytest.mark.parametrize(
    "params, words",
    [
        ({"changepoints_prior": 0.1}, ["changepoints_prior", "changepoint_prior_scale"]),
        ({"growth": "cubic"}, ["growth", "cubic"]),
        ({"growth": "logistic"}, ["cap"]),
        ({"seasonalities": [{"name": "m", "period": 30, "order": 3}]}, ["order", "fourier_order"]),
        ({"holidays": "Atlantis"}, ["Atlantis"]),
        ({"weekly_seasonality": "sometimes"}, ["weekly_seasonality"]),
        ({"lbfgs_memory": 0}, ["lbfgs_memory"]),
    ],
)
def test_bad_parameters_are_config_errors(params, words):
    with pytest.raises(ConfigError) as err:
        make_forecaster("p", "prophet", params)
    for word in words:
        assert word in str(err.value)


def test_missing_prophet_gives_an_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "prophet", None)
    monkeypatch.delitem(sys.modules, "tsbench.forecasters.prophet")  # so the registry imports it afresh
    with pytest.raises(PluginError, match=r"pip install 'tsbench\[prophet\]'"):
        make_forecaster("p", "prophet")
    with pytest.raises(PluginError, match=r"pip install 'tsbench\[prophet\]'"):
        ProphetForecaster().fit(synthetic_panel(1, 30))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"seasonality_mode": "multiplicative"},
        {"growth": "flat", "yearly_seasonality": 4},
        {"seasonalities": [{"name": "monthly", "period": 30.5, "fourier_order": 3, "mode": "multiplicative"}]},
        {"yearly_seasonality": False, "weekly_seasonality": False},
        {"holidays": "US"},
    ],
)
def test_point_forecasts_equal_prophets_predict(params):
    from tsbench.forecasters.prophet import _point_forecast

    panel = synthetic_panel(1, 400)
    model = ProphetForecaster(**params).fit(panel).states_["s0"].model
    frame = pd.DataFrame({"ds": pd.bdate_range("2021-06-01", periods=7)})
    np.testing.assert_allclose(_point_forecast(model, frame), model.predict(frame)["yhat"], rtol=0, atol=1e-12)
