"""Joining a covariate's observations onto a target panel, point in time.

Every function takes the *whole* target panel of one data entry (``unique_id,
ds, y``, before ``last``) and a ``keep`` mask of the rows that stay in the
panel, and returns one value per panel row. Checks only look at kept rows, so
a covariate need only cover the part of a series that is used; values of kept
rows may come from earlier rows of the same series (a publication lag).

- :func:`past_values`: as-of join (latest observation at or before the row's
  time), then shifted ``lag`` rows down each series.
- :func:`known_values`: exact match on time (and id).
- :func:`static_values`: one value per series.
- :func:`calendar_values`: computed from the series' own time stamps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.data.calendar import infer_step
from tsbench.data.calendar import format_time
from tsbench.data.covariate_sources import VALUE
from tsbench.errors import DataError
from tsbench.panel import DS, ID

__all__ = ["past_values", "known_values", "static_values", "calendar_values", "series_calendar"]


def _missing_ids(panel: pd.DataFrame, obs: pd.DataFrame, where: str, id_column: str) -> None:
    have = set(obs[ID].unique())
    absent = [u for u in pd.unique(panel[ID]) if u not in have]
    if absent:
        shown = sorted(map(str, have))[:8]
        raise DataError(f"{where}: expected values for every series of the entry in id column {id_column!r}, got "
                        f"none for {absent[:5]}{' ...' if len(absent) > 5 else ''}; ids there: {shown}"
                        f"{' ...' if len(have) > 8 else ''}. Add their rows, or drop 'id_column' to give every "
                        "series the same values.")


def _longest_gap(obs: pd.DataFrame, by_id: bool) -> pd.Series | object:
    """The longest gap between consecutive observations, per id (or overall); zero with a single one."""
    zero = pd.Timedelta(0) if pd.api.types.is_datetime64_any_dtype(obs[DS]) else 0
    if by_id:
        return obs.groupby(ID, sort=False)[DS].apply(lambda s: s.diff().max()).fillna(zero)
    gap = obs[DS].diff().max()
    return zero if pd.isna(gap) else gap


def past_values(panel: pd.DataFrame, obs: pd.DataFrame, keep: np.ndarray, lag: int, where: str,
                id_column: str | None = None) -> np.ndarray:
    """The value published by each row's time: as-of join, then ``lag`` rows of the series' own calendar.

    Raises
    ------
    DataError
        The covariate starts after a kept row needs it (names both dates and
        the ``last`` that fits), or has ended: a kept row's value would be
        older than the covariate's longest gap between observations.
    """
    by_id = id_column is not None
    if by_id:
        _missing_ids(panel, obs, where, id_column)
    left = pd.DataFrame({ID: panel[ID].to_numpy(), "_t": panel[DS].to_numpy(), "_row": np.arange(len(panel))})
    right = pd.DataFrame({"_t": obs[DS].to_numpy(), "_at": obs[DS].to_numpy(), VALUE: obs[VALUE].to_numpy()})
    if by_id:
        right[ID] = obs[ID].to_numpy()
    matched = pd.merge_asof(left.sort_values("_t", kind="stable"), right.sort_values("_t", kind="stable"),
                            on="_t", by=ID if by_id else None, direction="backward")
    matched = matched.sort_values("_row").reset_index(drop=True)
    gap = _longest_gap(obs, by_id)
    matched["_gap"] = matched[ID].map(gap) if by_id else gap
    series = panel[ID].to_numpy()
    shifted = matched[["_t", "_at", VALUE, "_gap"]].groupby(series, sort=False).shift(lag) if lag else matched
    has = shifted["_at"].notna().to_numpy()
    late = keep & ~has
    if late.any():
        _raise_late(panel, obs, keep, has, late, lag, where, by_id)
    age = shifted["_t"] - shifted["_at"]
    stale = keep & (age > shifted["_gap"]).to_numpy()
    if stale.any():
        i = int(np.flatnonzero(stale)[0])
        uid, last = series[i], shifted["_at"].iloc[i]
        raise DataError(
            f"{where}: the covariate ends at {format_time(last)}, but series '{uid}' goes on to "
            f"{format_time(panel[DS].to_numpy()[series == uid][-1])}: its value at {format_time(panel[DS].iloc[i])} would be "
            f"{format_time(age.iloc[i])} old, older than the longest gap between the covariate's observations "
            f"({format_time(shifted['_gap'].iloc[i])}), so it is stale; extend the covariate's data to cover the series, "
            "or end the series' data earlier.")
    return shifted[VALUE].to_numpy()


def _raise_late(panel, obs, keep, has, late, lag, where, by_id) -> None:
    i = int(np.flatnonzero(late)[0])
    series = panel[ID].to_numpy()
    uid = series[i]
    mine = series == uid
    first_row = panel[DS].to_numpy()[mine & keep][0]
    starts = obs.loc[obs[ID] == uid, DS].iloc[0] if by_id else obs[DS].iloc[0]
    usable = int((mine & has).sum())  # the rows with a published value: a suffix of the series
    source = panel[DS].to_numpy()[mine][list(np.flatnonzero(mine)).index(i) - lag] if lag else None
    needs = f" (with lag {lag}, its value is the one published by {format_time(source)}, {lag} row(s) earlier)" if lag else ""
    fix = (f"set 'last: {usable}' (or fewer) on this data entry so series '{uid}' starts after the covariate does"
           if usable else "use a covariate whose data start before the series, or drop it")
    raise DataError(f"{where}: expected the covariate to start at or before the first row of series '{uid}' "
                    f"({format_time(first_row)}){needs}, but its first observation is at {format_time(starts)}; {fix}.")


def known_values(panel: pd.DataFrame, obs: pd.DataFrame, keep: np.ndarray, where: str,
                 id_column: str | None = None) -> np.ndarray:
    """The covariate's value at exactly each row's time (and id).

    Raises
    ------
    DataError
        A kept row has no value: names the series and the first such time.
    """
    keys = [ID, DS] if id_column is not None else [DS]
    if id_column is not None:
        _missing_ids(panel, obs, where, id_column)
    left = panel[[ID, DS]].reset_index(drop=True)
    joined = left.merge(obs[[*keys, VALUE]], on=keys, how="left", validate="many_to_one")
    values = joined[VALUE].to_numpy()
    absent = keep & pd.isna(values)
    if absent.any():
        i = int(np.flatnonzero(absent)[0])
        uid = left[ID].iloc[i]
        count = int((absent & (left[ID].to_numpy() == uid)).sum())
        raise DataError(f"{where}: a known covariate needs a value at every time of the series, but series "
                        f"'{uid}' has none at {format_time(left[DS].iloc[i])} ({count} time(s) without one); add the missing "
                        "rows to the covariate's data, or declare it 'kind: past' to use its latest published value.")
    return values


def static_values(panel: pd.DataFrame, obs: pd.DataFrame, where: str, id_column: str | None) -> np.ndarray:
    """One value per series: by id when ``id_column`` is set, else the one value of the whole column.

    Raises
    ------
    DataError
        A series has several different values, or none.
    """
    if id_column is None:
        distinct = pd.unique(obs[VALUE])
        if len(distinct) != 1:
            shown = pd.Series(distinct[:3]).tolist()
            raise DataError(f"{where}: a static covariate read without an id column needs one value for every "
                            f"series, got {len(distinct)} different values (e.g. {shown}); name the column holding "
                            "the series names in 'id_column', or give the value in 'value'.")
        return np.full(len(panel), distinct[0], dtype=object)
    _missing_ids(panel, obs, where, id_column)
    counts = obs.groupby(ID, sort=False)[VALUE].nunique()
    varying = counts[counts > 1]
    if len(varying):
        uid = varying.index[0]
        seen = pd.Series(pd.unique(obs.loc[obs[ID] == uid, VALUE])[:3]).tolist()
        raise DataError(f"{where}: a static covariate needs one value per series, but series '{uid}' has "
                        f"{int(varying.iloc[0])} different values (e.g. {seen}); declare it 'kind: past' or "
                        "'kind: known' if it changes over time, or fix the data.")
    first = obs.drop_duplicates(ID).set_index(ID)[VALUE]
    return panel[ID].map(first).to_numpy(dtype=object)


def series_calendar(ds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The time before and after each stamp of one series: its neighbours, one step beyond at either end."""
    index = pd.DatetimeIndex(ds)
    step = infer_step(index)
    prev, nxt = np.empty(len(index), dtype="datetime64[ns]"), np.empty(len(index), dtype="datetime64[ns]")
    if len(index):
        prev[1:], nxt[:-1] = index[:-1].to_numpy(), index[1:].to_numpy()
        prev[0], nxt[-1] = np.datetime64(index[0] - step, "ns"), np.datetime64(index[-1] + step, "ns")
    return prev, nxt


def calendar_values(panel: pd.DataFrame, column: str, where: str = "calendar covariate") -> np.ndarray:
    """A calendar column of each row's time stamp.

    ``day_of_week`` is 0 on Mondays; ``week_of_year`` the ISO week. The
    ``is_*`` columns (1 or 0) follow each series' own calendar: a row is a
    month's start when the series' previous row lies in an earlier month, a
    month's (quarter's) end when its next row lies in a later one -- the first
    and last trading days for a trading calendar. The first and last rows look
    one step of the series' frequency beyond it.

    Raises
    ------
    DataError
        The series are indexed by integer steps, which carry no calendar.
    """
    if not pd.api.types.is_datetime64_any_dtype(panel[DS]):
        raise DataError(f"{where}: calendar covariates need dates, but this entry's series are indexed by integer "
                        "steps; give the data a date time column, or drop the calendar covariate.")
    ds = pd.DatetimeIndex(panel[DS])
    simple = {"day_of_week": ds.day_of_week, "day_of_month": ds.day, "day_of_year": ds.day_of_year,
              "week_of_year": ds.isocalendar().week.to_numpy(), "month": ds.month, "quarter": ds.quarter}
    if column in simple:
        return np.asarray(simple[column], dtype="float64")
    prev = np.empty(len(ds), dtype="datetime64[ns]")
    nxt = np.empty(len(ds), dtype="datetime64[ns]")
    for rows in pd.Series(np.arange(len(ds))).groupby(panel[ID].to_numpy(), sort=False).indices.values():
        prev[rows], nxt[rows] = series_calendar(ds.to_numpy()[rows])
    prev, nxt = pd.DatetimeIndex(prev), pd.DatetimeIndex(nxt)

    def period(index: pd.DatetimeIndex, months: int) -> np.ndarray:
        return index.year.to_numpy() * 12 + (index.month.to_numpy() - 1) // months

    if column == "is_month_start":
        flag = period(prev, 1) != period(ds, 1)
    elif column == "is_month_end":
        flag = period(nxt, 1) != period(ds, 1)
    elif column == "is_quarter_end":
        flag = period(nxt, 3) != period(ds, 3)
    else:
        raise DataError(f"{where}: the calendar source has no column {column!r}.")
    return flag.astype("float64")
