"""Covariate inputs of the neural forecasters, in numpy: training windows, origin inputs, standardisation."""

import numpy as np
import pandas as pd
import pytest

from tsbench.covariates import Covariates
from tsbench.errors import DataError
from tsbench.forecasters.neural.covariate_windows import (
    known_columns,
    origin_inputs,
    round_inputs,
    standardiser,
    training_windows,
)
from tsbench.forecasters.neural.windows import make_windows

COV = Covariates(past=("p",), known=("c",), static=("s",))
IDENTITY = (np.zeros(3), np.ones(3))


def frame(lengths=(12, 9)):
    """Series whose values encode their row: y = 1000 i + t, p = 100 + t, c = 200 + t, s = i (series i)."""
    parts = []
    for i, n in enumerate(lengths):
        t = np.arange(n)
        parts.append(pd.DataFrame({"unique_id": f"s{i}", "ds": t, "y": 1000.0 * i + t, "p": 100.0 + t,
                                   "c": 200.0 + t, "s": float(i)}))
    return pd.concat(parts, ignore_index=True)


def test_training_windows_are_those_of_the_target_with_their_rows_covariates():
    train = frame()
    plain = make_windows([g.to_numpy() for _, g in train.groupby("unique_id")["y"]], 4, 2, 0.2)
    w = training_windows(train, COV, IDENTITY, 4, 2, 0.2)
    for got, want in zip((w.x_train, w.y_train, w.x_val, w.y_val), (plain.x_train, plain.y_train, plain.x_val,
                                                                    plain.y_val)):
        np.testing.assert_array_equal(got, want)
    for (enc, dec), x, target in ((w.extra_train, w.x_train, w.y_train), (w.extra_val, w.x_val, w.y_val)):
        assert enc.shape == (len(x), 4, 3) and dec.shape == (len(x), 2, 1)
        series = x[:, :1] // 1000
        t_in = x - 1000 * series
        np.testing.assert_array_equal(enc[:, :, 0], 100 + t_in)  # the past column of the input rows
        np.testing.assert_array_equal(enc[:, :, 2], np.broadcast_to(series, t_in.shape))
        np.testing.assert_array_equal(dec[:, :, 0], 200 + target - 1000 * series)  # known at the target rows


def test_training_windows_drop_windows_with_a_missing_covariate():
    train = frame((12,))
    train.loc[5, "p"] = np.nan
    w = training_windows(train, COV, IDENTITY, 3, 1, 0.0)
    assert len(w.x_train) == 12 - 3 - 3  # the three windows whose inputs hold row 5
    assert np.isfinite(w.extra_train[0]).all()


def test_origin_inputs_read_no_row_after_the_cutoff_but_known_values():
    history = frame((12,))
    future = pd.DataFrame({"unique_id": "s0", "ds": [12, 13], "c": [212.0, 213.0]})
    ends = np.array([5, 11])
    got = origin_inputs(history, COV, IDENTITY, ends, np.zeros(2, int), np.full(2, 11), np.array(["s0", "s0"]),
                        input_size=4, horizon=2, future=future, owner="M")
    assert got.shape == (2, 6, 3)
    np.testing.assert_array_equal(got[0, :, 0], [102, 103, 104, 105, 105, 105])  # past held at the cutoff
    np.testing.assert_array_equal(got[0, :, 1], [202, 203, 204, 205, 206, 207])  # known rows ahead
    np.testing.assert_array_equal(got[1, :, 1], [208, 209, 210, 211, 212, 213])  # ... continued by 'future'
    np.testing.assert_array_equal(got[1, :, 2], 0.0)
    with pytest.raises(DataError, match="'future'"):
        origin_inputs(history, COV, IDENTITY, ends, np.zeros(2, int), np.full(2, 11), np.array(["s0", "s0"]),
                      input_size=4, horizon=3, future=future, owner="M")


def test_origin_inputs_pad_short_series_with_their_first_row_and_standardise():
    history = frame((12, 3))
    stats = (np.array([100.0, 200.0, 0.0]), np.array([2.0, 4.0, 1.0]))
    got = origin_inputs(history, COV, stats, np.array([13]), np.array([12]), np.array([14]), np.array(["s1"]),
                        input_size=4, horizon=1, future=pd.DataFrame({"unique_id": ["s1"], "ds": [3], "c": [203.0]}),
                        owner="M")
    np.testing.assert_array_equal(got[0, :, 0], np.array([100, 100, 100, 101, 101]) / 2 - 50)
    np.testing.assert_array_equal(got[0, -1, 1], 2 / 4)  # row 14, in the history


def test_round_inputs_shift_the_window_and_repeat_the_last_row():
    inputs = np.arange(7, dtype=float)[None, :, None].repeat(2, axis=2)  # L = 3, 4 steps ahead
    enc, dec = round_inputs(inputs, 0, 3, 2, known_columns(Covariates(past=("p",), known=("c",))))
    np.testing.assert_array_equal(enc[0, :, 0], [0, 1, 2])
    np.testing.assert_array_equal(dec[0, :, 0], [3, 4])
    enc, dec = round_inputs(inputs, 2, 3, 2, slice(1, 2))
    np.testing.assert_array_equal(enc[0, :, 0], [4, 5, 6])
    np.testing.assert_array_equal(dec[0, :, 0], [6, 6])


def test_standardiser_ignores_missing_values_and_keeps_flat_columns_finite():
    X = np.array([[1.0, 5.0, np.nan], [3.0, 5.0, np.nan], [np.nan, 5.0, np.nan]])
    mean, std = standardiser(X)
    np.testing.assert_array_equal(mean, [2.0, 5.0, 0.0])
    np.testing.assert_array_equal(std, [1.0, 1.0, 1.0])
    assert standardiser(np.empty((4, 0)))[0].shape == (0,)
