"""Move forecasts between price, log price, simple and log returns, anchored on the last observed price.

A forecast made on one target is scored on another scale through the
consistent path of prices it implies: from the price ``P_c`` observed at the
cutoff, a ``return`` forecast ``r_1..r_h`` implies ``P_c (1+r_1)...(1+r_h)``
and a ``log_return`` forecast implies ``P_c exp(r_1+...+r_h)``; a ``log_price``
forecast implies ``exp(y)``. That price path is then expressed on the wanted
scale, returns being one-step changes of the path (step ``h`` against step
``h-1``, and step 1 against ``P_c``), which matches how return targets are built.

Quantiles move through the same maps where the map acts on each row alone
(price and log price; return and log return; any pair at step 1). Beyond step
1 the quantiles of a cumulated path cannot be recovered from per-step
quantiles, so those are set to NaN: see :func:`quantiles_convertible`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.data.targets import TARGETS, to_target
from tsbench.errors import DataError
from tsbench.panel import DS, ID, Y, quantile_columns_of

__all__ = [
    "SCALES",
    "RETURN_SCALES",
    "LEVEL_SCALES",
    "crosses_zero",
    "quantiles_convertible",
    "levels_on_scale",
    "to_price_path",
    "from_price_path",
    "convert_forecasts",
]

SCALES = TARGETS
LEVEL_SCALES = ("price", "log_price")
RETURN_SCALES = ("return", "log_return")
_RTOL = 1e-12  # relative rounding error of exp(log(p)) and the like


def crosses_zero(scale: str) -> bool:
    """True for scales whose values change sign by nature (returns), where percentage errors are meaningless."""
    return scale in RETURN_SCALES


def quantiles_convertible(source: str, scale: str, horizon: int) -> bool:
    """Whether quantile forecasts on ``source`` can be carried exactly to ``scale`` at every step."""
    if source == scale or horizon == 1:
        return True
    return (source in LEVEL_SCALES) == (scale in LEVEL_SCALES)


def levels_on_scale(levels: pd.DataFrame, scale: str) -> pd.DataFrame:
    """The price panel ``levels`` (``unique_id, ds, y``) expressed on ``scale`` (returns lose each first row)."""
    return to_target(levels, scale)


def to_price_path(values: np.ndarray, anchor: np.ndarray, first: np.ndarray, source: str) -> np.ndarray:
    """Prices implied by forecasts on ``source``.

    Parameters
    ----------
    values
        Forecasts of one or more origins, each origin's steps contiguous and in order.
    anchor
        The price observed at each row's cutoff.
    first
        True on the first step of each origin (where the cumulation restarts).
    source
        The scale of ``values``.
    """
    values = np.asarray(values, dtype=float)
    if source == "price":
        return values
    if source == "log_price":
        return np.exp(values)
    steps = np.log1p(values) if source == "return" else values
    return np.asarray(anchor, dtype=float) * np.exp(_cumsum_restart(steps, first))


def from_price_path(prices: np.ndarray, anchor: np.ndarray, first: np.ndarray, scale: str) -> np.ndarray:
    """A price path (as from :func:`to_price_path`) expressed on ``scale``."""
    prices = np.asarray(prices, dtype=float)
    if scale == "price":
        return prices
    if scale == "log_price":
        return _log(prices)
    previous = np.where(first, anchor, np.r_[np.nan, prices[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = prices / previous
    return ratio - 1.0 if scale == "return" else _log(ratio)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


def _cumsum_restart(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running sums that restart at each origin; a missing value leaves the rest of its origin missing."""
    group = np.cumsum(first) - 1
    missing = pd.Series(np.isnan(values)).groupby(group).cummax().to_numpy()
    total = np.nancumsum(values)
    offsets = np.r_[0.0, total][np.flatnonzero(first)]  # the running sum just before each origin
    return np.where(missing, np.nan, total - offsets[group])


def convert_forecasts(
    forecasts: pd.DataFrame, levels: pd.DataFrame, source: str | dict[str, str], scale: str
) -> pd.DataFrame:
    """Forecasts and actuals of ``forecasts`` moved from their target ``source`` to ``scale``.

    Parameters
    ----------
    forecasts
        Forecast frame with ``y`` (actual), ``y_pred`` and optional ``q_<level>`` columns;
        every origin must hold all its steps ``h = 1..H``.
    levels
        Price panel ``unique_id, ds, y`` holding at least every cutoff and forecast date.
    source
        The target the forecasts were made on, one for all series or one per ``unique_id``.
    scale
        The scale wanted.

    Returns
    -------
    pandas.DataFrame
        The same rows (sorted by series, model, cutoff and step) on ``scale``; actuals are
        taken from ``levels``, and quantiles that cannot be carried exactly are NaN.
    """
    if scale not in SCALES:
        raise DataError(f"unknown scale {scale!r}; expected one of {list(SCALES)}.")
    sort = [c for c in (ID, "model", "cutoff", "h") if c in forecasts.columns]
    out = forecasts.sort_values(sort, kind="stable", ignore_index=True)
    anchor = _lookup(levels, out, "cutoff")
    first = (out["h"].to_numpy() == 1)
    sources = out[ID].astype(str).map(source if isinstance(source, dict) else lambda _: source)
    if sources.isna().any():
        raise DataError(f"no target given for series '{out.loc[sources.isna(), ID].iloc[0]}'.")
    qcols = quantile_columns_of(out)
    converted = {c: np.full(len(out), np.nan) for c in ["y_pred", *qcols]}
    for src in sources.unique():
        rows = (sources == src).to_numpy()
        a, f = anchor[rows], first[rows]
        for col in converted:
            path = _snap(to_price_path(out.loc[rows, col].to_numpy(dtype=float), a, f, src), a)
            values = from_price_path(path, a, f, scale)
            if col != "y_pred" and not quantiles_convertible(src, scale, 2):
                values = np.where(f, values, np.nan)
            converted[col][rows] = values
    actual = levels_on_scale(levels, scale)
    out = out.assign(**converted, y=_lookup(actual, out, DS))
    return out


def _snap(prices: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """Prices within rounding error of the cutoff price become it, so a no-change forecast stays one."""
    return np.where(np.abs(prices - anchor) <= _RTOL * np.abs(anchor), anchor, prices)


def _lookup(panel: pd.DataFrame, frame: pd.DataFrame, column: str) -> np.ndarray:
    """Values of ``panel`` at ``(unique_id, frame[column])``; a missing date is a data error."""
    keys = pd.MultiIndex.from_arrays([panel[ID].astype(str), panel[DS]])
    wanted = pd.MultiIndex.from_arrays([frame[ID].astype(str), frame[column]])
    pos = keys.get_indexer(wanted)
    if (pos < 0).any():
        i = int(np.flatnonzero(pos < 0)[0])
        raise DataError(
            f"series '{frame[ID].iloc[i]}': no price observed at {frame[column].iloc[i]}, needed to "
            "convert forecasts between scales; the price panel must cover every cutoff and forecast date."
        )
    return panel[Y].to_numpy(dtype=float)[pos]
