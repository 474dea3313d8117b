"""Target transforms that make a series stationary before modelling, and their exact inverses.

A transform maps the levels ``y`` of each series to a target ``z`` that a
model learns (for example one-step changes); its inverse turns forecasts of
``z`` after a cutoff back into levels, given the last observed level. All
functions work on the flat arrays of a long panel sorted by series, so no
Python loop runs per row or per series.
"""

from __future__ import annotations

import numpy as np

from tsbench.errors import DataError

__all__ = ["TRANSFORMS", "check_transform", "series_starts", "forward", "inverse"]

#: ``none`` keeps levels; ``difference`` is y[t] - y[t-1]; ``log_return`` is
#: log(y[t]) - log(y[t-1]) (positive series); ``return`` is y[t] / y[t-1] - 1.
TRANSFORMS = ("none", "difference", "log_return", "return")


def check_transform(name: object) -> str:
    """Return ``name`` if it is a known transform, else raise ``ValueError``."""
    if name not in TRANSFORMS:
        raise ValueError(f"transform must be one of {list(TRANSFORMS)}, got {name!r}")
    return str(name)


def series_starts(ids: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows that open a new series in a panel sorted by series."""
    first = np.ones(len(ids), dtype=bool)
    if len(ids) > 1:
        first[1:] = ids[1:] != ids[:-1]
    return first


def forward(y: np.ndarray, first: np.ndarray, transform: str, strict: bool = True) -> np.ndarray:
    """Transform the levels ``y`` of a sorted panel into the modelled target.

    Parameters
    ----------
    y
        Levels, series after series.
    first
        Mask of the first row of each series (see :func:`series_starts`).
    transform
        One of :data:`TRANSFORMS`.
    strict
        Raise on levels that ``log_return`` and ``return`` cannot take; when
        False they give NaN instead (for rows a caller will not read).

    Returns
    -------
    numpy.ndarray
        The target, NaN on the first row of each series for the differencing
        transforms (no previous level exists there).

    Raises
    ------
    DataError
        If ``strict`` and ``log_return`` or ``return`` meets a level that is not positive.
    """
    y = np.asarray(y, dtype=float)
    if transform == "none":
        return y.copy()
    if transform in ("log_return", "return") and not strict:
        y = np.where(y > 0, y, np.nan)
    elif transform in ("log_return", "return") and np.any(y <= 0):
        bad = float(y[y <= 0][0])
        raise DataError(
            f"transform {transform!r} needs positive levels, got {bad}; use transform "
            "'difference' (or 'none') for series that reach zero or below."
        )
    prev = np.empty_like(y)
    prev[1:] = y[:-1]
    prev[first] = np.nan
    if transform == "difference":
        return y - prev
    if transform == "log_return":
        return np.log(y) - np.log(prev)
    return y / prev - 1.0


def inverse(z: np.ndarray, last: np.ndarray, transform: str) -> np.ndarray:
    """Turn forecasts of the target back into levels.

    Parameters
    ----------
    z
        Forecast targets, shape ``(n_origins, horizon)``: row ``i`` holds steps
        1..horizon after origin ``i``.
    last
        The last observed level at each origin, shape ``(n_origins,)``.
    transform
        The transform that produced the target.

    Returns
    -------
    numpy.ndarray
        Levels of shape ``(n_origins, horizon)``. A forecast of zero change
        returns ``last`` exactly, on every step.
    """
    z = np.asarray(z, dtype=float)
    last = np.asarray(last, dtype=float)[:, None]
    if transform == "none":
        return z.copy()
    if transform == "difference":
        return last + np.cumsum(z, axis=1)
    if transform == "log_return":
        return last * np.exp(np.cumsum(z, axis=1))
    return last * np.cumprod(1.0 + z, axis=1)
