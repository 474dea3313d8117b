"""Where origins fall, what each fit sees, and when a series is too short."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tsbench.engine.origins import plan_series, standardize, plan_backtest
from tsbench.config import BacktestSpec
from tsbench.errors import DataError

DS = np.arange(100)


def spec(**kw):
    return BacktestSpec(**kw)


def test_rolling_origins_end_so_that_the_last_forecast_is_the_last_observation():
    plan = plan_series("a", DS, spec(horizon=5, origins=4, step=3, refit_every=2))
    assert plan.cutoffs == (85, 88, 91, 94)
    assert plan.blocks == ((0, 1), (2, 3))
    assert plan.train_slice(1) == slice(0, 92)
    assert plan.context_slice(3) == slice(0, 95)


def test_sliding_window_and_gap():
    plan = plan_series("a", DS, spec(horizon=1, origins=2, step=1, window=30, gap=2))
    assert plan.cutoffs == (97, 98)
    assert plan.train_slice(0) == slice(66, 96)  # 30 rows ending 2 before the cutoff
    assert plan.context_slice(1) == slice(69, 99)


def test_refit_once_gives_one_block():
    plan = plan_series("a", DS, spec(horizon=2, origins=5, refit_every="once"))
    assert plan.blocks == ((0, 1, 2, 3, 4),)


def test_start_date_places_the_first_forecast_on_it():
    ds = pd.bdate_range("2020-01-01", periods=60).to_numpy()
    plan = plan_series("a", ds, spec(horizon=1, start=dt.date(2020, 3, 2), step=5))
    first_forecast = ds[plan.cutoffs[0] + 1]
    assert pd.Timestamp(first_forecast) == pd.Timestamp("2020-03-02")
    assert all(np.diff(plan.cutoffs) == 5) and plan.cutoffs[-1] <= 58


def test_split_protocol_uses_every_test_origin_and_one_fit():
    plan = plan_series("a", DS, spec(protocol="split", horizon=4, train=0.7, val=0.1, test=0.2, input_size=24))
    assert plan.cutoffs[0] == 79 and plan.cutoffs[-1] == 95 and len(plan.cutoffs) == 17
    assert plan.blocks == (tuple(range(17)),)
    assert plan.train_slice(0) == slice(0, 80)
    assert plan.scaler_rows == 70
    assert plan.context_slice(5) == slice(61, 85)


def test_too_few_observations_is_explained():
    with pytest.raises(DataError, match=r"series 'a' has 100 observations, too few for the backtest asked for \(40 origins 3 apart with horizon 5 and gap 0\): the first fit would see 0 observations, and at least 20"):
        plan_series("a", DS, spec(horizon=5, origins=40, step=3))


def test_standard_scaling_uses_the_training_part_only():
    y = np.r_[np.zeros(50) + np.arange(50) % 2, np.full(50, 100.0)]
    panel = pd.DataFrame({"unique_id": "a", "ds": DS, "y": y})
    plans = plan_backtest(panel, spec(protocol="split", horizon=1, train=0.5, test=0.5))
    scaled = standardize(panel, plans)
    assert scaled["y"].iloc[:50].mean() == pytest.approx(0.0)
    assert scaled["y"].iloc[:50].std(ddof=0) == pytest.approx(1.0)
    assert scaled["y"].iloc[-1] == pytest.approx((100 - 0.5) / 0.5)


def test_absolute_split_borders_take_rows_from_the_start_and_leave_the_rest():
    # 40 rows: train 0-19, val 20-27, test 28-35, rows 36-39 unused (as ETT leaves its last 3,020 hours)
    plan = plan_series("a", np.arange(40), spec(protocol="split", horizon=2, train=20, val=8, test=8, input_size=5))
    assert plan.cutoffs == tuple(range(27, 34))  # first origin: last val row; last forecast lands on row 35
    assert plan.scaler_rows == 20
    assert plan.blocks == (tuple(range(7)),)
    assert plan.train_slice(0) == slice(0, 28)  # the model sees train and val; it carves its own validation
    assert plan.context_slice(0) == slice(23, 28)  # the first test window reaches back into val


def test_drop_last_keeps_whole_test_batches_only():
    base = dict(protocol="split", horizon=2, train=20, val=8, test=8)
    assert len(plan_series("a", np.arange(40), spec(**base)).cutoffs) == 7
    assert plan_series("a", np.arange(40), spec(**base, drop_last=3)).cutoffs == tuple(range(27, 33))  # 3 * (7 // 3)
    assert len(plan_series("a", np.arange(40), spec(**base, drop_last=7)).cutoffs) == 7
    with pytest.raises(DataError, match="drop_last 8"):  # one partial batch only: nothing left to score
        plan_series("a", np.arange(40), spec(**base, drop_last=8))


def test_split_parts_are_all_fractions_or_all_row_counts():
    from tsbench.errors import ConfigError
    from tsbench.config import validate_experiment

    def bt(**kw):
        raw = {"name": "x", "data": [{"source": "builtin:sp500"}], "forecasters": [{"name": "n", "model": "naive"}],
               "backtest": {"protocol": "split", "horizon": 1, **kw}}
        return validate_experiment(raw).backtest

    assert bt(train=8640, val=2880, test=2880).split_is_absolute()
    assert not bt(train=0.7, val=0.1, test=0.2).split_is_absolute()
    with pytest.raises(ConfigError, match="all as fractions"):
        bt(train=8640, val=0.1, test=2880)
    with pytest.raises(ConfigError, match="not true/false"):
        bt(train=0.7, test=0.3, drop_last=True)
    with pytest.raises(ConfigError, match="belongs to 'protocol: split'"):
        validate_experiment({"name": "x", "data": [{"source": "builtin:sp500"}], "forecasters": [{"name": "n", "model": "naive"}],
                             "backtest": {"horizon": 1, "origins": 3, "drop_last": 32}})
    with pytest.raises(DataError, match="2880 test = 14400"):
        plan_series("a", np.arange(14000), bt(train=8640, val=2880, test=2880))


def test_channels_all_needs_every_series_at_the_same_times():
    panel = pd.concat([pd.DataFrame({"unique_id": u, "ds": np.arange(k, 50 + k), "y": 1.0}) for u, k in (("a", 0), ("b", 1))])
    plan_backtest(panel, spec(horizon=1, origins=3))  # each series on its own: fine
    with pytest.raises(DataError, match="series 'b' .* different timestamps"):
        plan_backtest(panel, spec(horizon=1, origins=3, channels="all"))
