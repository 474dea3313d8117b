"""The proof that nothing leaks, through the whole run: a target that copies a covariate k steps late.

The data file holds ``y_t = x_{t-k}`` with ``x`` white noise. Declared as a past
covariate with publication lag ``L``, the value the models may read at time t
is ``x_{t-L}``; the next target ``y_{t+1} = x_{t+1-k}`` is among those values
exactly when ``L < k``. So the covariate-aware models must forecast it almost
exactly when ``L < k``, and must not when ``L >= k`` (where only a leak could).
The file, the loader's lag, the engine's slicing and the models are all the
real ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.experiment import parse_experiment
from tsbench.runner import run_experiment

K = 3


def write_lagged_copy(path, n=260, series=2, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(series):
        x = rng.normal(size=n + K)
        frames.append(pd.DataFrame({"unique_id": f"s{s}", "ds": pd.bdate_range("2020-01-01", periods=n),
                                    "y": x[:n] + 0.01 * rng.normal(size=n), "x": x[K:]}))
    # row t holds x_t and y_t = x_{t-K} (plus a little noise, so that ARIMA's likelihood stays finite)
    pd.concat(frames).to_csv(path, index=False)


def run_with_lag(tmp_path, lag: int):
    write_lagged_copy(tmp_path / "lagged.csv")
    raw = {
        "name": f"lag{lag}",
        "data": [{"source": "csv:lagged.csv", "target": "price",
                  "covariates": [{"name": "x", "kind": "past", "lag": lag}]}],
        "backtest": {"horizon": 1, "origins": 40, "step": 1, "refit_every": 20, "min_train": 100},
        "forecasters": [
            {"name": "random_walk", "model": "naive"},
            {"name": "lightgbm", "model": "lightgbm",
             "params": {"lags": 2, "n_estimators": 200, "transform": "none", "covariate_lags": [1, 2, 3, 4]}, "covariates": "all"},
            {"name": "arima", "model": "arima", "params": {"order": [0, 0, 0], "covariate_lags": [1, 2, 3]},
             "covariates": ["x"]},
        ],
        "metrics": ["mae"],
        "executor": {"kind": "serial"},
        "seed": 0,
    }
    result = run_experiment(parse_experiment(raw), base_dir=tmp_path, output=tmp_path / "out", progress=False,
                            report=False)
    board = result.leaderboard.set_index("model")
    column = next(c for c in board.columns if c.startswith("mae"))
    return board[column] / board.loc["random_walk", column]


@pytest.mark.parametrize("lag", [0, 2])
def test_a_covariate_published_in_time_is_used(tmp_path, lag):
    ratio = run_with_lag(tmp_path, lag)
    assert ratio["lightgbm"] < 0.15, ratio
    assert ratio["arima"] < 0.05, ratio


@pytest.mark.parametrize("lag", [K, K + 1])
def test_a_covariate_published_too_late_cannot_be_used(tmp_path, lag):
    ratio = run_with_lag(tmp_path, lag)
    # the best forecast of white noise has about 0.71x the random walk's MAE; a leak would give ~0
    assert ratio["lightgbm"] > 0.5, ratio
    assert ratio["arima"] > 0.5, ratio
