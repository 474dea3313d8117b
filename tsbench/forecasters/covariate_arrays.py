"""Covariates of a panel frame as the arrays per-series hooks take: ``X`` per row, ``X_future`` per origin.

See :mod:`tsbench.covariates` for what the values mean. Everything here reads
rows at or before a cutoff, except the known columns of the ``horizon`` rows
after it, which are known by declaration.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from tsbench.covariates import Covariates
from tsbench.errors import ConfigError, DataError
from tsbench.panel import DS, ID

__all__ = ["accepts", "check_covariate_columns", "covariate_matrix", "future_after", "future_by_series",
           "horizon_matrices", "use_covariates"]


def use_covariates(forecaster, covariates: Covariates):
    """Give ``forecaster`` the covariate columns it reads from now on (its ``covariates``), and return it.

    Raises
    ------
    ConfigError
        When its ``covariates`` tag does not take every kind given, or when
        categorical covariates are given to a model without the
        ``categorical_covariates`` tag (it would read their codes as numbers).
    """
    if not isinstance(covariates, Covariates):
        raise TypeError(f"use_covariates expects a tsbench.covariates.Covariates, got {type(covariates).__name__}.")
    tags, name = forecaster.all_tags(), type(forecaster).__name__
    takes = tuple(tags.get("covariates") or ())
    refused = {kind: list(getattr(covariates, kind)) for kind in covariates.kinds() if kind not in takes}
    if refused:
        can = f"only {', '.join(takes)} covariates" if takes else "no covariates"
        raise ConfigError(f"{name} takes {can} (its 'covariates' tag), but was given {refused}; drop them from this "
                          "forecaster's 'covariates', or pick a model that takes them (see `tsbench models`).")
    if covariates.known and not accepts(getattr(forecaster, "_predict", None), "future"):
        raise ConfigError(f"{name} lists known covariates in its 'covariates' tag, but its _predict takes no "
                          f"'future' to read their values ahead from; given {list(covariates.known)}. Give "
                          "_predict a 'future' parameter, or drop the known ones from its 'covariates'.")
    if covariates.categorical and not tags.get("categorical_covariates"):
        raise ConfigError(f"{name} does not understand categorical covariates (tag 'categorical_covariates' is "
                          f"False), but was given {list(covariates.categorical)}, whose integer codes it would read "
                          "as numbers; leave them out of this forecaster's 'covariates'.")
    forecaster.covariates = covariates
    return forecaster


def future_after(history: pd.DataFrame, keep: np.ndarray, future: pd.DataFrame | None, covariates: Covariates,
                 horizon: int) -> dict[str, pd.DataFrame]:
    """The ``future`` keyword of a context cut from ``history`` (its rows where ``keep``), for ``_predict``.

    With known covariates it holds, for each series of the context, the known
    columns of the ``horizon`` rows after its cutoff: the later rows of
    ``history`` first, then those of ``future``. Empty when ``future`` is None;
    ``future`` unchanged when the forecaster reads no known covariates.
    """
    if future is None or not covariates.known:
        return {} if future is None else {"future": future}
    columns = [ID, DS, *covariates.known]
    if missing := [c for c in columns if c not in future.columns]:
        raise DataError(f"'future' lacks column(s) {missing}; it needs unique_id, ds and the known covariates "
                        f"{list(covariates.known)}.")
    last = history.loc[keep].groupby(ID, sort=False)[DS].max()
    later = history.loc[~keep & history[ID].isin(last.index).to_numpy(), columns]
    rows = pd.concat([later, future.loc[future[ID].isin(last.index), columns]], ignore_index=True)
    rows = rows[(rows[DS] > rows[ID].map(last)).to_numpy()]  # only what follows each series' cutoff
    rows = rows.drop_duplicates([ID, DS], keep="first").sort_values([ID, DS], kind="stable")
    return {"future": rows.groupby(ID, sort=False).head(horizon).reset_index(drop=True)}


def accepts(method, name: str) -> bool:
    """Whether ``method`` takes a parameter called ``name`` (a hook that reads covariates takes ``X``)."""
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def check_covariate_columns(frame: pd.DataFrame, covariates: Covariates, what: str, owner: str) -> None:
    """Every declared covariate column is in ``frame`` and numeric."""
    missing = [c for c in covariates.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{owner}: the {what} lacks covariate column(s) {missing} declared for it "
                        f"({covariates.describe()}); its columns are {list(frame.columns)}.")
    text = [c for c in covariates.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(f"{owner}: covariate column(s) {text} of the {what} are not numeric; categorical "
                        "covariates reach forecasters as integer codes.")


def covariate_matrix(frame: pd.DataFrame, covariates: Covariates) -> np.ndarray:
    """The covariate columns of ``frame`` as a float array ``(rows, C)`` in :attr:`Covariates.columns` order."""
    if not covariates:
        return np.empty((len(frame), 0))
    return frame[list(covariates.columns)].to_numpy(dtype=float)


def future_by_series(future: pd.DataFrame | None, covariates: Covariates, owner: str) -> dict[object, np.ndarray]:
    """The rows of ``future`` of each series as ``(m, C)`` arrays: known columns filled, the others NaN."""
    if future is None or not covariates.known:
        return {}
    missing = [c for c in (ID, DS, *covariates.known) if c not in future.columns]
    if missing:
        raise DataError(f"{owner}: 'future' lacks column(s) {missing}; it needs unique_id, ds and the known "
                        f"covariates {list(covariates.known)}.")
    future = future.sort_values([ID, DS], kind="stable")
    columns = list(covariates.columns)
    out = {}
    for uid, rows in future.groupby(ID, sort=False):
        block = np.full((len(rows), len(columns)), np.nan)
        for j, col in enumerate(columns):
            if col in covariates.known:
                block[:, j] = rows[col].to_numpy(dtype=float)
        out[uid] = block
    return out


def horizon_matrices(X: np.ndarray, cut_rows: np.ndarray, horizon: int, covariates: Covariates,
                     after: np.ndarray | None = None, where: str = "a series") -> np.ndarray:
    """``X_future`` of each origin: shape ``(len(cut_rows), horizon, C)``.

    ``X`` holds the covariates of one series row by row and ``cut_rows`` the row
    of each cutoff. Known columns are read from the ``horizon`` rows after the
    cutoff (from ``X``, continued by ``after``, the series' rows of ``future``);
    static columns repeat the cutoff row's values; past columns are NaN, since
    their values after the cutoff are not known when the forecast is made.
    """
    cut_rows = np.asarray(cut_rows, dtype=np.int64)
    n_cols = X.shape[1]
    out = np.full((len(cut_rows), horizon, n_cols), np.nan)
    if not n_cols or not len(cut_rows):
        return out
    known = np.flatnonzero([kind == "known" for kind in _kinds(covariates)])
    static = np.flatnonzero([kind == "static" for kind in _kinds(covariates)])
    if len(static):
        out[:, :, static] = X[cut_rows][:, None, static]
    if len(known):
        full = X if after is None or not len(after) else np.vstack([X, after])
        steps = cut_rows[:, None] + np.arange(1, horizon + 1)[None, :]
        if steps.max() >= len(full):
            short = int(np.argmax(steps.max(axis=1) >= len(full)))
            raise DataError(f"known covariates {list(covariates.known)} need values for {horizon} step(s) after "
                            f"row {int(cut_rows[short])} of {where}, but only {len(full) - 1 - int(cut_rows[short])} "
                            "follow it; pass them in 'future' (unique_id, ds and those columns).")
        values = full[steps][:, :, known]
        if np.isnan(values).any():
            raise DataError(f"known covariates {list(covariates.known)} are missing over the horizon after a "
                            f"cutoff of {where}; known covariates need a value at every forecast step.")
        out[:, :, known] = values
    return out


def _kinds(covariates: Covariates) -> list[str]:
    return [covariates.kind_of(c) for c in covariates.columns]
