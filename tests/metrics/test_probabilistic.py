"""Probabilistic scores checked on a standard normal forecast, whose quantiles are known."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from tsbench.errors import DataError
from tsbench.metrics.registry import get_metric, is_metric
from tsbench.metrics.probabilistic import central_intervals, coverage, crps, pinball, width, winkler
from tsbench.panel import quantile_column

Z90 = 1.2815515655446004  # 0.9 quantile of the standard normal
BY = ["unique_id", "model"]


def frame(ys, levels=(0.1, 0.5, 0.9), model="m") -> pd.DataFrame:
    """Standard normal quantile forecasts for each actual of ``ys``."""
    df = pd.DataFrame({"unique_id": "x", "model": model, "h": 1, "y": ys, "y_pred": 0.0})
    quantiles = pd.DataFrame({quantile_column(lv): norm.ppf(lv) for lv in levels}, index=df.index)
    return pd.concat([df, quantiles], axis=1)


def test_pinball_by_hand():
    # y = 0.5: level 0.1 under-forecast by 1.7816, level 0.5 by 0.5, level 0.9 over-forecast by 0.7816
    expected = (0.1 * (0.5 + Z90) + 0.5 * 0.5 + 0.1 * (Z90 - 0.5)) / 3
    assert pinball(frame([0.5]), BY).iloc[0] == pytest.approx(expected)
    assert expected == pytest.approx(0.168770, abs=1e-6)


def test_crps_from_three_quantiles_is_twice_mean_pinball():
    # evenly spaced levels weigh the same, so CRPS = 2 x mean pinball
    assert crps(frame([0.5]), BY).iloc[0] == pytest.approx(2 * 0.1687703, abs=1e-6)


@pytest.mark.parametrize("y", [0.0, 0.5, -1.7, 3.0])
def test_crps_approaches_the_normal_closed_form(y):
    levels = np.round(np.arange(1, 100) / 100, 2)
    exact = y * (2 * norm.cdf(y) - 1) + 2 * norm.pdf(y) - 1 / np.sqrt(np.pi)
    got = crps(frame([y], levels), BY).iloc[0]
    assert got == pytest.approx(exact, rel=0.02)


def test_interval_metrics_by_hand():
    df = frame([0.5, 2.0])  # inside, then above the 80% interval by 2 - 1.2816
    assert coverage(df, BY).iloc[0] == pytest.approx(0.5)
    assert width(df, BY).iloc[0] == pytest.approx(2 * Z90)
    expected = (2 * Z90 + (2 * Z90 + (2 / 0.2) * (2.0 - Z90))) / 2
    assert winkler(df, BY).iloc[0] == pytest.approx(expected)


def test_named_intervals_and_widest_default():
    df = frame([0.3, -0.3], levels=(0.05, 0.25, 0.5, 0.75, 0.95))
    assert list(central_intervals([0.05, 0.25, 0.5, 0.75, 0.95])) == [0.5, 0.9]
    assert get_metric("coverage_50").fn(df, BY).iloc[0] == pytest.approx(1.0)
    assert get_metric("width_90").fn(df, BY).iloc[0] == pytest.approx(2 * norm.ppf(0.95))
    assert width(df, BY).iloc[0] == pytest.approx(2 * norm.ppf(0.95))  # widest by default
    assert is_metric("coverage_80") and not is_metric("coverage_x") and not is_metric("mae_80")
    with pytest.raises(DataError, match="no central 80% interval"):
        get_metric("coverage_80").fn(df, BY)


def test_missing_quantiles_give_nan_for_that_model():
    with_q = frame([0.5])
    without = with_q.assign(model="point", **{quantile_column(lv): np.nan for lv in (0.1, 0.5, 0.9)})
    out = pinball(pd.concat([with_q, without], ignore_index=True), BY)
    assert np.isnan(out.loc[("x", "point")]) and out.loc[("x", "m")] > 0


def test_no_quantiles_is_a_clear_error():
    with pytest.raises(DataError, match="quantiles"):
        pinball(frame([0.5]).drop(columns=["q_0.1", "q_0.5", "q_0.9"]), BY)
