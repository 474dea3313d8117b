"""Regular steps of a series' time index and the future timestamps they imply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.errors import DataError

__all__ = ["infer_step", "future_ds", "describe_frequency", "periods_per_year", "Annualisation", "annualisation",
           "format_time"]


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
    if type(step) is pd.DateOffset:
        names = {("months", 1): "monthly", ("weeks", 1): "weekly", ("months", 3): "quarterly", ("years", 1): "yearly"}
        name = next((names.get((k, v)) for k, v in step.kwds.items() if (k, v) in names), None)
        if name is not None:
            return name
    return str(step)


def periods_per_year(step: object) -> float:
    """Observations per year implied by a step from :func:`infer_step`, for annualising.

    Business days count 252 sessions a year, calendar days 365, weeks 52,
    months 12, quarters 4 and years 1; other fixed steps are converted from
    their length in days.

    Raises
    ------
    DataError
        For integer steps, which carry no calendar: give ``periods_per_year`` explicitly.
    """
    if isinstance(step, (int, np.integer)):
        raise DataError(
            "the series has integer steps, so the number of periods per year is unknown; "
            "set 'trading: {periods_per_year: N}' in the experiment (e.g. 252 for trading days)."
        )
    if isinstance(step, pd.offsets.BDay):
        return 252.0 / step.n
    if isinstance(step, pd.offsets.Day):
        return 365.0 / step.n
    if type(step) is pd.DateOffset:  # e.g. DateOffset(months=1) from an irregular monthly index
        for unit, per_year in (("months", 12.0), ("years", 1.0), ("weeks", 52.0), ("days", 365.0)):
            if unit in step.kwds:
                return per_year / step.kwds[unit]
    if isinstance(step, pd.offsets.BaseOffset):
        code = step.freqstr.lstrip("0123456789-")[:1]
        per_year = {"W": 52.0, "M": 12.0, "Q": 4.0, "Y": 1.0, "A": 1.0}.get(code)
        if per_year is not None:
            return per_year / max(abs(step.n), 1)
    return 365.25 * 86_400 / pd.Timedelta(step).total_seconds()


@dataclass(frozen=True)
class Annualisation:
    """How many observations make a year of a series, and why.

    ``sessions`` is the number of trading sessions (days) a year,
    ``bars_per_session`` the observations in a typical session (1 for daily
    and slower data), so ``periods_per_year = sessions * bars_per_session``.
    """

    periods_per_year: float
    sessions: float
    bars_per_session: float
    basis: str

    def describe(self) -> str:
        """E.g. ``"252 sessions x 78 bars per session = 19656 periods a year (intraday, 5min bars)"``."""
        if self.bars_per_session == 1:
            return f"{self.periods_per_year:g} periods a year ({self.basis})"
        return (f"{self.sessions:g} sessions x {self.bars_per_session:g} bars per session = "
                f"{self.periods_per_year:g} periods a year ({self.basis})")


def annualisation(ds: pd.Series | np.ndarray) -> Annualisation:
    """Periods per year of a series, read from its calendar.

    Daily and slower series use :func:`periods_per_year` of their step
    (business days 252, calendar days 365, weeks 52, months 12, ...). An
    intraday series (step under a day) counts its sessions the same way -- 252
    a year when it has no weekend observations, 365 when it trades every day
    -- times the bars observed in a typical session: the median number of
    observations per calendar day. A 5-minute series of a 6.5-hour exchange
    session gets 252 x 78 = 19,656 periods a year, not the 105,192 of a clock
    that never stops.

    Raises
    ------
    DataError
        For integer steps (see :func:`periods_per_year`).
    """
    step = infer_step(ds)
    if not isinstance(step, pd.Timedelta) or step >= pd.Timedelta(days=1):
        return Annualisation(periods_per_year(step), periods_per_year(step), 1.0, describe_frequency(step))
    index = pd.DatetimeIndex(ds)
    per_day = pd.Series(1, index=index).groupby(index.normalize()).size()
    bars = float(np.median(per_day.to_numpy()))
    weekends = bool(np.any(index.day_of_week >= 5))
    sessions = 365.0 if weekends else 252.0
    days = "every day" if weekends else "business days"
    label = f"intraday, {_step_label(step)} bars, {days}, bars per session observed"
    return Annualisation(sessions * bars, sessions, bars, label)


def _step_label(step: pd.Timedelta) -> str:
    minutes = step.total_seconds() / 60
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:g}h"
    if minutes >= 1:
        return f"{minutes:g}min"
    return f"{step.total_seconds():g}s"


def format_time(value: object) -> str:
    """A time stamp as messages show it: ``2020-01-08`` (or with its time of day), an integer step as is."""
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
    if isinstance(value, (np.timedelta64, pd.Timedelta)):
        span = pd.Timedelta(value)
        return f"{span.days} day(s)" if span == pd.Timedelta(days=span.days) else str(span)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
