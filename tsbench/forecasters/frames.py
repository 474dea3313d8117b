"""Small helpers that turn the cutoffs asked of a forecaster into arrays per series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.panel import DS, ID

__all__ = ["cutoffs_by_series", "cutoffs_on_rows"]


def cutoffs_by_series(cutoffs: pd.DataFrame) -> dict[object, np.ndarray]:
    """The sorted cutoffs asked for each series of a ``unique_id, cutoff`` frame."""
    ids, values = cutoffs[ID].to_numpy(), cutoffs["cutoff"].to_numpy()
    out: dict[object, list] = {}
    for uid, cut in zip(ids, values):
        out.setdefault(uid, []).append(cut)
    return {uid: np.sort(np.asarray(cuts)) for uid, cuts in out.items()}


def cutoffs_on_rows(mapped: pd.Series, history: pd.DataFrame) -> np.ndarray:
    """Cutoffs aligned to history rows; rows of series without a cutoff compare False."""
    values = mapped.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(history[DS]):
        return pd.to_datetime(mapped).to_numpy()
    return np.where(pd.isna(values), -np.inf, values).astype(float)
