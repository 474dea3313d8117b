"""The variance target: daily returns in percent and a proxy of their variance, from prices or OHLC columns.

On ``target: variance`` a panel holds, per session ``t``:

- ``return``: the log return ``100 log(P_t / P_{t-1})``, in percent;
- ``y``: a proxy of that session's return variance, in percent squared.

Proxies (``proxy:`` of the data entry):

- ``squared_return`` (default): ``(r_t - m_{t-1})^2`` where ``m_{t-1}`` is the
  mean of the returns before ``t``. The mean needs a warm-up of
  :data:`WARMUP` returns, whose rows are dropped (no look-ahead: the proxy at
  ``t`` uses nothing after ``t``);
- ``parkinson``: ``(ln H/L)^2 / (4 ln 2)``, the high-low range estimator;
- ``garman_klass``: ``0.5 (ln H/L)^2 - (2 ln 2 - 1)(ln C/O)^2``.

The range estimators measure the open-to-close variance only, so they miss
the overnight move and sit below the close-to-close variance on average; they
are far less noisy than a squared return.

Forecasts are of the per-session variance at each step; the variance metrics
score the ``h``-step target, the sum of the next ``h`` daily variances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.errors import DataError
from tsbench.panel import DS, ID, Y

__all__ = ["RETURN", "PROXIES", "RANGE_PROXIES", "OHLC", "WARMUP", "variance_panel", "proxy_values", "load_ohlc"]

#: Column of a variance panel holding the session's log return, in percent.
RETURN = "return"
RANGE_PROXIES = ("parkinson", "garman_klass")
PROXIES = ("squared_return", *RANGE_PROXIES)
#: Columns a range proxy reads.
OHLC = ("Open", "High", "Low", "Close")
#: Returns used to estimate the mean before the first squared-return proxy.
WARMUP = 20


def proxy_values(returns: np.ndarray, proxy: str, ohlc: pd.DataFrame | None = None) -> np.ndarray:
    """The proxy of each session's variance (percent squared); NaN where it is not yet defined.

    Parameters
    ----------
    returns
        Log returns in percent, in time order.
    proxy
        One of :data:`PROXIES`.
    ohlc
        For range proxies: columns ``Open, High, Low, Close`` aligned with ``returns``.
    """
    if proxy not in PROXIES:
        raise DataError(f"unknown variance proxy {proxy!r}; expected one of {list(PROXIES)}.")
    if proxy == "squared_return":
        counts = np.arange(len(returns), dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            prior_mean = np.r_[np.nan, np.cumsum(returns)[:-1]] / counts
        out = (returns - prior_mean) ** 2
        out[: WARMUP] = np.nan
        return out
    hl = np.log(ohlc["High"].to_numpy(float) / ohlc["Low"].to_numpy(float))
    if proxy == "parkinson":
        return 1e4 * hl**2 / (4.0 * np.log(2.0))
    co = np.log(ohlc["Close"].to_numpy(float) / ohlc["Open"].to_numpy(float))
    return 1e4 * (0.5 * hl**2 - (2.0 * np.log(2.0) - 1.0) * co**2)


def load_ohlc(source: str, ids) -> pd.DataFrame | None:
    """``unique_id, ds, Open, High, Low, Close`` of a built-in source for each of ``ids``; None without them.

    Range proxies read the OHLC columns of built-in datasets (the S&P 500 and
    NASDAQ have them); file sources give None, so a range proxy on them is refused.
    """
    from tsbench.data.builtin import load_builtin_wide

    kind, _, ref = source.partition(":")
    if kind != "builtin":
        return None
    wide = load_builtin_wide(ref)
    if not set(OHLC) <= set(wide.columns):
        return None
    frame = wide[list(OHLC)].reset_index()
    return pd.concat([frame.assign(**{ID: uid}) for uid in ids], ignore_index=True)


def _min_rows(proxy: str) -> int:
    # prices needed for one proxy row, plus one more row so a model has something to fit
    return (WARMUP + 2 if proxy == "squared_return" else 2) + 1


def variance_panel(levels: pd.DataFrame, proxy: str = "squared_return", ohlc: pd.DataFrame | None = None,
                   source: str = "") -> pd.DataFrame:
    """Returns and variance proxy of each series of the price panel ``levels``.

    Parameters
    ----------
    levels
        Price panel ``unique_id, ds, y`` (positive prices).
    proxy
        One of :data:`PROXIES`.
    ohlc
        For range proxies: ``unique_id, ds, Open, High, Low, Close`` covering the dates of ``levels``.
    source
        The data source, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, ds, y, return``: one row per session with a defined proxy.

    Raises
    ------
    DataError
        For non-positive prices, a series too short for the proxy, or a range
        proxy without OHLC columns.
    """
    if proxy in RANGE_PROXIES and ohlc is None:
        raise DataError(
            f"source {source!r}: proxy {proxy!r} reads the columns {list(OHLC)}, which this source does not "
            "have; use 'proxy: squared_return' or a source with open/high/low/close prices."
        )
    bad = levels[~(levels[Y] > 0)]
    if len(bad):
        row = bad.iloc[0]
        raise DataError(
            f"series '{row[ID]}': target 'variance' takes log returns of positive prices, got {row[Y]} at {row[DS]}."
        )
    parts = []
    for uid, g in levels.groupby(ID, sort=False):
        if len(g) < _min_rows(proxy):
            raise DataError(
                f"series '{uid}' has {len(g)} observation(s); target 'variance' with proxy {proxy!r} needs at "
                f"least {_min_rows(proxy)} (the proxy's warm-up of {WARMUP if proxy == 'squared_return' else 1} "
                "return(s), then data to fit on). Use a longer history (or a larger 'last')."
            )
        price = g[Y].to_numpy(float)
        returns = np.r_[np.nan, 100.0 * np.diff(np.log(price))]
        sessions = None
        if ohlc is not None and proxy in RANGE_PROXIES:
            sessions = g[[ID, DS]].merge(ohlc, on=[ID, DS], how="left")
            if sessions[list(OHLC)].isna().any().any():
                when = sessions.loc[sessions[list(OHLC)].isna().any(axis=1), DS].iloc[0]
                raise DataError(f"series '{uid}': open/high/low/close missing at {when}; the range proxy needs all four.")
        values = np.r_[np.nan, proxy_values(returns[1:], proxy, None if sessions is None else sessions.iloc[1:])]
        frame = pd.DataFrame({ID: g[ID].to_numpy(), DS: g[DS].to_numpy(), Y: values, RETURN: returns})
        parts.append(frame[np.isfinite(values)])
    return pd.concat(parts, ignore_index=True)
