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


def _five_minute_prices(days: int = 8, seed: int = 3) -> pd.DataFrame:
    """A 5-minute price series of a 9:30-16:00 exchange session (78 bars a day), business days only."""
    sessions = pd.bdate_range("2024-03-04", periods=days)
    ds = np.concatenate([pd.date_range(d + pd.Timedelta("9h35min"), d + pd.Timedelta("16h"), freq="5min")
                         for d in sessions])
    rng = np.random.default_rng(seed)
    y = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.001, len(ds))))
    return pd.DataFrame({"unique_id": "es", "ds": ds, "y": y})


def test_intraday_sharpe_is_annualised_with_bars_per_session():
    from tsbench.data.calendar import annualisation
    from tsbench.metrics.trading import sharpe

    prices = _five_minute_prices()
    calendar = annualisation(prices["ds"].to_numpy())
    assert (calendar.sessions, calendar.bars_per_session, calendar.periods_per_year) == (252, 78, 252 * 78)
    assert "252 sessions x 78 bars per session" in calendar.describe()
    # always long from the 10th bar on: the strategy earns the market's bar returns
    cut = prices.iloc[10:-1]
    rows = pd.DataFrame({"unique_id": "es", "model": "up", "cutoff": cut["ds"].to_numpy(), "h": 1,
                         "y_pred": cut["y"].to_numpy() * 1.01, "y_last": cut["y"].to_numpy(),
                         "y": prices["y"].iloc[11:].to_numpy()})
    got = sharpe(rows, ["unique_id", "model"], prices).iloc[0]
    p = prices["y"].to_numpy()[10:]
    r = p[1:] / p[:-1] - 1
    by_hand = r.mean() / r.std(ddof=1) * np.sqrt(252 * 78)
    assert got == pytest.approx(by_hand, rel=1e-12)
    round_the_clock = r.mean() / r.std(ddof=1) * np.sqrt(365.25 * 24 * 12)  # what a 24/7 clock would give
    assert round_the_clock / got == pytest.approx(2.31, abs=0.01)
    given = sharpe(rows, ["unique_id", "model"], prices, periods_per_year=252.0).iloc[0]
    assert given == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(252), rel=1e-12)


def test_annualisation_of_weekly_monthly_and_round_the_clock_series():
    from tsbench.data.calendar import annualisation

    assert annualisation(pd.date_range("2020-01-03", periods=60, freq="W-FRI")).periods_per_year == 52
    assert annualisation(pd.date_range("2020-01-31", periods=30, freq="ME")).describe() == "12 periods a year (monthly)"
    assert annualisation(pd.bdate_range("2020-01-01", periods=60)).periods_per_year == 252
    hourly = annualisation(pd.date_range("2024-01-01", periods=24 * 20, freq="h"))  # crypto: every hour, every day
    assert (hourly.sessions, hourly.bars_per_session) == (365, 24)


def test_leaderboard_states_the_annualisation(tmp_path):
    from tsbench.experiment import parse_experiment
    from tsbench.runner import run_experiment

    _five_minute_prices(days=6).drop(columns="unique_id").rename(columns={"y": "es"}).to_csv(
        tmp_path / "es.csv", index=False)
    raw = {"name": "intraday", "data": [{"source": f"csv:{tmp_path / 'es.csv'}"}],
           "backtest": {"horizon": 1, "origins": 40, "refit_every": 40},
           "forecasters": [{"name": "drift", "model": "drift"}], "metrics": ["mae", "sharpe"],
           "output": str(tmp_path / "out")}
    result = run_experiment(parse_experiment(raw), progress=False, report=False)
    assert any("annualised from the calendar: 252 sessions x 78 bars per session = 19656 periods a year" in n
               for n in result.notes)
    assert "19656 periods a year" in (result.run_dir / "leaderboard.md").read_text()
    raw["trading"] = {"periods_per_year": 1000}
    fixed = run_experiment(parse_experiment(raw), progress=False, report=False)
    assert fixed.notes == ["Trading metrics annualised with periods_per_year = 1000 (set in the experiment)."]
