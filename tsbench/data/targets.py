"""Forecast targets derived from a price level: price, log price, simple and log returns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.panel import ID, Y

__all__ = ["TARGETS", "to_target"]

TARGETS = ("price", "log_price", "return", "log_return")


def to_target(panel: pd.DataFrame, target: str) -> pd.DataFrame:
    """Transform each series' level ``y`` into ``target``; returns drop each series' first row."""
    if target not in TARGETS:
        raise DataError(f"unknown target {target!r}; expected one of {list(TARGETS)}.")
    if target == "price":
        return panel
    if target in ("log_price", "log_return"):
        bad = panel[panel[Y] <= 0]
        if len(bad):
            row = bad.iloc[0]
            raise DataError(
                f"series '{row[ID]}': target {target!r} needs positive values, got {row[Y]} at "
                f"{row['ds']}. Use target 'price' or 'return' for series that reach zero or below."
            )
    out = panel.copy()
    if target == "log_price":
        out[Y] = np.log(out[Y].to_numpy())
        return out
    level = np.log(out[Y]) if target == "log_return" else out[Y]
    prev = level.groupby(out[ID], sort=False).shift(1)
    out[Y] = (level - prev) if target == "log_return" else (level / prev - 1.0)
    return out[prev.notna().to_numpy()].reset_index(drop=True)
