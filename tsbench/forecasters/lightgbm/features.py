"""Vectorised lag, rolling-window and calendar features over a long panel.

Features are built from *windows*: for an anchor row ``a`` (a cutoff), the
window holds the target at rows ``a-K+1 .. a`` of the same series (NaN before
the series starts), so its last column is lag 1 of the value one step after
the anchor. Training rows and forecasts use the same windows and the same
:func:`window_features`, which is what keeps the two consistent; nothing in a
window lies after its anchor, which is what rules out look-ahead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.forecasters._checks import is_int

__all__ = [
    "ROLLING_STATS",
    "CALENDAR_FEATURES",
    "FeatureSpec",
    "parse_lags",
    "parse_rolling",
    "parse_calendar",
    "row_starts",
    "lag_windows",
    "window_features",
    "calendar_features",
    "gather",
]

ROLLING_STATS = ("mean", "std", "min", "max")
CALENDAR_FEATURES = ("dayofweek", "dayofmonth", "dayofyear", "weekofyear", "month", "quarter", "year")


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a model reads from the target's window.

    ``lags`` are positive steps back from the forecast target; ``rolling`` holds
    ``(stat, window)`` pairs computed over the last ``window`` values before
    the target.
    """

    lags: tuple[int, ...]
    rolling: tuple[tuple[str, int], ...] = ()

    @property
    def width(self) -> int:
        """Window length needed: the largest lag or rolling window."""
        return max([*self.lags, *(w for _, w in self.rolling), 1])

    @property
    def names(self) -> list[str]:
        """Feature names, in column order of :func:`window_features`."""
        return [f"lag{lag}" for lag in self.lags] + [f"rolling_{s}_{w}" for s, w in self.rolling]


def parse_lags(lags: object) -> tuple[int, ...]:
    """``n`` means lags 1..n; a list gives the lags themselves. Raises ``ValueError``."""
    if is_int(lags):
        if lags < 1:
            raise ValueError(f"lags must be a positive integer or a list of them, got {lags!r}")
        return tuple(range(1, int(lags) + 1))
    if isinstance(lags, Sequence) and not isinstance(lags, str) and len(lags) > 0:
        if all(is_int(v, 1) for v in lags):
            return tuple(sorted({int(v) for v in lags}))
    raise ValueError(f"lags must be a positive integer or a non-empty list of them, got {lags!r}")


def parse_rolling(rolling: object) -> tuple[tuple[str, int], ...]:
    """``{stat: [windows]}`` (stats: mean, std, min, max) into sorted ``(stat, window)`` pairs."""
    if rolling is None:
        return ()
    if not isinstance(rolling, Mapping):
        raise ValueError(f"rolling must map a statistic to window lengths, e.g. {{mean: [5, 20]}}, got {rolling!r}")
    pairs = []
    for stat, windows in rolling.items():
        if stat not in ROLLING_STATS:
            raise ValueError(f"rolling statistic must be one of {list(ROLLING_STATS)}, got {stat!r}")
        windows = [windows] if isinstance(windows, (int, np.integer)) else windows
        smallest = 2 if stat == "std" else 1
        if not isinstance(windows, Sequence) or not all(is_int(w, smallest) for w in windows):
            raise ValueError(f"rolling {stat} windows must be integers >= {smallest}, got {windows!r}")
        pairs += [(str(stat), int(w)) for w in windows]
    return tuple(sorted(set(pairs), key=lambda p: (ROLLING_STATS.index(p[0]), p[1])))


def parse_calendar(calendar: object) -> tuple[str, ...]:
    """Names of calendar features (see :data:`CALENDAR_FEATURES`). Raises ``ValueError``."""
    if calendar is None:
        return ()
    names = [calendar] if isinstance(calendar, str) else list(calendar)
    unknown = [c for c in names if c not in CALENDAR_FEATURES]
    if unknown:
        raise ValueError(f"calendar features must be among {list(CALENDAR_FEATURES)}, got {unknown}")
    return tuple(dict.fromkeys(names))


def row_starts(first: np.ndarray) -> np.ndarray:
    """For each row of a sorted panel, the position of its series' first row."""
    pos = np.where(first, np.arange(len(first)), 0)
    return np.maximum.accumulate(pos)


def gather(values: np.ndarray, positions: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``values[positions]`` with NaN where a position falls before its series' start.

    ``positions`` may have any shape; ``starts`` broadcasts against it.
    """
    ok = positions >= starts
    out = values[np.where(ok, positions, 0)].astype(float)
    out[~ok] = np.nan
    return out


def lag_windows(z: np.ndarray, anchors: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Windows of ``z`` ending at each anchor row, shape ``(len(anchors), width)``.

    Parameters
    ----------
    z
        The target, series after series.
    anchors
        Row positions of the cutoffs.
    starts
        Position of the first row of each anchor's series.
    width
        Window length (see :attr:`FeatureSpec.width`).
    """
    positions = anchors[:, None] + np.arange(1 - width, 1)[None, :]  # (n, K)
    return gather(z, positions, starts[:, None])


def window_features(windows: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Lag and rolling features of the value that follows each window, shape ``(n, n_features)``.

    A rolling statistic is NaN unless its whole window is observed.
    """
    width = windows.shape[1]
    cols = [windows[:, width - lag] for lag in spec.lags]
    for stat, w in spec.rolling:
        part = windows[:, width - w :]
        if stat == "mean":
            cols.append(part.mean(axis=1))
        elif stat == "std":
            cols.append(part.std(axis=1, ddof=1))
        elif stat == "min":
            cols.append(part.min(axis=1))
        else:
            cols.append(part.max(axis=1))
    return np.column_stack(cols) if cols else np.empty((len(windows), 0))


def calendar_features(ds: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Calendar features of timestamps ``ds``, shape ``(len(ds), len(names))``."""
    index = pd.DatetimeIndex(ds)
    getters = {
        "dayofweek": lambda: index.day_of_week,
        "dayofmonth": lambda: index.day,
        "dayofyear": lambda: index.day_of_year,
        "weekofyear": lambda: index.isocalendar().week.to_numpy(),
        "month": lambda: index.month,
        "quarter": lambda: index.quarter,
        "year": lambda: index.year,
    }
    cols = [np.asarray(getters[name](), dtype=float) for name in names]
    return np.column_stack(cols) if cols else np.empty((len(index), 0))
