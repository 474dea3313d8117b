"""Lag/rolling/calendar features and target transforms: values, windows and exact inverses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import DataError
from tsbench.forecasters.lightgbm.features import (
    FeatureSpec,
    calendar_features,
    lag_windows,
    parse_calendar,
    parse_lags,
    parse_rolling,
    row_starts,
    window_features,
)
from tsbench.forecasters.lightgbm.transforms import forward, inverse, series_starts


def test_parse_lags_and_rolling():
    assert parse_lags(3) == (1, 2, 3)
    assert parse_lags([5, 1, 5]) == (1, 5)
    assert parse_rolling({"std": [20, 5], "mean": 3}) == (("mean", 3), ("std", 5), ("std", 20))
    assert parse_calendar(["month", "dayofweek"]) == ("month", "dayofweek")
    for bad in (0, [], [0], "3", True, 2.5):
        with pytest.raises(ValueError):
            parse_lags(bad)
    with pytest.raises(ValueError, match="statistic"):
        parse_rolling({"median": [3]})
    with pytest.raises(ValueError, match=">= 2"):
        parse_rolling({"std": [1]})
    with pytest.raises(ValueError, match="calendar"):
        parse_calendar(["hour_of_moon"])


def test_windows_stop_at_series_start_and_at_the_anchor():
    ids = np.array(["a"] * 4 + ["b"] * 3, dtype=object)
    z = np.arange(7, dtype=float)  # a: 0 1 2 3, b: 4 5 6
    starts = row_starts(series_starts(ids))
    anchors = np.array([1, 3, 4, 6])
    w = lag_windows(z, anchors, starts[anchors], 3)
    expected = np.array([[np.nan, 0, 1], [1, 2, 3], [np.nan, np.nan, 4], [4, 5, 6]])
    np.testing.assert_array_equal(w, expected)


def test_window_features_by_hand():
    windows = np.array([[1.0, 2.0, 4.0, 8.0], [np.nan, 3.0, 3.0, 6.0]])
    spec = FeatureSpec(lags=(1, 3), rolling=(("mean", 2), ("std", 3), ("min", 4), ("max", 2)))
    assert spec.width == 4
    assert spec.names == ["lag1", "lag3", "rolling_mean_2", "rolling_std_3", "rolling_min_4", "rolling_max_2"]
    got = window_features(windows, spec)
    row0 = [8.0, 2.0, 6.0, np.std([2.0, 4.0, 8.0], ddof=1), 1.0, 8.0]
    row1 = [6.0, 3.0, 4.5, np.std([3.0, 3.0, 6.0], ddof=1), np.nan, 6.0]  # min over 4 needs 4 values
    np.testing.assert_allclose(got, np.array([row0, row1]), rtol=0, atol=1e-15)


def test_calendar_features():
    ds = pd.to_datetime(["2024-01-05", "2024-03-31"]).to_numpy()  # a Friday, a Sunday
    got = calendar_features(ds, ("dayofweek", "month", "dayofmonth", "quarter", "year"))
    np.testing.assert_array_equal(got, [[4, 1, 5, 1, 2024], [6, 3, 31, 1, 2024]])


@pytest.mark.parametrize("transform", ["difference", "log_return", "return"])
def test_forward_then_inverse_restores_levels(transform):
    rng = np.random.default_rng(1)
    y = np.r_[50 * np.exp(np.cumsum(rng.normal(0, 0.02, 30))), 20 + np.cumsum(rng.normal(0, 0.3, 25))]
    ids = np.array(["a"] * 30 + ["b"] * 25, dtype=object)
    first = series_starts(ids)
    z = forward(y, first, transform)
    assert np.isnan(z[first]).all() and np.isfinite(z[~first]).all()
    cut_a, cut_b = 20, 30 + 15  # forecast 6 steps from two cutoffs with the true future targets
    zz = np.vstack([z[cut_a + 1 : cut_a + 7], z[cut_b + 1 : cut_b + 7]])
    levels = inverse(zz, y[[cut_a, cut_b]], transform)
    np.testing.assert_allclose(levels, np.vstack([y[cut_a + 1 : cut_a + 7], y[cut_b + 1 : cut_b + 7]]), rtol=1e-12)


@pytest.mark.parametrize("transform", ["difference", "log_return", "return"])
def test_zero_change_restores_the_last_level_exactly(transform):
    last = np.array([101.37, 0.0123, 7.0e5])
    levels = inverse(np.zeros((3, 5)), last, transform)
    assert (levels == last[:, None]).all()


def test_ratio_transforms_need_positive_levels():
    y = np.array([1.0, 2.0, 0.0, 3.0])
    first = series_starts(np.array(["a"] * 4, dtype=object))
    for transform in ("log_return", "return"):
        with pytest.raises(DataError, match="positive"):
            forward(y, first, transform)
    np.testing.assert_array_equal(forward(y, first, "difference")[1:], [1.0, -2.0, 3.0])
