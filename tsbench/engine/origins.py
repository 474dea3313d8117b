"""Where the forecast origins of each series are, and which origins share one fit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.data.calendar import format_time
from tsbench.errors import DataError
from tsbench.panel import DS, ID, Y, iter_series, series_bounds

__all__ = ["SeriesPlan", "plan_series", "split_borders", "plan_backtest", "first_cutoffs", "standardize"]


@dataclass(frozen=True)
class SeriesPlan:
    """The backtest of one series, in row positions of that series.

    ``cutoffs[k]`` is the position of the last observation visible at origin
    ``k``; ``blocks`` lists, for each fit, the origin indices it serves (the fit
    uses data up to ``cutoffs[block[0]] - gap``). ``train_start(k)`` is the first
    training row for a fit at origin ``k`` (sliding windows move it forward).
    """

    unique_id: str
    length: int
    cutoffs: tuple[int, ...]
    blocks: tuple[tuple[int, ...], ...]
    gap: int
    window: int | None
    context: int | None
    #: Rows a scaler may be fitted on: the training fraction of a split, else the first fit's rows.
    scaler_rows: int = 0

    def train_slice(self, block: int) -> slice:
        """Rows used to fit the model for block ``block``."""
        end = self.cutoffs[self.blocks[block][0]] - self.gap + 1
        start = 0 if self.window is None else max(0, end - self.window)
        return slice(start, end)

    def context_slice(self, origin: int) -> slice:
        """Rows visible to ``predict`` at origin ``origin``."""
        end = self.cutoffs[origin] + 1
        limit = self.context or self.window
        return slice(0 if limit is None else max(0, end - limit), end)


def plan_series(uid: str, ds: np.ndarray, spec) -> SeriesPlan:
    """Cutoff positions and refit blocks for one series under a backtest spec."""
    n = len(ds)
    h = spec.horizon
    last = n - 1 - h
    if spec.protocol == "split":
        n_train, n_before_test, end = split_borders(uid, n, spec)
        positions = np.arange(n_before_test - 1, end - h)
        if spec.drop_last:  # the last partial test batch of an older paper's loader is not scored
            positions = positions[: len(positions) - len(positions) % spec.drop_last]
    elif spec.origins is not None:
        positions = last - spec.step * np.arange(spec.origins - 1, -1, -1)
    else:
        first = _first_at_or_after(ds, spec.start, uid)
        positions = np.arange(first, last + 1, spec.step)
        if len(positions) == 0:
            raise DataError(_start_too_late(uid, ds, spec))
    first_train = (positions[0] if len(positions) else last) - spec.gap + 1
    if len(positions) == 0 or first_train < spec.min_train:
        raise DataError(_too_short(uid, n, spec, first_train))
    every = len(positions) if spec.refit_every == "once" or spec.protocol == "split" else spec.refit_every
    origins = list(range(len(positions)))
    blocks = tuple(tuple(origins[i : i + every]) for i in range(0, len(origins), every))
    window = None if spec.window == "expanding" else int(spec.window)
    scaler_rows = n_train if spec.protocol == "split" else int(first_train)
    return SeriesPlan(uid, n, tuple(int(p) for p in positions), blocks, spec.gap, window, spec.input_size, scaler_rows)


def split_borders(uid: str, n: int, spec) -> tuple[int, int, int]:
    """Rows of the training part, rows before the test part, and the end of the test part.

    Fractions split the whole series (the validation part is what lies between
    ``floor(train * n)`` and ``floor((train + val) * n)``); row counts are taken
    from the start, and rows after the test part are not used (the ETT
    convention: 8640/2880/2880 hourly rows, 12/4/4 months, of 17,420).
    """
    if spec.split_is_absolute():
        end = spec.train + (spec.val or 0) + spec.test
        if end > n:
            raise DataError(
                f"series '{uid}' has {n} rows; the split asks for {spec.train} train + {spec.val or 0} val + "
                f"{spec.test} test = {end}. Give smaller row counts, or fractions."
            )
        return spec.train, spec.train + (spec.val or 0), end
    return int(np.floor(spec.train * n)), int(np.floor((spec.train + (spec.val or 0.0)) * n)), n


def _first_at_or_after(ds: np.ndarray, start, uid: str) -> int:
    if isinstance(start, dt.date):
        if not np.issubdtype(ds.dtype, np.datetime64):
            raise DataError(f"series '{uid}' has integer steps; 'start' must be an integer step, got {start}.")
        target = np.datetime64(pd.Timestamp(start))
    elif np.issubdtype(ds.dtype, np.datetime64):
        raise DataError(f"series '{uid}' has dates; 'start' must be a date (YYYY-MM-DD), got the step {start}.")
    else:
        target = start
    # the first origin is the last observation before 'start', so the first forecast lands on it
    return int(np.searchsorted(ds, target, side="left")) - 1


def _start_too_late(uid: str, ds: np.ndarray, spec) -> str:
    last_target = ds[len(ds) - 1 - spec.horizon] if len(ds) > spec.horizon else None
    latest = "" if last_target is None else (
        f"; with horizon {spec.horizon} the latest start that leaves a forecast to score is "
        f"{format_time(ds[len(ds) - spec.horizon])}")
    return (
        f"series '{uid}': backtest.start {spec.start} leaves no origin: the data end at {format_time(ds[-1])}, and "
        f"every forecast needs {spec.horizon} observation(s) after its origin{latest}. Choose an earlier start."
    )


def _too_short(uid: str, n: int, spec, first_train: int) -> str:
    if spec.protocol == "split":
        asked = f"a split of {spec.train}/{spec.val or 0}/{spec.test} with horizon {spec.horizon}"
        if spec.drop_last:
            asked += f" and drop_last {spec.drop_last}"
    elif spec.origins is not None:
        asked = f"{spec.origins} origins {spec.step} apart with horizon {spec.horizon} and gap {spec.gap}"
    else:
        asked = f"origins from {spec.start} every {spec.step} with horizon {spec.horizon}"
    return (
        f"series '{uid}' has {n} observations, too few for the backtest asked for ({asked}): "
        f"the first fit would see {max(first_train, 0)} observations, and at least "
        f"{spec.min_train} (backtest.min_train) are needed. Use fewer origins, a smaller step "
        "or horizon, a later start, or a longer series."
    )


def plan_backtest(panel: pd.DataFrame, spec) -> dict[str, SeriesPlan]:
    """A :class:`SeriesPlan` for every series of a sorted panel.

    Under ``channels: all`` the series must be observed at the same times (the
    columns of one wide file), so every channel has the same borders and origins.
    """
    ids, starts, ends = series_bounds(panel)
    ds = panel[DS].to_numpy()
    times = {str(ids[s]): ds[s:e] for s, e in zip(starts, ends)}
    if getattr(spec, "channels", "each") == "all":
        _check_aligned(times)
    return {uid: plan_series(uid, t, spec) for uid, t in times.items()}


def _check_aligned(times: dict[str, np.ndarray]) -> None:
    first_uid, first = next(iter(times.items()))
    for uid, ds in times.items():
        if len(ds) != len(first) or (ds != first).any():
            raise DataError(
                f"backtest.channels is 'all', so every series is a channel observed at the same times; "
                f"series '{uid}' ({len(ds)} rows) and '{first_uid}' ({len(first)} rows) have different "
                "timestamps. Use one wide file with one row per time (missing: drop), or channels: each."
            )


def first_cutoffs(panel: pd.DataFrame, series_plans: dict[str, SeriesPlan]) -> pd.DataFrame:
    """``unique_id, cutoff``: the first cutoff of each series of a sorted panel."""
    ids, starts, _ = series_bounds(panel)
    ds = panel[DS].to_numpy()
    rows = [(ids[s], ds[s + series_plans[str(ids[s])].cutoffs[0]]) for s in starts]
    return pd.DataFrame(rows, columns=[ID, "cutoff"])


def standardize(panel: pd.DataFrame, series_plans: dict[str, SeriesPlan]) -> pd.DataFrame:
    """Scale each series by the mean and standard deviation of its training part only (never val or test)."""
    out = []
    for uid, g in iter_series(panel):
        part = g[Y].iloc[: series_plans[str(uid)].scaler_rows]
        sd = float(part.std(ddof=0))
        if not sd > 0:
            raise DataError(f"series '{uid}' is constant over its training part; it cannot be standardised.")
        out.append(g.assign(**{Y: (g[Y] - part.mean()) / sd}))
    return pd.concat(out, ignore_index=True)
