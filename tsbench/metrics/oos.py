"""Out-of-sample R-squared of point forecasts against the random walk and the historical mean.

``R2_OS = 1 - sum (y - y_pred)^2 / sum (y - y_bench)^2`` over a group's rows:
positive when the model's squared errors are smaller than the benchmark's.
Against the historical mean (Campbell and Thompson, 2008) the benchmark at each
origin is the mean of the series up to its cutoff. Against the random walk it
is the no-change forecast of the price: the last observed value on the price
and log-price scales, and a zero return on the return scales.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsbench.data.scales import RETURN_SCALES
from tsbench.panel import DS, ID, Y

__all__ = ["on_return_scale", "r2_oos", "r2_oos_rw", "r2_oos_mean", "expanding_mean_at"]



def r2_oos(df: pd.DataFrame, by: Sequence[str], benchmark: np.ndarray) -> pd.Series:
    """R-squared of ``y_pred`` against any ``benchmark`` forecast (one value per row of ``df``)."""
    y = df["y"].to_numpy(dtype=float)
    model = pd.Series((y - df["y_pred"].to_numpy(dtype=float)) ** 2, index=df.index)
    bench = pd.Series((y - np.asarray(benchmark, dtype=float)) ** 2, index=df.index)
    keys = [df[c] for c in by]
    sse, sse_bench = model.groupby(keys, sort=True).sum(), bench.groupby(keys, sort=True).sum()
    return (1.0 - sse / sse_bench.where(sse_bench > 0)).astype(float)


def on_return_scale(df: pd.DataFrame, scale: str | Mapping[str, str] | None) -> np.ndarray:
    """Which rows of ``df`` are returns (where "no change" means a return of zero, not the last value)."""
    if scale is None:
        return np.zeros(len(df), dtype=bool)
    if isinstance(scale, str):
        return np.full(len(df), scale in RETURN_SCALES)
    return df[ID].astype(str).map(scale).isin(RETURN_SCALES).to_numpy()


def r2_oos_rw(df: pd.DataFrame, by: Sequence[str], scale: str | Mapping[str, str] | None = None) -> pd.Series:
    """Out-of-sample R-squared against the random walk of prices (higher is better, 0 ties it)."""
    bench = np.where(on_return_scale(df, scale), 0.0, df["y_last"].to_numpy(dtype=float))
    return r2_oos(df, by, bench)


def expanding_mean_at(history: pd.DataFrame, frame: pd.DataFrame) -> np.ndarray:
    """Mean of each series of ``history`` over every observation up to each row's ``cutoff``."""
    h = history.sort_values([ID, DS], kind="stable", ignore_index=True)
    group = h.groupby(ID, sort=False)[Y]
    means = group.cumsum() / (group.cumcount() + 1)
    table = pd.Series(means.to_numpy(dtype=float), index=pd.MultiIndex.from_arrays([h[ID].astype(str), h[DS]]))
    keys = pd.MultiIndex.from_arrays([frame[ID].astype(str), frame["cutoff"]])
    return table.reindex(keys).to_numpy(dtype=float)


def r2_oos_mean(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame) -> pd.Series:
    """Campbell-Thompson out-of-sample R-squared against the historical mean up to each cutoff."""
    return r2_oos(df, by, expanding_mean_at(history, df))
