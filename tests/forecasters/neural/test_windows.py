"""Windows and instance normalisation of the neural forecasters (numpy only, no torch needed)."""

import numpy as np
import pytest

from tsbench.forecasters.neural.windows import denormalise, input_windows, make_windows, normalise


def test_normalisation_round_trips_exactly():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(0, 0.01, (50, 32)), axis=1) + rng.normal(5, 1, (50, 1))
    y = x[:, -1:] + rng.normal(0, 0.02, (50, 6))
    x_norm, y_norm, loc, scale = normalise(x, y)
    np.testing.assert_allclose(denormalise(x_norm, loc, scale), x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(denormalise(y_norm, loc, scale), y, rtol=0, atol=1e-12)
    # outputs with trailing axes (horizon, channels) map back the same way
    z = np.stack([y_norm, 2 * y_norm], axis=-1)
    np.testing.assert_allclose(denormalise(z, loc, scale)[..., 0], y, rtol=0, atol=1e-12)


def test_normalisation_is_change_from_last_value_in_step_units():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])  # steps of 1
    x_norm, y_norm, loc, scale = normalise(x, np.array([[5.0, 6.0]]))
    assert loc[0, 0] == 4.0 and scale[0, 0] == pytest.approx(1.0)
    np.testing.assert_allclose(x_norm, [[-3.0, -2.0, -1.0, 0.0]])
    np.testing.assert_allclose(y_norm, [[1.0, 2.0]])
    # a zero output is the random walk
    np.testing.assert_allclose(denormalise(np.zeros((1, 2)), loc, scale), [[4.0, 4.0]])


def test_flat_window_stays_finite_and_round_trips():
    x = np.full((1, 8), 3.0)
    x_norm, _, loc, scale = normalise(x)
    assert np.isfinite(x_norm).all() and scale[0, 0] > 0
    np.testing.assert_allclose(denormalise(x_norm, loc, scale), x)


def test_validation_targets_are_never_training_targets():
    y = np.arange(100.0)
    w = make_windows([y], input_size=10, horizon=3, val_size=0.2)
    assert w.x_train.shape[1] == 10 and w.y_train.shape[1] == 3
    assert w.y_train.max() < 80  # the last 20 values are validation targets only
    assert w.y_val.max() == 99 and w.y_val.min() >= 80 - 2
    assert len(w.x_train) + len(w.x_val) == 100 - 10 - 3 + 1


def test_short_series_are_padded_with_their_first_value():
    w = make_windows([np.array([5.0, 6.0, 7.0, 8.0, 9.0, 10.0])], input_size=8, horizon=2, val_size=0.0)
    assert len(w.x_train) >= 1
    np.testing.assert_array_equal(w.x_train[-1], [5, 5, 5, 5, 5, 6, 7, 8])
    np.testing.assert_array_equal(w.y_train[-1], [9, 10])


def test_windows_with_missing_values_are_dropped():
    y = np.arange(40.0)
    y[20] = np.nan
    w = make_windows([y], input_size=5, horizon=2, val_size=0.0)
    assert np.isfinite(w.x_train).all() and np.isfinite(w.y_train).all()


def test_input_windows_never_read_another_series_or_past_the_end():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 40.0])  # series A: 0..2, series B: 3..6
    x = input_windows(values, ends=np.array([2, 4, 6]), starts=np.array([0, 3, 3]), input_size=3)
    np.testing.assert_array_equal(x, [[1, 2, 3], [10, 10, 20], [20, 30, 40]])
