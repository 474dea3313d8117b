"""Business-day series keep their trading calendar: origins and forecast dates are sessions of the series."""

import numpy as np
import pandas as pd
import pytest

from tsbench.experiment import parse_experiment
from tsbench.data.calendar import infer_step, periods_per_year
from tsbench.data.loader import load_panel
from tsbench.errors import DataError
from tsbench.runner import run_experiment


@pytest.fixture(scope="module")
def christmas_run(tmp_path_factory):
    # the last 12 sessions of WTI end on 2019-01-03: origins every session over Christmas and New Year
    raw = {
        "name": "calendar",
        "data": [{"source": "builtin:wti", "target": "log_price", "last": 300},
                 {"source": "builtin:sp500", "target": "log_return", "last": 300}],
        "backtest": {"horizon": 3, "origins": 10, "step": 1},
        "forecasters": [{"name": "rw", "model": "naive"}, {"name": "drift", "model": "drift"}],
        "metrics": ["mae", "hit_rate"],
    }
    result = run_experiment(parse_experiment(raw), output=tmp_path_factory.mktemp("cal"), progress=False)
    panel, _ = load_panel(parse_experiment(raw).data)
    return result, panel


@pytest.mark.slow
def test_cutoffs_and_forecast_dates_never_fall_on_weekends(christmas_run):
    result, _ = christmas_run
    fc = result.forecasts
    assert len(fc) == 2 * 2 * 10 * 3
    assert (pd.DatetimeIndex(fc["cutoff"]).day_of_week < 5).all()
    assert (pd.DatetimeIndex(fc["ds"]).day_of_week < 5).all()


@pytest.mark.slow
def test_forecast_dates_are_the_next_sessions_of_the_series(christmas_run):
    result, panel = christmas_run
    for uid, g in result.forecasts.groupby("unique_id"):
        ds = panel.loc[panel["unique_id"] == uid, "ds"].to_numpy()
        pos = np.searchsorted(ds, g["cutoff"].to_numpy())
        assert (ds[pos] == g["cutoff"].to_numpy()).all()  # cutoffs are observed sessions
        assert (ds[pos + g["h"].to_numpy()] == g["ds"].to_numpy()).all()  # h counts sessions


@pytest.mark.slow
def test_holidays_are_skipped_not_filled(christmas_run):
    result, panel = christmas_run
    wti = result.forecasts[result.forecasts["unique_id"] == "wti"]
    # the source has empty rows on 24-25 December and 31 December-1 January
    closed = pd.to_datetime(["2018-12-24", "2018-12-25", "2018-12-31", "2019-01-01"])
    assert not panel.loc[panel["unique_id"] == "wti", "ds"].isin(closed).any()
    assert not wti["ds"].isin(closed).any() and not wti["cutoff"].isin(closed).any()
    rw = wti[wti["model"] == "rw"].set_index(["cutoff", "h"])["ds"]
    assert rw[(pd.Timestamp("2018-12-21"), 1)] == pd.Timestamp("2018-12-26")  # Friday -> Wednesday
    assert rw[(pd.Timestamp("2018-12-27"), 2)] == pd.Timestamp("2019-01-02")  # two sessions on


@pytest.mark.slow
def test_trading_metrics_annualise_with_sessions(christmas_run):
    result, _ = christmas_run
    hit = result.metrics[(result.metrics["metric"] == "hit_rate")]
    assert set(hit["model"]) == {"rw", "drift", "buy_and_hold"} and set(hit["scale"]) == {"price"}


def test_periods_per_year_from_the_calendar():
    sessions = pd.bdate_range("2020-01-01", periods=40).as_unit("us")
    assert isinstance(infer_step(sessions), pd.offsets.BDay)
    assert periods_per_year(infer_step(sessions)) == 252
    assert periods_per_year(infer_step(pd.date_range("2020-01-01", periods=40, freq="D"))) == 365
    assert periods_per_year(infer_step(pd.date_range("2020-01-31", periods=40, freq="ME"))) == 12
    assert periods_per_year(infer_step(pd.date_range("2020-03-31", periods=12, freq="QE"))) == 4
    with pytest.raises(DataError, match="periods_per_year"):
        periods_per_year(infer_step(np.arange(10)))


def test_infer_step_ignores_the_time_unit():
    sessions = pd.bdate_range("2021-06-01", periods=30)
    for unit in ("s", "ms", "us", "ns"):
        assert isinstance(infer_step(sessions.as_unit(unit)), pd.offsets.BDay)
