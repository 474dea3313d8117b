"""The covariates of a cell: the columns its forecaster sees, its known values ahead of a cutoff, its ``X`` arrays.

A panel may carry covariate columns (see :mod:`tsbench.covariates`). A cell's
data holds only those its forecaster was given, next to the panel's other
columns; a forecaster given none (and every fallback) sees none. The frame
path hands ``future`` rows of the known columns after each context, the array
path ``X`` row for row and ``X_future`` per origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.covariates import KINDS, Covariates
from tsbench.data.calendar import format_time
from tsbench.engine.arrays import SeriesArrays
from tsbench.errors import DataError
from tsbench.forecasters.covariate_arrays import horizon_matrices
from tsbench.panel import DS, ID

__all__ = ["covariates_of", "panel_covariates", "visible_columns", "without_covariates", "key_params",
           "future_frame", "future_kwargs", "series_covariates", "check_known_values"]


def covariates_of(forecaster) -> Covariates:
    """The covariates ``forecaster`` reads (none for an object without the attribute)."""
    found = getattr(forecaster, "covariates", None)
    return found if isinstance(found, Covariates) else Covariates()


def panel_covariates(declared: Covariates | None, forecasters) -> Covariates:
    """The covariate columns of the panel: the ``declared`` ones, and any other that a forecaster reads."""
    merged = {kind: list(getattr(declared, kind)) if declared else [] for kind in (*KINDS, "categorical")}
    for f in forecasters:
        own = covariates_of(f)
        for kind, columns in merged.items():
            columns += [c for c in getattr(own, kind) if c not in columns]
    return Covariates(*(tuple(merged[kind]) for kind in KINDS), categorical=tuple(merged["categorical"]))


def visible_columns(data: SeriesArrays, covariates: Covariates, forecaster) -> tuple[str, ...]:
    """The ``extra`` columns ``forecaster`` sees: every one that is not in ``covariates``, and its own covariates."""
    own = set(covariates_of(forecaster).columns)
    return tuple(c for c in data.extra if c not in covariates.columns or c in own)


def without_covariates(data: SeriesArrays, covariates: Covariates) -> SeriesArrays:
    """``data`` without the columns of ``covariates`` (what a fallback of the cell's forecaster sees)."""
    if not covariates:
        return data
    return data.select([c for c in data.extra if c not in covariates.columns])


def key_params(forecaster) -> dict:
    """What names a forecaster in a cell key: its parameters, and its covariates when it has any.

    Keys of forecasters without covariates are those of earlier runs, so their
    stored cells are reused; a change of covariates makes new cells.
    """
    params = forecaster.get_params()
    covariates = covariates_of(forecaster)
    return {**params, "_covariates": covariates.describe()} if covariates else params


def future_frame(data: SeriesArrays, stops: dict[int, int], horizon: int, known: tuple[str, ...]) -> pd.DataFrame:
    """``unique_id, ds`` and the ``known`` columns of the ``horizon`` rows from row ``stops[i]`` of each series ``i``.

    ``stops[i]`` is the row (within series ``i``) just after its context.
    Raises :class:`DataError` when a known value is missing there.
    """
    rows, ids = [], []
    for i, stop in stops.items():
        s, e = data.bounds(i)
        take = np.arange(s + stop, min(e, s + stop + horizon))
        rows.append(take)
        ids.append(np.repeat(data.ids[i : i + 1], len(take)))
    take = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    out = pd.DataFrame({ID: np.concatenate(ids) if ids else [], DS: data.ds[take],
                        **{c: data.extra[c][take] for c in known}})
    _no_missing(out, known)
    return out


def future_kwargs(forecaster, data: SeriesArrays, stops: dict[int, int], horizon: int) -> dict[str, pd.DataFrame]:
    """``{"future": ...}`` for a forecaster that reads known covariates (see :func:`future_frame`), else empty."""
    known = covariates_of(forecaster).known
    return {"future": future_frame(data, stops, horizon, known)} if known else {}


def series_covariates(data: SeriesArrays, i: int, covariates: Covariates, cut_pos: np.ndarray,
                      horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` of series ``i`` (rows x covariate columns) and ``X_future`` of its cutoffs at rows ``cut_pos``."""
    X = data.matrix(i, covariates.columns)
    return X, horizon_matrices(X, cut_pos, horizon, covariates, where=f"series '{data.ids[i]}'")


def check_known_values(data: SeriesArrays, stops: dict[int, int], known: tuple[str, ...] | list[str]) -> None:
    """Raise :class:`DataError` when a known covariate lacks a value in the first ``stops[i]`` rows of a series."""
    for c in known:
        values = np.asarray(data.extra[c], dtype=float)
        for i, stop in stops.items():
            s, _ = data.bounds(i)
            missing = np.flatnonzero(np.isnan(values[s : s + stop]))
            if len(missing):
                raise DataError(f"known covariate {c!r} has no value for series '{data.ids[i]}' at "
                                f"{format_time(data.ds[s + missing[0]])} ({len(missing)} row(s) missing); known "
                                "covariates need a value at every row up to the last forecast step. Fill them in "
                                "the source, or declare the covariate as past.")


def _no_missing(frame: pd.DataFrame, known: tuple[str, ...]) -> None:
    for c in known:
        bad = frame[c].isna().to_numpy()
        if bad.any():
            row = frame.loc[bad].iloc[0]
            raise DataError(f"known covariate {c!r} is missing over the horizon of series '{row[ID]}' at "
                            f"{format_time(row[DS])}; known covariates need a value at every forecast step.")
