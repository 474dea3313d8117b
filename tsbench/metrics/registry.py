"""Every metric declared once, with its kind, and the one parser of metric names.

A metric is a plain function ``fn(df, by, **needs)`` (see :mod:`tsbench.metrics.point`)
declared here as a :class:`Metric` with its *kind*:

- ``point``: scored from ``y_pred`` alone, per step and over all steps;
- ``quantile``: needs quantile forecasts (pinball, CRPS);
- ``interval``: needs a central interval; ``<name>_<pct>`` picks one (``coverage_80``);
- ``trading``: the sign-following strategy, always on prices, over all steps only;
- ``variance``: variance forecasts against a proxy, on the ``h``-step sums (QLIKE, MZ R2);
- ``var``: Value-at-Risk backtests against realised returns; ``<name>_<pct>`` picks the
  level (``kupiec_1`` is the 1% VaR), which must lie in (0, 50) percent.

:func:`get_metric` resolves any valid name, interval names included; nothing else
parses metric names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

import pandas as pd

from tsbench.metrics import oos, point, probabilistic, risk, trading

__all__ = ["Metric", "MetricKind", "METRICS", "get_metric", "is_metric", "metric_base", "metric_names"]

MetricKind = Literal["point", "quantile", "interval", "trading", "variance", "var"]


@dataclass(frozen=True)
class Metric:
    """A metric function, its kind and the direction in which it improves.

    ``goal`` replaces "higher/lower is better" in tables for metrics that aim
    at a value (interval coverage). ``rowwise`` marks a metric that is the mean
    over rows of a value each row gives on its own, by exact elementwise
    arithmetic (no scale taken from the rows scored, no sequence of origins):
    grouping its rows by one more key then gives, bit for bit, what scoring
    each group's rows alone gives, which is how periods are scored in one pass.
    ``uses_last`` is False for a metric that never reads ``y_last`` (the value
    at the cutoff), which is then not looked up for it.
    """

    name: str
    fn: Callable[..., pd.Series]
    kind: MetricKind = "point"
    higher_is_better: bool = False
    goal: str | None = None
    rowwise: bool = False
    uses_last: bool = True

    @property
    def per_step(self) -> bool:
        """False for metrics that only make sense over all steps together (trading metrics)."""
        return self.kind != "trading"

    @property
    def needs_quantiles(self) -> bool:
        """True for metrics scored from quantile forecasts."""
        return self.kind in ("quantile", "interval")

    @property
    def base(self) -> str:
        """The declared name this metric derives from (``coverage`` for ``coverage_80``)."""
        return metric_base(self.name)

    def needs(self) -> set[str]:
        """Keyword arguments beyond ``(df, by)`` that the function accepts."""
        return set(inspect.signature(self.fn).parameters) - {"df", "by"}

    def required(self) -> set[str]:
        """Keyword arguments without a default, which must be supplied."""
        params = inspect.signature(self.fn).parameters
        return {n for n in self.needs() if params[n].default is inspect.Parameter.empty}


_DECLARED = (
    Metric("mae", point.mae, rowwise=True, uses_last=False),
    Metric("mse", point.mse, rowwise=True, uses_last=False),
    Metric("rmse", point.rmse, rowwise=True, uses_last=False),
    Metric("mape", point.mape, rowwise=True, uses_last=False),
    Metric("smape", point.smape, rowwise=True, uses_last=False),
    Metric("mase", point.mase, uses_last=False),
    Metric("directional_accuracy", point.directional_accuracy, higher_is_better=True, rowwise=True),
    Metric("r2_oos_rw", oos.r2_oos_rw, higher_is_better=True),
    Metric("r2_oos_mean", oos.r2_oos_mean, higher_is_better=True),
    Metric("pinball", probabilistic.pinball, kind="quantile", uses_last=False),
    Metric("crps", probabilistic.crps, kind="quantile", uses_last=False),
    Metric("coverage", probabilistic.coverage, kind="interval", goal="coverage closest to its nominal level is best",
           rowwise=True, uses_last=False),
    Metric("width", probabilistic.width, kind="interval", rowwise=True, uses_last=False),
    Metric("winkler", probabilistic.winkler, kind="interval", rowwise=True, uses_last=False),
    Metric("hit_rate", trading.hit_rate, kind="trading", higher_is_better=True),
    Metric("strategy_return", trading.strategy_return, kind="trading", higher_is_better=True),
    Metric("sharpe", trading.sharpe, kind="trading", higher_is_better=True),
    Metric("max_drawdown", trading.max_drawdown, kind="trading"),
    Metric("turnover", trading.turnover, kind="trading", goal="turnover: trading volume per year, lower costs less"),
    Metric("qlike", risk.qlike, kind="variance"),
    Metric("mse_var", risk.mse_var, kind="variance"),
    Metric("mz_r2", risk.mz_r2, kind="variance", higher_is_better=True),
    Metric("var_breaches", risk.var_breaches, kind="var", goal="breach rate closest to the VaR level is best"),
    Metric("kupiec", risk.kupiec, kind="var", higher_is_better=True,
           goal="Kupiec p-value: below 0.05 rejects the breach rate"),
    Metric("christoffersen_ind", risk.christoffersen_ind, kind="var", higher_is_better=True,
           goal="Christoffersen independence p-value: below 0.05 rejects independent breaches"),
    Metric("christoffersen_cc", risk.christoffersen_cond, kind="var", higher_is_better=True,
           goal="conditional-coverage p-value: below 0.05 rejects the VaR"),
    Metric("fz0", risk.fz0, kind="var"),
)

#: The declared metrics by name; interval metrics also answer to ``<name>_<pct>`` through :func:`get_metric`.
METRICS: dict[str, Metric] = {m.name: m for m in _DECLARED}


def _parse(name: object) -> Metric | None:
    if not isinstance(name, str):
        return None
    if name in METRICS:
        return METRICS[name]
    base, _, pct = name.rpartition("_")
    declared = METRICS.get(base)
    if declared is None or declared.kind not in ("interval", "var"):
        return None
    try:
        nominal = float(pct) / 100.0
    except ValueError:
        return None
    if declared.kind == "var":  # the level's range is checked where the metric is planned, with its own message
        return replace(declared, name=name, fn=partial(declared.fn, level=nominal)) if nominal > 0 else None
    if not 0.0 < nominal < 1.0:
        return None
    goal = f"{name} closest to {nominal:g} is best" if base == "coverage" else None
    return replace(declared, name=name, fn=partial(declared.fn, interval=nominal), goal=goal)


def get_metric(name: str) -> Metric:
    """The metric called ``name`` (a declared name, or a name with a level such as ``coverage_80`` or ``kupiec_1``).

    Raises
    ------
    KeyError
        For a name that is no metric.
    """
    metric = _parse(name)
    if metric is None:
        raise KeyError(name)
    return metric


def is_metric(name: object) -> bool:
    """True when :func:`get_metric` resolves ``name``."""
    return _parse(name) is not None


def metric_base(name: str) -> str:
    """The declared metric a name resolves to (``coverage_80`` -> ``coverage``); the name itself otherwise."""
    if name in METRICS:
        return name
    base = name.rpartition("_")[0]
    return base if is_metric(name) else name


def metric_names(kind: MetricKind | None = None) -> list[str]:
    """The declared metric names, of one kind or of all."""
    return [m.name for m in _DECLARED if kind is None or m.kind == kind]
