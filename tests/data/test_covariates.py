"""Covariates joined onto the target panel: as-of with lag, point in time, known, static, calendar, categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import validate_experiment
from tsbench.covariates import Covariates
from tsbench.data.loader import experiment_covariates, load_panel_levels
from tsbench.data.targets import to_target


def specs(*entries):
    raw = {"name": "t", "backtest": {"origins": 2}, "forecasters": [{"name": "n", "model": "naive"}],
           "data": list(entries)}
    return validate_experiment(raw).data


def load(folder, *entries):
    return load_panel_levels(specs(*entries), folder)


def target_csv(folder, n=60, ids=("a", "b"), start="2020-01-01", seed=0, name="target.csv"):
    """Business-day prices of a few series in a long CSV."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range(start, periods=n)
    frame = pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds, "y": 100 * np.exp(np.cumsum(rng.normal(0, .01, n)))})
                       for uid in ids], ignore_index=True)
    frame.to_csv(folder / name, index=False)
    return frame


def irregular_covariate(folder, start="2019-12-20", end="2020-05-01", seed=1, name="cov.csv"):
    """A covariate observed on random calendar days (weekends too), with random values."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(start, end)
    ds = days[rng.random(len(days)) < 0.45]
    frame = pd.DataFrame({"ds": ds, "x": rng.normal(size=len(ds))})
    frame.to_csv(folder / name, index=False)
    return frame


def asof(cov: pd.DataFrame, times) -> np.ndarray:
    """Brute force: the latest covariate value at or before each time."""
    return np.array([cov.loc[cov["ds"] <= t, "x"].iloc[-1] for t in times])


def past(name="x", **extra):
    return {"name": name, "kind": "past", "source": "csv:cov.csv", **extra}


def test_asof_join_picks_the_latest_value_at_or_before_each_time(tmp_path):
    target_csv(tmp_path)
    cov = irregular_covariate(tmp_path)
    panel, _, infos = load(tmp_path, {"source": "csv:target.csv", "covariates": [past()]})
    assert list(panel.columns) == ["unique_id", "ds", "y", "x"] and panel["x"].dtype == "float64"
    for _, g in panel.groupby("unique_id"):
        np.testing.assert_array_equal(g["x"].to_numpy(), asof(cov, g["ds"]))
    assert infos[0].covariates["x"] == {"kind": "past", "source": "csv:cov.csv", "column": "x", "lag": 0,
                                        "transform": "level", "rows_dropped": 0}


@pytest.mark.parametrize("lag", [1, 3])
def test_lag_shifts_exactly_lag_rows_and_drops_the_first_rows(tmp_path, lag):
    target = target_csv(tmp_path)
    cov = irregular_covariate(tmp_path)
    panel, levels, infos = load(tmp_path, {"source": "csv:target.csv", "covariates": [past(lag=lag)]})
    for uid, g in panel.groupby("unique_id"):
        full = target[target["unique_id"] == uid].reset_index(drop=True)
        assert len(g) == len(full) - lag and infos[0].covariates["x"]["rows_dropped"] == lag
        assert pd.Timestamp(g["ds"].iloc[0]) == pd.Timestamp(full["ds"].iloc[lag])
        # row t holds the as-of value of row t - lag of the series' own calendar
        np.testing.assert_array_equal(g["x"].to_numpy(), asof(cov, pd.to_datetime(full["ds"]).iloc[:-lag]))
        lv = levels[levels["unique_id"] == uid]  # from the observation before the first target date, as with last
        assert len(lv) == len(g) + 1 and pd.Timestamp(lv["ds"].iloc[0]) == pd.Timestamp(full["ds"].iloc[lag - 1])


def test_lag_on_the_same_calendar_is_the_raw_value_k_rows_earlier(tmp_path):
    target = target_csv(tmp_path, ids=("a",))
    rng = np.random.default_rng(5)
    cov = pd.DataFrame({"ds": target["ds"], "x": rng.normal(size=len(target))})
    cov.to_csv(tmp_path / "cov.csv", index=False)
    panel, _, _ = load(tmp_path, {"source": "csv:target.csv", "covariates": [past(lag=2)]})
    raw = cov["x"].to_numpy()
    np.testing.assert_array_equal(panel["x"].to_numpy(), raw[:-2])  # row t (t >= 2) holds raw[t - 2]
    np.testing.assert_array_equal(panel["y"].to_numpy(), target["y"].to_numpy()[2:])


@pytest.mark.parametrize("lag", [0, 1, 4])
def test_values_after_the_availability_time_never_reach_a_row(tmp_path, lag):
    target = target_csv(tmp_path, n=40, ids=("a",))
    cov = irregular_covariate(tmp_path, end="2020-03-10")
    entry = {"source": "csv:target.csv", "covariates": [past(lag=lag)]}
    base, _, _ = load(tmp_path, entry)
    full_ds = pd.to_datetime(target["ds"])
    for r in (lag + 3, 15, 30):  # the row r of the full series, kept as row r - lag
        available = full_ds.iloc[r - lag]
        moved = cov.assign(x=np.where(cov["ds"] > available, cov["x"] + 1000.0, cov["x"]))
        moved.to_csv(tmp_path / "cov.csv", index=False)
        got, _, _ = load(tmp_path, entry)
        np.testing.assert_array_equal(got["x"].to_numpy()[: r - lag + 1], base["x"].to_numpy()[: r - lag + 1])
        assert not np.array_equal(got["x"].to_numpy(), base["x"].to_numpy())  # later rows do see the change
    # and the value that is available does reach it: the latest observation at or before that time
    last_seen = cov.index[cov["ds"] <= full_ds.iloc[20 - lag]][-1]
    cov.assign(x=cov["x"].where(cov.index != last_seen, 999.0)).to_csv(tmp_path / "cov.csv", index=False)
    assert load(tmp_path, entry)[0]["x"].iloc[20 - lag] == 999.0


def test_transforms_run_per_series_on_their_own_observations(tmp_path):
    target_csv(tmp_path, n=30)
    ds = pd.bdate_range("2019-12-25", periods=40)
    cov = pd.DataFrame({"sid": np.repeat(["a", "b"], 40), "ds": np.tile(ds, 2),
                        "x": np.r_[np.arange(1.0, 41.0), 1000.0 * np.exp(np.linspace(0, 1, 40))]})
    cov.to_csv(tmp_path / "cov.csv", index=False)
    entry = {"source": "csv:target.csv", "covariates": [
        past("diff", column="x", id_column="sid", transform="difference"),
        past("ret", column="x", id_column="sid", transform="return"),
        past("logret", column="x", id_column="sid", transform="log_return"),
        past("level", column="x", id_column="sid")]}
    panel, _, _ = load(tmp_path, entry)
    for uid, g in panel.groupby("unique_id"):
        own = cov[cov["sid"] == uid].set_index("ds")["x"]
        at = pd.DatetimeIndex(g["ds"])
        np.testing.assert_allclose(g["level"], own.loc[at])
        np.testing.assert_allclose(g["diff"], own.diff().loc[at])
        np.testing.assert_allclose(g["ret"], own.pct_change().loc[at])
        np.testing.assert_allclose(g["logret"], np.log(own).diff().loc[at])
    assert (panel.loc[panel["unique_id"] == "a", "diff"] == 1.0).all()  # never a difference across series


def test_known_covariate_matches_time_exactly(tmp_path):
    target = target_csv(tmp_path, n=20)
    ds = pd.to_datetime(target["ds"]).unique()
    events = pd.DataFrame({"ds": ds, "promo": np.arange(len(ds)) % 3 == 0}).astype({"promo": float})
    events = pd.concat([events, pd.DataFrame({"ds": [ds[3] + pd.Timedelta(hours=12)], "promo": [9.0]})])
    events.sort_values("ds").to_csv(tmp_path / "events.csv", index=False)
    entry = {"source": "csv:target.csv", "covariates": [{"name": "promo", "kind": "known", "source": "csv:events.csv"}]}
    panel, _, _ = load(tmp_path, entry)
    for _, g in panel.groupby("unique_id"):
        np.testing.assert_array_equal(g["promo"].to_numpy(), (np.arange(20) % 3 == 0).astype(float))


def test_static_forms_value_own_column_and_id_file(tmp_path):
    frame = target_csv(tmp_path, n=10)
    frame.assign(sector=frame["unique_id"].map({"a": 3.0, "b": 7.0})).to_csv(tmp_path / "target.csv", index=False)
    pd.DataFrame({"ticker": ["b", "a", "zz"], "beta": [1.5, 0.5, 9.0]}).to_csv(tmp_path / "meta.csv", index=False)
    entry = {"source": "csv:target.csv", "covariates": [
        {"name": "one", "kind": "static", "value": 2.5},
        {"name": "sector", "kind": "static"},
        {"name": "beta", "kind": "static", "source": "csv:meta.csv", "id_column": "ticker"}]}
    panel, _, _ = load(tmp_path, entry)
    assert list(panel.columns) == ["unique_id", "ds", "y", "one", "sector", "beta"]
    by_id = panel.groupby("unique_id")[["one", "sector", "beta"]].agg(["min", "max"])
    assert by_id.loc["a"].tolist() == [2.5, 2.5, 3.0, 3.0, 0.5, 0.5]
    assert by_id.loc["b"].tolist() == [2.5, 2.5, 7.0, 7.0, 1.5, 1.5]


def test_own_long_file_column_is_joined_on_id_and_time(tmp_path):
    frame = target_csv(tmp_path, n=15)
    frame = frame.assign(volume=np.arange(len(frame), dtype=float)).sample(frac=1, random_state=0)
    frame.sort_values("ds", kind="stable").to_csv(tmp_path / "target.csv", index=False)  # series interleaved
    entry = {"source": "csv:target.csv", "covariates": [{"name": "volume", "kind": "past", "lag": 1}]}
    panel, _, _ = load(tmp_path, entry)
    for uid, g in panel.groupby("unique_id"):
        own = frame[frame["unique_id"] == uid].sort_values("ds")
        np.testing.assert_array_equal(g["volume"].to_numpy(), own["volume"].to_numpy()[:-1])
        np.testing.assert_array_equal(g["y"].to_numpy(), own["y"].to_numpy()[1:])


def test_own_wide_file_covariate_column_is_not_a_series(tmp_path):
    ds = pd.bdate_range("2021-01-01", periods=12)
    pd.DataFrame({"date": ds, "a": np.arange(12.0) + 10, "b": np.arange(12.0) + 50, "vol": np.arange(12.0)}
                 ).to_csv(tmp_path / "wide.csv", index=False)
    panel, _, _ = load(tmp_path, {"source": "csv:wide.csv", "covariates": [{"name": "vol", "kind": "known"}]})
    assert sorted(panel["unique_id"].unique()) == ["a", "b"]
    for _, g in panel.groupby("unique_id"):
        np.testing.assert_array_equal(g["vol"].to_numpy(), np.arange(12.0))


def test_calendar_values_follow_the_series_own_trading_days(tmp_path):
    ds = pd.bdate_range("2015-01-20", "2015-04-10").delete([20])  # 2015-02-17 missing, as a holiday
    pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0 + np.arange(len(ds))}).to_csv(tmp_path / "t.csv", index=False)
    names = ["day_of_week", "day_of_month", "day_of_year", "week_of_year", "month", "quarter",
             "is_month_start", "is_month_end", "is_quarter_end"]
    entry = {"source": "csv:t.csv", "covariates": [{"name": n, "kind": "known", "source": "calendar"} for n in names]}
    panel, _, _ = load(tmp_path, entry)
    at = pd.DatetimeIndex(panel["ds"])
    np.testing.assert_array_equal(panel["day_of_week"], at.day_of_week)
    np.testing.assert_array_equal(panel["day_of_month"], at.day)
    np.testing.assert_array_equal(panel["day_of_year"], at.day_of_year)
    np.testing.assert_array_equal(panel["week_of_year"], at.isocalendar().week.to_numpy())
    np.testing.assert_array_equal(panel["month"], at.month)
    np.testing.assert_array_equal(panel["quarter"], at.quarter)
    flagged = lambda col: [str(d.date()) for d in at[panel[col].to_numpy() == 1]]  # noqa: E731
    # January 31 2015 was a Saturday: the last trading day of January is Friday the 30th
    assert flagged("is_month_end") == ["2015-01-30", "2015-02-27", "2015-03-31"]
    assert flagged("is_month_start") == ["2015-02-02", "2015-03-02", "2015-04-01"]
    assert flagged("is_quarter_end") == ["2015-03-31"]


def test_categorical_codes_follow_first_appearance_in_time(tmp_path):
    ds = pd.bdate_range("2020-01-01", periods=8)
    pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds, "y": 1.0}) for uid in ("a", "b")]).to_csv(
        tmp_path / "t.csv", index=False)
    regimes = pd.DataFrame({"sid": ["a"] * 8 + ["b"] * 8, "ds": np.tile(ds, 2),
                            "regime": ["calm"] * 4 + ["storm"] * 4 + ["panic", "calm", "calm", "storm"] * 2})
    regimes.to_csv(tmp_path / "r.csv", index=False)
    entry = {"source": "csv:t.csv", "covariates": [
        {"name": "regime", "kind": "past", "source": "csv:r.csv", "id_column": "sid", "categorical": True},
        {"name": "cls", "kind": "static", "value": "equity", "categorical": True}]}
    panel, _, _ = load(tmp_path, entry)
    # calm and panic both appear first on day 0 (calm in series a's row first), storm on day 3
    codes = {"calm": 0.0, "panic": 1.0, "storm": 2.0}
    np.testing.assert_array_equal(panel["regime"], regimes["regime"].map(codes))
    assert (panel["cls"] == 0.0).all()
    assert experiment_covariates(specs(entry)) == Covariates(past=("regime",), static=("cls",),
                                                             categorical=("regime", "cls"))
    # codes never depend on later data: the first five days code alike without the rest
    regimes[regimes["ds"] <= ds[4]].to_csv(tmp_path / "r.csv", index=False)
    pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds[:5], "y": 1.0}) for uid in ("a", "b")]).to_csv(
        tmp_path / "t.csv", index=False)
    short, _, _ = load(tmp_path, entry)
    np.testing.assert_array_equal(short["regime"], panel.loc[panel["ds"] <= ds[4], "regime"])


def test_levels_keep_the_base_of_the_first_return_when_a_lag_drops_rows(tmp_path):
    target_csv(tmp_path, n=30)
    irregular_covariate(tmp_path)
    # 30 prices give 29 returns; lag 3 leaves 26 of them, and drops rows only where fewer than 3 precede
    for extra, rows, dropped in (({}, 26, 3), ({"last": 28}, 26, 2), ({"last": 26}, 26, 0), ({"last": 12}, 12, 0)):
        entry = {"source": "csv:target.csv", "target": "log_return", "covariates": [past(lag=3)], **extra}
        panel, levels, infos = load(tmp_path, entry)
        for info in infos:
            g = panel[panel["unique_id"] == info.unique_id]
            lv = levels[levels["unique_id"] == info.unique_id]
            assert len(g) == rows == info.length and info.covariates["x"]["rows_dropped"] == dropped
            assert len(lv) == len(g) + 1 and lv["ds"].iloc[1] == g["ds"].iloc[0]
            np.testing.assert_allclose(to_target(lv, "log_return")["y"].to_numpy(), g["y"].to_numpy())


def test_experiment_covariates_by_kind_in_declaration_order():
    entry = {"source": "builtin:sp500", "covariates": [
        {"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week"},
        {"name": "vix", "kind": "past", "source": "builtin:vix", "lag": 1},
        {"name": "vol", "kind": "past", "column": "Volume"},
        {"name": "cls", "kind": "static", "value": "x", "categorical": True}]}
    declared = experiment_covariates(specs(entry, {**entry, "source": "builtin:nasdaq"}))
    assert declared == Covariates(past=("vix", "vol"), known=("dow",), static=("cls",), categorical=("cls",))
    assert experiment_covariates(specs({"source": "builtin:sp500"})) == Covariates()


def test_integer_steps_and_parquet_files(tmp_path):
    steps = np.arange(0, 40, 2)  # the target every other step
    pd.DataFrame({"unique_id": "a", "ds": steps, "y": 1.0 + steps}).to_parquet(tmp_path / "t.parquet")
    obs = pd.DataFrame({"step": [-3, 1, 4, 5, 11, 12, 20, 27, 33, 38], "x": np.arange(10.0)})
    obs.to_parquet(tmp_path / "c.parquet")
    known = pd.DataFrame({"ds": steps, "k": steps * 10.0})
    known.to_csv(tmp_path / "k.csv", index=False)
    entry = {"source": "parquet:t.parquet", "covariates": [
        {"name": "x", "kind": "past", "source": "parquet:c.parquet", "time_column": "step", "lag": 1},
        {"name": "k", "kind": "known", "source": "csv:k.csv"}]}
    panel, _, _ = load(tmp_path, entry)
    assert panel["ds"].tolist() == steps[1:].tolist()
    expected = [obs.loc[obs["step"] <= t, "x"].iloc[-1] for t in steps[:-1]]
    np.testing.assert_array_equal(panel["x"].to_numpy(), expected)
    np.testing.assert_array_equal(panel["k"].to_numpy(), steps[1:] * 10.0)
