"""A cell's series as contiguous arrays with offsets, and its forecast frame built from arrays in one go.

The engine slices views of these arrays for every fit and origin; DataFrames are
made only at the edges: for forecasters that implement the panel contract alone,
and once per cell for the forecasts it returns. Columns other than ``y``
(covariates) travel with it in ``extra``, row for row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsbench.panel import DS, ID, Y, series_bounds

__all__ = ["SeriesArrays", "ForecastParts"]


@dataclass
class SeriesArrays:
    """Series stored end to end: series ``i`` is rows ``offsets[i]:offsets[i + 1]``.

    Parameters
    ----------
    ids
        ``unique_id`` of each series, shape ``(S,)``.
    offsets
        Row offsets, shape ``(S + 1,)``.
    ds, y
        Time stamps and values of every row, shape ``(N,)``.
    extra
        Other columns of the panel (e.g. covariates), each of shape ``(N,)``.
    """

    ids: np.ndarray
    offsets: np.ndarray
    ds: np.ndarray
    y: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_panel(cls, panel: pd.DataFrame) -> SeriesArrays:
        """The arrays of a sorted, checked panel (see :func:`tsbench.panel.check_panel`)."""
        ids, starts, ends = series_bounds(panel)
        offsets = np.r_[starts, ends[-1:] if len(ends) else [0]].astype(np.int64)
        extra = {c: panel[c].to_numpy() for c in panel.columns if c not in (ID, DS, Y)}
        return cls(ids[starts], offsets, panel[DS].to_numpy(), panel[Y].to_numpy(dtype=float), extra)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: list[int], stops: list[int] | None = None) -> SeriesArrays:
        """Series ``index`` (their first ``stops[k]`` rows when given) as a new compact set."""
        starts = self.offsets[index]
        ends = self.offsets[np.asarray(index) + 1] if stops is None else starts + np.asarray(stops)
        rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if len(index) else np.zeros(0, int)
        return SeriesArrays(self.ids[index], np.r_[0, np.cumsum(ends - starts)].astype(np.int64),
                            self.ds[rows], self.y[rows], {c: v[rows] for c, v in self.extra.items()})

    def select(self, columns) -> SeriesArrays:
        """The same series with only the ``extra`` columns named in ``columns`` (the arrays are shared)."""
        keep = set(columns)
        return SeriesArrays(self.ids, self.offsets, self.ds, self.y, {c: v for c, v in self.extra.items() if c in keep})

    def matrix(self, i: int, columns) -> np.ndarray:
        """The ``extra`` columns ``columns`` of series ``i`` as a float array ``(rows, len(columns))``."""
        s, e = self.bounds(i)
        if not len(columns):
            return np.empty((e - s, 0))
        return np.column_stack([np.asarray(self.extra[c][s:e], dtype=float) for c in columns])

    def bounds(self, i: int) -> tuple[int, int]:
        """First and one-past-last row of series ``i``."""
        return int(self.offsets[i]), int(self.offsets[i + 1])

    def values(self, i: int) -> np.ndarray:
        """The values of series ``i`` (a view)."""
        s, e = self.bounds(i)
        return self.y[s:e]

    def stamps(self, i: int) -> np.ndarray:
        """The time stamps of series ``i`` (a view)."""
        s, e = self.bounds(i)
        return self.ds[s:e]

    def frame(self, slices: dict[int, slice]) -> pd.DataFrame:
        """A long panel of the given row slices of each series (for the panel contract)."""
        rows = [np.arange(*self.bounds(i))[sl] for i, sl in slices.items()]
        take = np.concatenate(rows) if len(rows) > 1 else rows[0]
        ids = np.repeat(self.ids[list(slices)], [len(r) for r in rows])
        return pd.DataFrame({ID: ids, DS: self.ds[take], Y: self.y[take], **{c: v[take] for c, v in self.extra.items()}})


class ForecastParts:
    """Forecasts of a cell gathered as arrays, series by series, and turned into one frame at the end."""

    def __init__(self, data: SeriesArrays, horizon: int, quantile_columns: list[str]) -> None:
        self.data, self.horizon, self.qcols = data, horizon, quantile_columns
        self.parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, i: int, cut_pos: np.ndarray, point: np.ndarray, quantiles: np.ndarray) -> None:
        """Forecasts of series ``i`` from the cutoffs at rows ``cut_pos`` of that series.

        ``point`` has shape ``(len(cut_pos), horizon)`` and ``quantiles``
        ``(len(cut_pos), horizon, Q)``.
        """
        self.parts.append((i, np.asarray(cut_pos, dtype=np.int64), point, quantiles))

    def frame(self, model: str) -> pd.DataFrame:
        """``unique_id, cutoff, ds, h, model, y, y_pred`` and the quantile columns, in series, cutoff, h order.

        ``ds`` and ``y`` are the series' own observations ``h`` rows after each
        cutoff, so no calendar is guessed. The string columns are built as
        arrow arrays from the series' numbers (what pandas stores strings as),
        not as millions of Python strings.
        """
        h = self.horizon
        steps = np.arange(1, h + 1)
        which = np.array([i for i, _, _, _ in self.parts], dtype=np.int64)
        counts = np.array([len(cut_pos) for _, cut_pos, _, _ in self.parts], dtype=np.int64)
        at = np.concatenate([cut_pos for _, cut_pos, _, _ in self.parts]) + np.repeat(self.data.offsets[which], counts)
        cut, rows = np.repeat(at, h), (at[:, None] + steps[None, :]).reshape(-1)
        n = len(rows)
        point = np.concatenate([p.reshape(-1) for _, _, p, _ in self.parts]).astype(float)
        q = np.concatenate([qs.reshape(p.size, len(self.qcols)) for _, _, p, qs in self.parts])
        columns = {
            ID: _repeated(self.data.ids, np.repeat(which, counts * h)), "cutoff": self.data.ds[cut],
            DS: self.data.ds[rows], "h": np.tile(steps, n // h),
            "model": _repeated(np.array([model], dtype=object), np.zeros(n, dtype=np.int64)),
            Y: self.data.y[rows], "y_pred": point,
        }
        columns.update({col: q[:, j] for j, col in enumerate(self.qcols)})
        return pd.DataFrame(columns)


def _repeated(values: np.ndarray, index: np.ndarray):
    """``values[index]`` as a frame column; where pandas stores such strings with arrow, decoded from a dictionary."""
    kind = pd.DataFrame({"v": values}).dtypes["v"]  # what pandas makes of these values (a few: one per series)
    if len(values) and isinstance(kind, pd.StringDtype) and kind.storage == "pyarrow" and all(
            type(v) is str for v in values):
        import pyarrow as pa

        codes = pa.array(index.astype(np.int32 if len(values) < 2**31 else np.int64))
        strings = pa.DictionaryArray.from_arrays(codes, pa.array(list(values), pa.large_string()))
        return pd.array(strings.cast(pa.large_string()), dtype=kind)
    return values[index]
