"""Out-of-sample R-squared against the random walk and the historical mean, by hand."""

import pandas as pd
import pytest

from tsbench.metrics.evaluation import evaluate
from tsbench.metrics.oos import r2_oos_mean, r2_oos_rw

BY = ["unique_id", "model"]


def rows(y, y_pred, y_last=(10.0, 10.0), cutoffs=(0, 0)):
    return pd.DataFrame({"unique_id": "x", "model": "m", "cutoff": list(cutoffs), "y": y, "y_pred": y_pred,
                         "y_last": list(y_last)})


def test_against_random_walk_on_prices():
    # model errors 0.5 and 0.8; the no-change forecast misses by 1 and 1
    got = r2_oos_rw(rows([11.0, 9.0], [10.5, 9.8]), BY).iloc[0]
    assert got == pytest.approx(1 - (0.25 + 0.64) / 2)


def test_against_random_walk_on_returns_is_a_zero_forecast():
    df = rows([0.01, -0.02], [0.005, 0.0], y_last=(0.03, 0.03))
    assert r2_oos_rw(df, BY, scale="log_return").iloc[0] == pytest.approx(1 - (0.005**2 + 0.02**2) / (0.01**2 + 0.02**2))
    assert r2_oos_rw(df, BY, scale={"x": "return"}).iloc[0] == pytest.approx(0.15)


def test_campbell_thompson_uses_the_mean_up_to_each_cutoff():
    history = pd.DataFrame({"unique_id": "x", "ds": range(6), "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    df = rows([4.0, 5.0], [3.5, 4.0], cutoffs=(2, 3))  # means 2 and 2.5
    assert r2_oos_mean(df, BY, history).iloc[0] == pytest.approx(1 - (0.25 + 1.0) / (4.0 + 6.25))


def test_random_walk_scores_zero_through_evaluate():
    panel = pd.DataFrame({"unique_id": "x", "ds": range(6), "y": [1.0, 2.0, 4.0, 3.0, 5.0, 6.0]})
    fc = pd.DataFrame({"unique_id": "x", "cutoff": [2, 3], "ds": [3, 4], "h": 1, "model": "rw",
                       "y": [3.0, 5.0], "y_pred": [4.0, 3.0]})
    out = evaluate(fc, panel, ["r2_oos_rw", "r2_oos_mean"])
    values = dict(zip(out.loc[out["h"] == 0, "metric"], out.loc[out["h"] == 0, "value"]))
    assert values["r2_oos_rw"] == pytest.approx(0.0)
    assert values["r2_oos_mean"] == pytest.approx(1 - (1 + 4) / ((3 - 7 / 3) ** 2 + (5 - 2.5) ** 2))


def test_directional_accuracy_on_returns_reads_the_sign_of_the_return():
    from tsbench.metrics.point import directional_accuracy

    # last return was +2%; forecasting +1% calls an up move, which the actual +0.5% confirms
    df = pd.DataFrame({"unique_id": "a", "model": "m", "y": [0.005, -0.01], "y_pred": [0.01, 0.01],
                       "y_last": [0.02, 0.02]})
    on_returns = directional_accuracy(df, ["unique_id"], scale="log_return")
    on_levels = directional_accuracy(df, ["unique_id"], scale="log_price")
    assert on_returns.iloc[0] == pytest.approx(0.5)  # right, then wrong
    assert on_levels.iloc[0] == pytest.approx(1.0)  # read as levels, both are "down from 0.02"
    assert directional_accuracy(df.iloc[1:], ["unique_id"], scale="return").iloc[0] == 0.0
    assert directional_accuracy(df.iloc[1:], ["unique_id"], scale="price").iloc[0] == 1.0
