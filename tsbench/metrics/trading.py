"""Trading metrics of a sign-following strategy built from point forecasts of prices.

At each origin the strategy goes long (short) when the forecast ``step``
sessions ahead is above (below) the price at the cutoff, and flat when it is
equal. The position is held for ``step`` sessions, or until the next origin
replaces it, and is flat in any sessions between. Each session earns the
position times the price's simple return there, less ``cost_bps`` basis points
per unit of position traded (entering from flat costs one unit, reversing two).

All functions share the metric signature ``(df, by, history, ...)``: ``df`` is
an evaluation frame on the price scale (``y``, ``y_pred``, ``y_last`` are
prices) and ``history`` the price panel, from which session returns are read.
``by`` must separate series (include ``unique_id``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsbench.data.calendar import annualisation
from tsbench.errors import DataError
from tsbench.panel import DS, ID, Y

__all__ = [
    "BUY_AND_HOLD",
    "Strategy",
    "strategy",
    "hit_rate",
    "strategy_return",
    "sharpe",
    "max_drawdown",
    "turnover",
]

#: Model name of the reference row that is always long.
BUY_AND_HOLD = "buy_and_hold"

PerSeries = float | Mapping[str, float] | None


@dataclass(frozen=True)
class Strategy:
    """Session-by-session outcome of the strategy on one series.

    ``returns`` and ``positions`` cover every session from the first cutoff
    (excluded) to the end of the last holding; ``hits`` holds one boolean per
    origin that took a position (was its direction right?).
    """

    returns: np.ndarray
    positions: np.ndarray
    hits: np.ndarray
    periods_per_year: float

    @property
    def wealth(self) -> np.ndarray:
        """Growth of one unit of capital after each session."""
        return np.cumprod(1.0 + self.returns)


def strategy(
    rows: pd.DataFrame, prices: pd.DataFrame, step: int = 1, cost_bps: float = 0.0,
    periods_per_year: float | None = None,
) -> Strategy:
    """Run the sign-following strategy for one series' forecasts.

    Parameters
    ----------
    rows
        Evaluation rows of one series and one model (``cutoff``, ``h``, ``y_pred``, ``y_last``).
    prices
        The series' price history (``ds``, ``y``), covering every cutoff and holding session.
    step
        Horizon step whose forecast sets the direction, and the holding length in sessions.
    cost_bps
        Proportional cost per unit of position traded, in basis points.
    periods_per_year
        Periods per year; read from the calendar of ``prices`` when omitted
        (see :func:`tsbench.data.calendar.annualisation`: sessions a year times
        the bars observed per session for intraday series).
    """
    prices = prices.sort_values(DS)
    ds, p = prices[DS].to_numpy(), prices[Y].to_numpy(dtype=float)
    signal_rows = rows[rows["h"] == step].sort_values("cutoff")
    if signal_rows.empty:
        horizon = int(rows["h"].max()) if len(rows) else 0
        raise DataError(
            f"trading step {step} is beyond the forecast horizon ({horizon}); "
            "set 'trading: {step: N}' to at most the backtest horizon."
        )
    cut = _positions(ds, signal_rows["cutoff"].to_numpy(), rows[ID].iloc[0])
    last = signal_rows["y_last"].to_numpy(dtype=float)
    change = signal_rows["y_pred"].to_numpy(dtype=float) - last
    signal = np.where(np.abs(change) <= 1e-12 * np.abs(last), 0.0, np.sign(change))  # rounding is no signal
    end = min(cut[-1] + step, len(p) - 1)
    x = np.zeros(end - cut[0] + 1)  # x[j]: position held over session cut[0] + j (x[0] = flat start)
    for i, c in enumerate(cut):
        stop = min(c + step, cut[i + 1] if i + 1 < len(cut) else end, end)
        x[c - cut[0] + 1 : stop - cut[0] + 1] = signal[i]
    market = p[cut[0] + 1 : end + 1] / p[cut[0] : end] - 1.0
    costs = cost_bps / 1e4 * np.abs(np.diff(x))
    held = x[1:]
    moved = np.sign(p[np.minimum(cut + step, len(p) - 1)] - p[cut])
    hits = (signal == moved)[signal != 0]
    per_year = periods_per_year if periods_per_year is not None else annualisation(ds).periods_per_year
    return Strategy(held * market - costs, held, hits, float(per_year))


def _positions(ds: np.ndarray, cutoffs: np.ndarray, uid: object) -> np.ndarray:
    pos = np.searchsorted(ds, cutoffs)
    bad = (pos >= len(ds)) | (ds[np.minimum(pos, len(ds) - 1)] != cutoffs)
    if bad.any():
        raise DataError(
            f"series '{uid}': cutoff {cutoffs[bad][0]} is not a date of its price history; "
            "trading metrics need the price panel the forecasts were made on."
        )
    return pos


def _per_series(value: PerSeries, uid: str) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    return value.get(uid)


def _apply(
    df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame, step: int, cost_bps: float,
    periods_per_year: PerSeries, score: Callable[[Strategy], float],
) -> pd.Series:
    if ID not in by:
        raise DataError(f"trading metrics are computed per series; 'by' must include '{ID}', got {list(by)}.")
    prices = {str(uid): g for uid, g in history.groupby(ID, sort=False)}
    values, keys = [], []
    for key, rows in df.groupby(list(by), sort=True):
        uid = str(rows[ID].iloc[0])
        if rows[ID].nunique() > 1 or ("model" in rows and rows["model"].nunique() > 1):
            raise DataError(f"trading metrics follow one model on one series at a time; group 'by' {[ID, 'model']}.")
        if uid not in prices:
            raise DataError(f"series '{uid}' has forecasts but no price history to trade on.")
        result = strategy(rows, prices[uid], int(step), float(cost_bps), _per_series(periods_per_year, uid))
        values.append(score(result))
        keys.append(key)
    index = pd.MultiIndex.from_tuples(keys, names=list(by)) if len(by) > 1 else pd.Index(
        [k[0] if isinstance(k, tuple) else k for k in keys], name=by[0])
    return pd.Series(values, index=index, dtype=float)


def _hit_rate(s: Strategy) -> float:
    return float(np.mean(s.hits)) if len(s.hits) else np.nan


def _annual_return(s: Strategy) -> float:
    final = s.wealth[-1] if len(s.returns) else 1.0
    if final <= 0:
        return -1.0
    return float(final ** (s.periods_per_year / len(s.returns)) - 1.0)


def _sharpe(s: Strategy) -> float:
    if len(s.returns) < 2:
        return np.nan
    sd = float(np.std(s.returns, ddof=1))
    return float(np.mean(s.returns) / sd * np.sqrt(s.periods_per_year)) if sd > 0 else np.nan


def _max_drawdown(s: Strategy) -> float:
    wealth = np.r_[1.0, s.wealth]
    return float(np.max(1.0 - wealth / np.maximum.accumulate(wealth)))


def _turnover(s: Strategy) -> float:
    traded = np.abs(np.diff(np.r_[0.0, s.positions])).sum()
    return float(traded * s.periods_per_year / len(s.positions))


def _strategy_metric(name: str, statistic: Callable[[Strategy], float], doc: str) -> Callable[..., pd.Series]:
    """A metric of the strategy: the same signature for every statistic, so evaluate() passes the same options."""

    def metric(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame, step: int = 1,
               cost_bps: float = 0.0, periods_per_year: PerSeries = None) -> pd.Series:
        return _apply(df, by, history, step, cost_bps, periods_per_year, statistic)

    metric.__name__ = metric.__qualname__ = name  # picklable by reference, like a module-level function
    metric.__doc__ = doc
    return metric


hit_rate = _strategy_metric(
    "hit_rate", _hit_rate, "Share of positions taken whose direction matched the price move over ``step`` sessions.")
strategy_return = _strategy_metric(
    "strategy_return", _annual_return, "Annualised compound return of the strategy, net of costs (0.1 is 10% a year).")
sharpe = _strategy_metric("sharpe", _sharpe, "Annualised Sharpe ratio of the net session returns (zero risk-free rate).")
max_drawdown = _strategy_metric(
    "max_drawdown", _max_drawdown, "Largest fall of the strategy's wealth from a previous peak, as a fraction (0.2 is -20%).")
turnover = _strategy_metric("turnover", _turnover, "Units of position traded per year (a long-to-short reversal trades two).")
