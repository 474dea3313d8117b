"""Volatility and risk scores: QLIKE, MSE and Mincer-Zarnowitz R2 of variance forecasts; VaR and ES backtests.

Variance metrics read ``y_pred`` as the forecast variance of each future
session and ``y`` as its proxy, and score the ``h``-step target: the sum of
the variances of sessions ``1..h`` of an origin, for the forecast and the
proxy alike. ``qlike`` and ``mse_var`` are Patton's (2011) pair of losses that
rank forecasts as the true variance would, however noisy the (unbiased)
proxy:

- ``qlike``: ``P/F - log(P/F) - 1`` for proxy ``P`` and forecast ``F`` (zero when
  equal); rows with a zero proxy are left out;
- ``mse_var``: ``(P - F)^2``;
- ``mz_r2``: R-squared of the Mincer-Zarnowitz regression ``P = b0 + b1 F``.

VaR metrics take the level from their name (``var_breaches_1`` is 1%) and
compare the VaR of each step with the realised return of that session (the
``return`` column of a ``target: variance`` panel). The VaR is the model's
quantile column at that level where it has one (the variance models forecast
return quantiles from their predictive distribution), else the quantile of a
normal with mean zero and the forecast variance. Over all steps (``h = 0``)
VaR metrics score step 1, whose hits are in time order as the independence
test needs. The ES is the VaR times the normal ratio ``phi(z_a) / (a |z_a|)``,
exact for normal forecasts and a scaled approximation otherwise; ``fz0`` is the
Fissler-Ziegel FZ0 loss of the pair (Patton, Ziegel and Chen 2019):
``-1{r <= v} (v - r) / (a e) + v / e + log(-e) - 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from tsbench.data.variance import RETURN
from tsbench.errors import DataError
from tsbench.metrics.point import group_mean
from tsbench.panel import DS, ID, quantile_column
from tsbench.stats.var_tests import check_level, christoffersen_cc, christoffersen_independence, kupiec_pof

__all__ = [
    "cumulated",
    "qlike_losses",
    "qlike",
    "mse_var",
    "mz_r2",
    "var_forecasts",
    "es_forecasts",
    "hits_frame",
    "var_breaches",
    "kupiec",
    "christoffersen_ind",
    "christoffersen_cond",
    "fz0",
]


def cumulated(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Proxy and forecast summed over steps ``1..h`` of each origin, aligned with the rows of ``df``."""
    keys = [c for c in (ID, "model", "cutoff") if c in df.columns]
    order = df.sort_values([*keys, "h"], kind="stable")
    groups = [order[c] for c in keys]
    y = order["y"].astype(float).groupby(groups, sort=False).cumsum()
    f = order["y_pred"].astype(float).groupby(groups, sort=False).cumsum()
    return y.reindex(df.index).to_numpy(), f.reindex(df.index).to_numpy()


def qlike_losses(proxy: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """QLIKE ``P/F - log(P/F) - 1``; NaN where the proxy is not positive or the forecast is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(proxy, dtype=float) / np.asarray(forecast, dtype=float)
        loss = ratio - np.log(ratio) - 1.0
    ok = (np.asarray(proxy) > 0) & (np.asarray(forecast) > 0)
    return np.where(ok, loss, np.nan)


def qlike(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean QLIKE loss of the ``h``-step variance forecasts."""
    y, f = cumulated(df)
    return group_mean(qlike_losses(y, f), df, by)


def mse_var(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean squared error of the ``h``-step variance forecasts."""
    y, f = cumulated(df)
    return group_mean((y - f) ** 2, df, by)


def mz_r2(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """R-squared of the Mincer-Zarnowitz regression of the ``h``-step proxy on the forecast.

    With one regressor it is the squared correlation of the two.
    """
    y, f = cumulated(df)
    frame = pd.DataFrame({"y": y, "f": f}, index=df.index)
    keys = [df[c] for c in by]
    return frame.groupby(keys, sort=True).apply(lambda g: g["y"].corr(g["f"]) ** 2, include_groups=False)


def var_forecasts(df: pd.DataFrame, level: float) -> np.ndarray:
    """The VaR (a return quantile) at ``level`` of each row: the model's quantile column, else the normal one."""
    from scipy.stats import norm  # here, not at the top: scipy.stats takes a second to import

    normal = np.sqrt(np.maximum(df["y_pred"].to_numpy(dtype=float), 0.0)) * norm.ppf(level)
    col = quantile_column(level)
    if col not in df.columns:
        return normal
    own = df[col].to_numpy(dtype=float)
    return np.where(np.isfinite(own), own, normal)


def es_forecasts(var: np.ndarray, level: float) -> np.ndarray:
    """The expected shortfall that goes with ``var``: the VaR times the normal ratio ``phi(z) / (a |z|)``."""
    from scipy.stats import norm

    z = norm.ppf(level)
    return np.asarray(var, dtype=float) * norm.pdf(z) / (level * -z)


def _returns(df: pd.DataFrame, history: pd.DataFrame | None) -> np.ndarray:
    if history is None or RETURN not in history.columns:
        raise DataError(
            "VaR metrics compare VaR forecasts with realised returns, read from the 'return' column of a "
            "'target: variance' panel; this panel has none. Use target: variance for these metrics."
        )
    keys = pd.MultiIndex.from_arrays([history[ID].astype(str), history[DS]])
    pos = keys.get_indexer(pd.MultiIndex.from_arrays([df[ID].astype(str), df[DS]]))
    values = history[RETURN].to_numpy(dtype=float)
    return np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)


def hits_frame(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None, level: float) -> pd.DataFrame:
    """Rows scored by the VaR metrics (step 1 when ``h`` is not grouped on), in time order, with ``var``, ``ret``, ``hit``."""
    level = check_level(level)
    rows = df if "h" in by else df[df["h"] == df["h"].min()]
    var = var_forecasts(rows, level)
    ret = _returns(rows, history)
    hit = np.where(np.isnan(ret) | np.isnan(var), np.nan, (ret < var).astype(float))
    out = rows[[*dict.fromkeys([*by, "cutoff"])]].assign(var=var, ret=ret, hit=hit)
    return out.sort_values([*by, "cutoff"], kind="stable")


def _per_group(df, by, history, level, stat: Callable[[pd.DataFrame], float]) -> pd.Series:
    frame = hits_frame(df, by, history, level)
    return frame.groupby([frame[c] for c in by], sort=True).apply(stat, include_groups=False)


def var_breaches(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None = None,
                 level: float = 0.05) -> pd.Series:
    """Share of sessions whose return fell below the VaR (ideally ``level``)."""
    return _per_group(df, by, history, level, lambda g: float(g["hit"].mean()))


def kupiec(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None = None,
           level: float = 0.05) -> pd.Series:
    """p-value of Kupiec's proportion-of-failures test (below 0.05: the hit rate is wrong at 5%)."""
    return _per_group(df, by, history, level, lambda g: kupiec_pof(g["hit"], level).pvalue)


def christoffersen_ind(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None = None,
                       level: float = 0.05) -> pd.Series:
    """p-value of Christoffersen's independence test of the hits."""
    check_level(level)
    return _per_group(df, by, history, level, lambda g: christoffersen_independence(g["hit"]).pvalue)


def christoffersen_cond(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None = None,
                        level: float = 0.05) -> pd.Series:
    """p-value of Christoffersen's conditional-coverage test (hit rate and independence jointly)."""
    return _per_group(df, by, history, level, lambda g: christoffersen_cc(g["hit"], level).pvalue)


def fz0(df: pd.DataFrame, by: Sequence[str], history: pd.DataFrame | None = None,
        level: float = 0.05) -> pd.Series:
    """Mean FZ0 loss of the (VaR, ES) pair; lower is better. Rows with a non-negative VaR are left out."""
    frame = hits_frame(df, by, history, level)
    v, r = frame["var"].to_numpy(), frame["ret"].to_numpy()
    e = es_forecasts(v, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -((r <= v) * (v - r)) / (level * e) + v / e + np.log(-e) - 1.0
    loss = np.where((v < 0) & np.isfinite(r), loss, np.nan)
    return group_mean(loss, frame, by)
