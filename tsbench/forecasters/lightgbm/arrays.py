"""A long panel as flat arrays for global models: target transform, series bounds, covariates, cutoffs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.data.calendar import future_ds, infer_step
from tsbench.errors import DataError
from tsbench.forecasters.lightgbm.features import row_starts
from tsbench.panel import DS, ID, Y
from tsbench.forecasters.lightgbm.transforms import forward, series_starts

__all__ = ["PanelArrays", "panel_arrays", "last_positions", "anchor_positions", "future_dates", "known_after", "check_levels"]


@dataclass
class PanelArrays:
    """A sorted panel as flat arrays; ``observed`` is False on rows that carry only future covariates."""

    ids: np.ndarray
    ds: np.ndarray
    y: np.ndarray
    z: np.ndarray  # the transformed target, NaN where undefined
    starts: np.ndarray  # position of each row's series' first row
    ends: np.ndarray  # position of each row's series' last row (future rows included)
    observed: np.ndarray
    known: np.ndarray  # (n, n_known)
    past: np.ndarray  # (n, n_past)
    segments: dict  # series -> (first row, one past its last observed row)
    static: np.ndarray | None = None  # (n, n_static), NaN on future rows


def panel_arrays(panel: pd.DataFrame, transform: str, known: list[str], past: list[str],
                 future: pd.DataFrame | None = None, strict: bool = True, static: list[str] = ()) -> PanelArrays:
    """Arrays of a checked, sorted panel, with ``future`` rows of known covariates appended to each series.

    ``static`` columns hold one value per series; they are read at a cutoff's row only.
    """
    static = list(static)
    missing = [c for c in known + past + static if c not in panel.columns]
    if missing:
        raise DataError(
            f"covariate column(s) {missing} not in the panel (columns: {list(panel.columns)}); "
            "add them to the data or remove them from the parameters."
        )
    panel = panel[[ID, DS, Y, *known, *past, *static]].assign(_observed=True)
    if future is not None and known:
        panel = _with_future(panel, future, known)
    ids = panel[ID].to_numpy()
    first = series_starts(ids)
    last = np.r_[first[1:], True]
    ends = np.minimum.accumulate(np.where(last, np.arange(len(ids)), len(ids))[::-1])[::-1]
    y = panel[Y].to_numpy(dtype=float)
    observed = panel["_observed"].to_numpy(dtype=bool)
    heads = np.flatnonzero(first)
    n_obs = np.add.reduceat(observed.astype(np.int64), heads)
    return PanelArrays(
        ids=ids, ds=panel[DS].to_numpy(), y=y, z=forward(y, first, transform, strict),
        starts=row_starts(first), ends=ends, observed=observed,
        known=panel[known].to_numpy(dtype=float).reshape(len(ids), len(known)),
        past=panel[past].to_numpy(dtype=float).reshape(len(ids), len(past)),
        segments={ids[h]: (int(h), int(h + n)) for h, n in zip(heads, n_obs)},
        static=panel[static].to_numpy(dtype=float).reshape(len(ids), len(static)),
    )


def _with_future(panel: pd.DataFrame, future: pd.DataFrame, known: list[str]) -> pd.DataFrame:
    missing = [c for c in [ID, DS, *known] if c not in future.columns]
    if missing:
        raise DataError(f"'future' lacks column(s) {missing}; it needs unique_id, ds and {known}.")
    last = panel.groupby(ID, sort=False)[DS].max()
    future = future[[ID, DS, *known]]
    future = future[future[DS].to_numpy() > future[ID].map(last).to_numpy()]
    rows = future.assign(**{Y: np.nan, "_observed": False})
    for col in panel.columns.difference(rows.columns):
        rows[col] = np.nan
    both = pd.concat([panel, rows[panel.columns]], ignore_index=True)
    return both.sort_values([ID, DS], kind="stable").reset_index(drop=True)


def last_positions(fr: PanelArrays) -> np.ndarray:
    """The last observed row of each series."""
    return np.array([stop - 1 for _, stop in fr.segments.values()], dtype=np.int64)


def anchor_positions(fr: PanelArrays, cutoffs: pd.DataFrame) -> np.ndarray:
    """Row of each cutoff (``unique_id``, ``cutoff``): the last observed row at or before it."""
    out = np.empty(len(cutoffs), dtype=np.int64)
    cut_ids = cutoffs[ID].to_numpy()
    cut_ds = cutoffs["cutoff"].to_numpy()
    for key in pd.unique(cut_ids):
        at = np.flatnonzero(cut_ids == key)
        start, stop = fr.segments.get(key, (0, 0))
        pos = pd.Index(fr.ds[start:stop]).searchsorted(cut_ds[at], side="right") - 1
        if stop == start or np.any(pos < 0):
            raise DataError(
                f"cutoffs of series '{key}' lie before its history (or the series is not in the "
                "history); give cutoffs within each series."
            )
        out[at] = start + pos
    return out


def future_dates(fr: PanelArrays, anchors: np.ndarray, horizon: int) -> np.ndarray:
    """Timestamps (or steps) of the ``horizon`` observations after each anchor, by the series' step."""
    out = np.empty((len(anchors), horizon), dtype=fr.ds.dtype)
    groups = fr.ids[anchors]
    for key in pd.unique(groups):
        start, stop = fr.segments[key]
        step = infer_step(fr.ds[start:stop])
        for i in np.flatnonzero(groups == key):
            out[i] = future_ds(fr.ds[anchors[i]], horizon, step)
    return out


def known_after(fr: PanelArrays, anchors: np.ndarray, horizon: int) -> np.ndarray:
    """Known covariates on the ``horizon`` rows after each anchor, shape ``(n, horizon, n_known)``."""
    if fr.known.shape[1] == 0:
        return np.empty((len(anchors), horizon, 0))
    pos = anchors[:, None] + np.arange(1, horizon + 1)[None, :]
    short = pos[:, -1] > fr.ends[anchors]
    if np.any(short):
        i = int(np.argmax(short))
        raise DataError(
            f"known covariates need values for {horizon} steps after cutoff {fr.ds[anchors[i]]} of series "
            f"'{fr.ids[anchors[i]]}'; pass them in 'future' (unique_id, ds and those columns) or in the "
            "rows after the cutoff."
        )
    return fr.known[pos]


def check_levels(fr: PanelArrays, anchors: np.ndarray, transform: str) -> None:
    """Levels up to each series' last cutoff must suit a ratio transform (checked only where read)."""
    if transform not in ("log_return", "return"):
        return
    last = np.full(len(fr.y), -1)
    np.maximum.at(last, fr.starts[anchors], anchors)
    bad = (np.arange(len(fr.y)) <= last[fr.starts]) & fr.observed & ~(fr.y > 0)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise DataError(
            f"transform {transform!r} needs positive levels, got {fr.y[i]} at {fr.ds[i]} of series "
            f"'{fr.ids[i]}'; use transform 'difference' for such series."
        )
