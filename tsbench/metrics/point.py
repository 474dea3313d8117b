"""Point-forecast metrics as plain functions over the evaluation frame.

Every metric takes ``(df, by)`` and returns a Series indexed by the ``by``
columns. ``df`` holds one row per forecast with ``y`` (actual), ``y_pred`` and
``y_last`` (the last observed value at the cutoff). Metrics that need more
declare it as a keyword argument (``train``, ``season_length``, ``scale``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.panel import ID, Y

__all__ = [
    "group_mean",
    "mae",
    "mse",
    "rmse",
    "mape",
    "smape",
    "mase",
    "mase_scale",
    "directional_accuracy",
]


def group_mean(values: np.ndarray, df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean of ``values`` (one per row of ``df``) within each group of the ``by`` columns.

    The groups are those of ``groupby(by, sort=True)`` and the means are its
    own (the same sums in the same row order), but the columns are turned into
    integer codes once (categorical columns already are) and grouped as one
    integer key, instead of hashing every key column together.
    """
    codes, levels = [], []
    for c in by:
        column = df[c]
        if isinstance(column.dtype, pd.CategoricalDtype):
            code, level = column.cat.codes.to_numpy(), column.cat.categories
        else:
            code, level = pd.factorize(column, sort=True)
        codes.append(code.astype(np.intp))
        levels.append(level)
    sizes = tuple(max(len(level), 1) for level in levels)
    if not by or np.prod([float(n) for n in sizes]) >= 2.0**62:
        return pd.Series(values, index=df.index).groupby([df[c] for c in by], sort=True).mean()
    series = pd.Series(values)
    missing = np.logical_or.reduce([code < 0 for code in codes])
    if missing.any():  # rows with a missing key belong to no group
        keep = ~missing
        series, codes = pd.Series(np.asarray(values)[keep]), [code[keep] for code in codes]
    means = series.groupby(np.ravel_multi_index(codes, sizes), sort=True).mean()
    parts = np.unravel_index(means.index.to_numpy(), sizes)
    if len(by) == 1:
        index = pd.Index(levels[0].take(parts[0]), name=by[0])
    else:
        index = pd.MultiIndex(levels=levels, codes=list(parts), names=list(by))
    return pd.Series(means.to_numpy(), index=index)


def _errors(df: pd.DataFrame) -> np.ndarray:
    return df["y"].to_numpy(dtype=float) - df["y_pred"].to_numpy(dtype=float)


def mae(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean absolute error."""
    return group_mean(np.abs(_errors(df)), df, by)


def mse(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean squared error."""
    return group_mean(_errors(df) ** 2, df, by)


def rmse(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Root mean squared error (the root of the group's MSE)."""
    return np.sqrt(mse(df, by))


def mape(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean absolute percentage error, in percent. Undefined where an actual is zero."""
    y = df["y"].to_numpy(dtype=float)
    if np.any(y == 0):
        uid = df.loc[y == 0, ID].iloc[0]
        raise DataError(
            f"MAPE is undefined for series '{uid}': it has an actual value of 0. "
            "Use smape or mase, or a target that stays away from zero (price, log_price)."
        )
    return group_mean(100.0 * np.abs(_errors(df) / y), df, by)


def smape(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Symmetric MAPE as in the M4 competition, from 0 to 200 (0/0 counts as 0)."""
    denom = np.abs(df["y"].to_numpy(dtype=float)) + np.abs(df["y_pred"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(denom == 0, 0.0, 200.0 * np.abs(_errors(df)) / denom)
    return group_mean(terms, df, by)


def mase_scale(train: pd.DataFrame, season_length: int = 1) -> pd.Series:
    """In-sample mean absolute seasonal difference of each series of ``train``."""
    y = train[Y]
    diff = (y - y.groupby(train[ID], sort=False).shift(season_length)).abs()
    return diff.groupby(train[ID], sort=False).mean()


def mase(df: pd.DataFrame, by: Sequence[str], train: pd.DataFrame, season_length: int = 1) -> pd.Series:
    """Mean absolute scaled error (Hyndman and Koehler, 2006).

    The scale is the mean absolute ``season_length``-difference of each series'
    training data at its first origin, so it is the same for every cutoff.
    """
    scale = mase_scale(train, season_length)
    bad = scale[~(scale > 0)]
    if len(bad):
        raise DataError(
            f"MASE is undefined for series '{bad.index[0]}': its training data are constant "
            f"(mean absolute {season_length}-step difference is 0). Drop the series or the mase metric."
        )
    per_row = df[ID].map(scale).to_numpy(dtype=float)
    return group_mean(np.abs(_errors(df)) / per_row, df, by)


def directional_accuracy(df: pd.DataFrame, by: Sequence[str], scale=None) -> pd.Series:
    """Share of forecasts whose direction of change from the last observed value is right.

    On return scales the direction is the sign of the return itself (its
    change from zero), not its change from the previous return. A forecast of
    exactly no change carries no direction and scores 0.5, the value of a coin
    flip, so the random walk is not punished for it.
    """
    from tsbench.metrics.oos import on_return_scale

    last = np.where(on_return_scale(df, scale), 0.0, df["y_last"].to_numpy(dtype=float))
    predicted = np.sign(df["y_pred"].to_numpy(dtype=float) - last)
    actual = np.sign(df["y"].to_numpy(dtype=float) - last)
    score = np.where(predicted == 0, 0.5, (predicted == actual).astype(float))
    return group_mean(score, df, by)
