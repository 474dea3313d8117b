"""Small helpers around forecast frames: the cutoffs asked of a forecaster per series, and its finished output."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.data.calendar import future_ds, infer_step
from tsbench.panel import DS, ID, iter_series, quantile_columns

__all__ = ["cutoffs_by_series", "cutoffs_on_rows", "finish_forecast"]


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


def finish_forecast(raw: pd.DataFrame, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...],
                    model: str, owner: str) -> pd.DataFrame:
    """The forecast frame of ``_predict``'s raw output: checked, ordered, with cutoffs and future dates.

    ``raw`` has ``unique_id, h, y_pred`` and the quantile columns; ``owner`` names
    the forecaster class in errors and ``model`` fills the ``model`` column.
    """
    qcols = quantile_columns(quantiles)
    needed = [ID, "h", "y_pred", *qcols]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise ValueError(f"{owner}._predict returned columns {list(raw.columns)}; missing {missing}.")
    raw = raw[needed].sort_values([ID, "h"], kind="stable").reset_index(drop=True)
    last = context.groupby(ID, sort=False)[DS].last()
    n_ids = context[ID].nunique()
    if len(raw) != n_ids * horizon:
        raise ValueError(f"{owner}._predict returned {len(raw)} rows; expected "
                         f"{n_ids} series x horizon {horizon} = {n_ids * horizon}.")
    steps = {uid: infer_step(g[DS]) for uid, g in iter_series(context)}
    ds = np.concatenate([future_ds(last[uid], horizon, steps[uid]) for uid in raw[ID].unique()])
    out = pd.DataFrame({
        ID: raw[ID].to_numpy(),
        "cutoff": raw[ID].map(last).to_numpy(),
        DS: ds,
        "h": raw["h"].astype("int64").to_numpy(),
        "model": model,
        "y_pred": raw["y_pred"].astype("float64").to_numpy(),
    })
    for col in qcols:
        out[col] = raw[col].astype("float64").to_numpy()
    return out
