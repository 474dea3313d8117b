"""Covariates as inputs of the neural forecasters: extra channels of the input window, known values per step.

A neural forecaster given covariates (see :mod:`tsbench.covariates`) feeds its
module two arrays after the normalised target window ``(B, L)``:

- ``enc`` ``(B, L, C)``: every covariate column (past, then known, then static)
  at the rows of the input window, the same rows as the target's;
- ``dec`` ``(B, H, K)``: the ``K`` known columns at the ``H`` steps after the
  window's last row (known in advance by declaration).

Covariates are standardised with the mean and standard deviation of each column
over the training rows (:func:`standardiser`, computed at the first fit and kept),
so no statistic ever includes a row after the training cutoff; the target keeps
its per-window normalisation. Pure numpy, like :mod:`.windows`.

Forecasts longer than the trained horizon feed forecasts back in; the windows
of those later rounds hold each past covariate at its value at the cutoff (its
later values are not known when the forecast is made) and the known ones at
their given values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.covariates import Covariates
from tsbench.forecasters.covariate_arrays import covariate_matrix, future_by_series, horizon_matrices
from tsbench.forecasters.neural.windows import WindowSet, window_positions
from tsbench.panel import Y, series_bounds

__all__ = ["standardiser", "training_windows", "origin_inputs", "round_inputs", "known_columns",
           "check_fitted_covariates"]


def known_columns(covariates: Covariates) -> slice:
    """Where the known columns lie in :attr:`Covariates.columns` (after the past ones)."""
    first = len(covariates.past)
    return slice(first, first + len(covariates.known))


def standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column of ``X`` over its finite values.

    A column without finite values gets mean 0, and one that is flat (or empty)
    gets standard deviation 1, so standardising never divides by zero.
    """
    finite = np.isfinite(X)
    count = finite.sum(axis=0)
    safe = np.where(finite, X, 0.0)
    mean = np.divide(safe.sum(axis=0), count, out=np.zeros(X.shape[1]), where=count > 0)
    var = np.divide((np.where(finite, X - mean, 0.0) ** 2).sum(axis=0), count, out=np.zeros(X.shape[1]),
                    where=count > 0)
    std = np.sqrt(var)
    std = np.where(std > 1e-12 * (1.0 + np.abs(mean)), std, 1.0)
    return mean, std


def training_windows(train: pd.DataFrame, covariates: Covariates, stats: tuple[np.ndarray, np.ndarray],
                     input_size: int, horizon: int, val_size: float) -> WindowSet:
    """The windows of :func:`~.windows.make_windows` with their covariates as ``extra_train``/``extra_val``.

    ``extra`` is ``(enc, dec)``: the standardised covariates of the input rows
    ``(N, L, C)`` and the known ones of the target rows ``(N, H, K)``, all rows
    of the training frame. Windows with a non-finite target, input or covariate
    are dropped.
    """
    ids, starts, ends = series_bounds(train)
    y_all = train[Y].to_numpy(dtype=np.float64)
    Z_all = _standardised(covariate_matrix(train, covariates), stats)
    known = known_columns(covariates)
    parts = []
    for s, e in zip(starts, ends):
        y, Z = y_all[s:e], Z_all[s:e]
        pad, last, is_val = window_positions(len(y), input_size, horizon, val_size)
        y = np.concatenate([np.full(pad, y[0]), y])
        Z = np.concatenate([np.repeat(Z[:1], pad, axis=0), Z])
        rows_in = last[:, None] - input_size + 1 + np.arange(input_size)[None, :]
        rows_out = last[:, None] + 1 + np.arange(horizon)[None, :]
        x, target, enc, dec = y[rows_in], y[rows_out], Z[rows_in], Z[rows_out][:, :, known]
        ok = (np.isfinite(x).all(axis=1) & np.isfinite(target).all(axis=1)
              & np.isfinite(enc).all(axis=(1, 2)) & np.isfinite(dec).all(axis=(1, 2)))
        parts.append([(a[ok & ~is_val], a[ok & is_val]) for a in (x, target, enc, dec)])
    (x_tr, x_va), (y_tr, y_va), (enc_tr, enc_va), (dec_tr, dec_va) = (
        (np.concatenate([p[k][0] for p in parts]), np.concatenate([p[k][1] for p in parts])) for k in range(4)
    )
    return WindowSet(x_tr, y_tr, x_va, y_va, extra_train=(enc_tr, dec_tr), extra_val=(enc_va, dec_va))


def origin_inputs(frame: pd.DataFrame, covariates: Covariates, stats: tuple[np.ndarray, np.ndarray],
                  ends: np.ndarray, first: np.ndarray, last: np.ndarray, uids: np.ndarray, input_size: int,
                  horizon: int, future: pd.DataFrame | None, owner: str) -> np.ndarray:
    """Standardised covariates of each origin: ``(N, input_size + horizon, C)``.

    Origin ``i`` ends at row ``ends[i]`` of ``frame``, in the series of rows
    ``first[i]..last[i]`` called ``uids[i]``. Its first ``input_size`` rows are
    the input window's rows (rows before the series' first are filled with its
    first row, as the target's are). The ``horizon`` rows after them hold the
    known columns of the rows after the cutoff (from ``frame``, then ``future``),
    the static ones of the cutoff row, and the past ones held at their value at
    the cutoff: nothing after the cutoff is read but the known columns.
    """
    X = covariate_matrix(frame, covariates)
    idx = np.maximum(ends[:, None] - input_size + 1 + np.arange(input_size)[None, :], first[:, None])
    after = future_by_series(future, covariates, owner)
    ahead = np.empty((len(ends), horizon, X.shape[1]))
    for s in np.unique(first):
        mine = first == s
        e = int(last[mine][0]) + 1
        uid = uids[mine][0]
        ahead[mine] = horizon_matrices(X[s:e], ends[mine] - s, horizon, covariates, after.get(uid),
                                       where=f"series '{uid}'")
    past = slice(0, len(covariates.past))
    ahead[:, :, past] = X[ends][:, None, past]
    return _standardised(np.concatenate([X[idx], ahead], axis=1), stats)


def round_inputs(inputs: np.ndarray, step: int, input_size: int, horizon: int,
                 known: slice) -> tuple[np.ndarray, np.ndarray]:
    """``(enc, dec)`` of forecasting round ``step`` (0: the direct forecast) from :func:`origin_inputs`.

    Round ``step`` forecasts the steps ``step * horizon + 1`` onwards, so its
    window is shifted by ``step * horizon`` rows; rows past the end of
    ``inputs`` repeat its last row (steps beyond the asked horizon, whose
    forecasts are dropped).
    """
    need = input_size + (step + 1) * horizon
    if inputs.shape[1] < need:
        inputs = np.concatenate([inputs, np.repeat(inputs[:, -1:], need - inputs.shape[1], axis=1)], axis=1)
    start = step * horizon
    return inputs[:, start : start + input_size], inputs[:, input_size + start : need, known]


def check_fitted_covariates(fitted: Covariates, now: Covariates, owner: str) -> None:
    """The covariates a forecaster predicts with are those it was fitted with."""
    if fitted != now:
        raise ValueError(f"{owner} was fitted with covariates {fitted.describe()} and now has "
                         f"{now.describe()}; fit it again after changing its covariates.")


def _standardised(X: np.ndarray, stats: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean, std = stats
    return (X - mean) / std
