"""Seeded synthetic panels with covariates, and scoring helpers, for the covariate tests of the models."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The target is the covariate ``K`` steps earlier: y_t = x_{t-K}.
K = 3


def lagged_panel(lag: int, n: int = 360, ids: tuple[str, ...] = ("a", "b"), noise: float = 0.01,
                 seed: int = 0) -> pd.DataFrame:
    """``y_t = x_{t-K}`` plus ``noise`` (x iid normal), with the past column ``a_t = x_{t-lag}``.

    ``a`` is the covariate as the data loader hands it over under a publication
    lag of ``lag`` rows: the row of time t holds the value published by t. The
    small noise keeps ARIMA's likelihood bounded (an exact fit has zero variance).
    """
    rng = np.random.default_rng(seed)
    frames = []
    pad = K + lag + 1
    for uid in ids:
        x = rng.normal(size=n + pad)
        t = np.arange(pad, n + pad)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": np.arange(n), "y": x[t - K] + noise * rng.normal(size=n),
                                    "a": x[t - lag]}))
    return pd.concat(frames, ignore_index=True)


def known_panel(n: int = 200, seed: int = 1, dates: bool = True) -> pd.DataFrame:
    """One series ``y_t = 3 z_t + noise`` with ``z`` iid normal: a known covariate that drives the target."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    ds = pd.bdate_range("2021-01-04", periods=n) if dates else np.arange(n)
    return pd.DataFrame({"unique_id": "s", "ds": ds, "y": 3.0 * z + 0.1 * rng.normal(size=n), "z": z})


def cutoffs(panel: pd.DataFrame, first: int, last: int, step: int = 1) -> pd.DataFrame:
    """Cutoffs at rows ``first, first + step, ..`` up to ``last`` (exclusive) of every series."""
    rows = []
    for uid, g in panel.groupby("unique_id", sort=False):
        rows.append(pd.DataFrame({"unique_id": uid, "cutoff": g["ds"].to_numpy()[first:last:step]}))
    return pd.concat(rows, ignore_index=True)


def mae_and_random_walk(forecasts: pd.DataFrame, panel: pd.DataFrame) -> tuple[float, float]:
    """MAE of ``forecasts`` and of the random walk (the value at the cutoff) on the same targets."""
    actual = forecasts.merge(panel[["unique_id", "ds", "y"]], on=["unique_id", "ds"], validate="one_to_one")
    last = panel[["unique_id", "ds", "y"]].rename(columns={"ds": "cutoff", "y": "y_last"})
    actual = actual.merge(last, on=["unique_id", "cutoff"], validate="many_to_one")
    assert len(actual) == len(forecasts)
    return (float(np.abs(actual["y_pred"] - actual["y"]).mean()),
            float(np.abs(actual["y_last"] - actual["y"]).mean()))
