"""Regular steps of a series' time index and the future timestamps they imply."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["infer_step", "future_ds", "describe_frequency"]


def infer_step(ds: pd.Series | np.ndarray) -> object:
    """Return the step between consecutive observations of one series.

    Integer indexes step by their most common difference. Timestamps get a
    pandas offset: business days when the series is daily with no weekend
    observations (trading calendars), otherwise the inferred frequency or the
    most common difference.
    """
    values = pd.Index(ds)
    if len(values) < 2:
        return 1 if not isinstance(values, pd.DatetimeIndex) else pd.offsets.Day(1)
    if not isinstance(values, pd.DatetimeIndex):
        diffs = np.diff(np.asarray(values, dtype=np.int64))
        vals, counts = np.unique(diffs, return_counts=True)
        return int(vals[np.argmax(counts)])
    diffs = np.diff(values.to_numpy().astype("datetime64[s]").astype(np.int64))
    vals, counts = np.unique(diffs, return_counts=True)
    mode_days = vals[np.argmax(counts)] / 86_400
    if 0.99 < mode_days < 1.01 or (2.9 < mode_days < 3.1):
        if not np.any(values.day_of_week >= 5):
            return pd.offsets.BDay(1)
        return pd.offsets.Day(1)
    for low, high, offset in _CALENDAR_STEPS:
        if low <= mode_days <= high:
            return offset
    return pd.Timedelta(seconds=float(vals[np.argmax(counts)]))


# (shortest, longest typical gap in days, offset): weekly, monthly, quarterly, yearly data
_CALENDAR_STEPS = (
    (6.5, 7.5, pd.DateOffset(weeks=1)),
    (27.0, 32.0, pd.DateOffset(months=1)),
    (88.0, 93.0, pd.DateOffset(months=3)),
    (364.0, 367.0, pd.DateOffset(years=1)),
)


def future_ds(last: object, horizon: int, step: object) -> np.ndarray:
    """Timestamps (or integer steps) of the ``horizon`` observations after ``last``."""
    steps = np.arange(1, horizon + 1)
    if isinstance(step, (int, np.integer)):
        return np.asarray(last) + steps * int(step)
    last = pd.Timestamp(last)
    if isinstance(step, pd.Timedelta):
        return np.asarray([last + k * step for k in steps], dtype="datetime64[ns]")
    return np.asarray([last + k * step for k in steps], dtype="datetime64[ns]")


def describe_frequency(step: object) -> str:
    """Human-readable name of a step returned by :func:`infer_step`."""
    if isinstance(step, (int, np.integer)):
        return f"every {int(step)} step(s)"
    if isinstance(step, pd.offsets.BDay):
        return "business daily"
    if isinstance(step, pd.offsets.Day):
        return "daily"
    if isinstance(step, pd.DateOffset) and step.kwds in ({"months": 1},):
        return "monthly"
    return str(step)
