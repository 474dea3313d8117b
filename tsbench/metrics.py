"""Forecast metrics as plain functions over the evaluation frame, and the registry of every metric.

Every metric takes ``(df, by)`` and returns a Series indexed by the ``by``
columns. ``df`` holds one row per forecast with ``y`` (actual), ``y_pred`` and
``y_last`` (the last observed value at the cutoff). Metrics that need more
declare it as a keyword argument: ``train`` (the history up to each series'
first cutoff), ``history`` (the whole panel), ``season_length``, ``scale``;
:func:`evaluate` reads the signature and passes only what is asked for.
Probabilistic, trading and out-of-sample R-squared metrics live in
``metrics_prob``, ``metrics_trading`` and ``metrics_oos`` and are registered here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from tsbench.errors import ConfigError, DataError
from tsbench.panel import DS, ID, Y

__all__ = [
    "Metric",
    "MetricTable",
    "METRICS",
    "INTERVAL_METRICS",
    "TRADING_METRICS",
    "QUANTILE_METRICS",
    "mae",
    "mse",
    "rmse",
    "mape",
    "smape",
    "mase",
    "directional_accuracy",
    "mase_scale",
    "evaluate",
    "evaluation_frame",
]


def _group_mean(values: np.ndarray, df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    return pd.Series(values, index=df.index).groupby([df[c] for c in by], sort=True).mean()


def _errors(df: pd.DataFrame) -> np.ndarray:
    return df["y"].to_numpy(dtype=float) - df["y_pred"].to_numpy(dtype=float)


def mae(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean absolute error."""
    return _group_mean(np.abs(_errors(df)), df, by)


def mse(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean squared error."""
    return _group_mean(_errors(df) ** 2, df, by)


def rmse(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Root mean squared error (the root of the group's MSE)."""
    return np.sqrt(mse(df, by))


def mape(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Mean absolute percentage error, in percent. Undefined where an actual is zero."""
    y = df["y"].to_numpy(dtype=float)
    if np.any(y == 0):
        uid = df.loc[y == 0, ID].iloc[0]
        raise DataError(
            f"MAPE is undefined for series '{uid}': it has an actual value of 0. "
            "Use smape or mase, or a target that stays away from zero (price, log_price)."
        )
    return _group_mean(100.0 * np.abs(_errors(df) / y), df, by)


def smape(df: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """Symmetric MAPE as in the M4 competition, from 0 to 200 (0/0 counts as 0)."""
    denom = np.abs(df["y"].to_numpy(dtype=float)) + np.abs(df["y_pred"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(denom == 0, 0.0, 200.0 * np.abs(_errors(df)) / denom)
    return _group_mean(terms, df, by)


def mase_scale(train: pd.DataFrame, season_length: int = 1) -> pd.Series:
    """In-sample mean absolute seasonal difference of each series of ``train``."""
    y = train[Y]
    diff = (y - y.groupby(train[ID], sort=False).shift(season_length)).abs()
    return diff.groupby(train[ID], sort=False).mean()


def mase(df: pd.DataFrame, by: Sequence[str], train: pd.DataFrame, season_length: int = 1) -> pd.Series:
    """Mean absolute scaled error (Hyndman and Koehler, 2006).

    The scale is the mean absolute ``season_length``-difference of each series'
    training data at its first origin, so it is the same for every cutoff.
    """
    scale = mase_scale(train, season_length)
    bad = scale[~(scale > 0)]
    if len(bad):
        raise DataError(
            f"MASE is undefined for series '{bad.index[0]}': its training data are constant "
            f"(mean absolute {season_length}-step difference is 0). Drop the series or the mase metric."
        )
    per_row = df[ID].map(scale).to_numpy(dtype=float)
    return _group_mean(np.abs(_errors(df)) / per_row, df, by)


def directional_accuracy(df: pd.DataFrame, by: Sequence[str], scale=None) -> pd.Series:
    """Share of forecasts whose direction of change from the last observed value is right.

    On return scales the direction is the sign of the return itself (its
    change from zero), not its change from the previous return. A forecast of
    exactly no change carries no direction and scores 0.5, the value of a coin
    flip, so the random walk is not punished for it.
    """
    from tsbench.metrics_oos import on_return_scale

    last = np.where(on_return_scale(df, scale), 0.0, df["y_last"].to_numpy(dtype=float))
    predicted = np.sign(df["y_pred"].to_numpy(dtype=float) - last)
    actual = np.sign(df["y"].to_numpy(dtype=float) - last)
    score = np.where(predicted == 0, 0.5, (predicted == actual).astype(float))
    return _group_mean(score, df, by)


@dataclass(frozen=True)
class Metric:
    """A metric function with the direction in which it improves.

    ``per_step`` is False for metrics that only make sense over all steps
    together (trading metrics); ``goal`` replaces "higher/lower is better" in
    tables for metrics that aim at a value (interval coverage).
    """

    name: str
    fn: Callable[..., pd.Series]
    higher_is_better: bool = False
    per_step: bool = True
    goal: str | None = None

    def needs(self) -> set[str]:
        """Keyword arguments beyond ``(df, by)`` that the function accepts."""
        return set(inspect.signature(self.fn).parameters) - {"df", "by"}

    def required(self) -> set[str]:
        """Keyword arguments without a default, which must be supplied."""
        params = inspect.signature(self.fn).parameters
        return {n for n in self.needs() if params[n].default is inspect.Parameter.empty}


#: Metrics scored on a central interval; ``<name>_<pct>`` picks the interval (``coverage_80``).
INTERVAL_METRICS = ("coverage", "width", "winkler")
#: Metrics of the sign-following strategy, always scored on prices.
TRADING_METRICS = ("hit_rate", "strategy_return", "sharpe", "max_drawdown", "turnover")
#: Metrics that need quantile forecasts.
QUANTILE_METRICS = ("pinball", "crps", *INTERVAL_METRICS)


class MetricTable(dict):
    """The metric registry: a dict by name that also resolves ``coverage_80``-style interval names."""

    def __missing__(self, name: str) -> Metric:
        base, _, pct = str(name).rpartition("_")
        if base in INTERVAL_METRICS and dict.__contains__(self, base):
            try:
                nominal = float(pct) / 100.0
            except ValueError:
                raise KeyError(name) from None
            if 0.0 < nominal < 1.0:
                metric = dict.__getitem__(self, base)
                goal = f"{name} closest to {nominal:g} is best" if base == "coverage" else None
                return Metric(name, partial(metric.fn, interval=nominal), metric.higher_is_better, True, goal)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        if dict.__contains__(self, name):
            return True
        try:
            self[name]
        except KeyError:
            return False
        return True

    def get(self, name, default=None):
        """The metric called ``name``, or ``default``."""
        return self[name] if name in self else default


def _registry() -> MetricTable:
    from tsbench import metrics_oos as oos
    from tsbench import metrics_prob as prob
    from tsbench import metrics_trading as trading

    return MetricTable(
        (m.name, m)
        for m in (
            Metric("mae", mae),
            Metric("mse", mse),
            Metric("rmse", rmse),
            Metric("mape", mape),
            Metric("smape", smape),
            Metric("mase", mase),
            Metric("directional_accuracy", directional_accuracy, higher_is_better=True),
            Metric("r2_oos_rw", oos.r2_oos_rw, higher_is_better=True),
            Metric("r2_oos_mean", oos.r2_oos_mean, higher_is_better=True),
            Metric("pinball", prob.pinball),
            Metric("crps", prob.crps),
            Metric("coverage", prob.coverage, goal="coverage closest to its nominal level is best"),
            Metric("width", prob.width),
            Metric("winkler", prob.winkler),
            Metric("hit_rate", trading.hit_rate, higher_is_better=True, per_step=False),
            Metric("strategy_return", trading.strategy_return, higher_is_better=True, per_step=False),
            Metric("sharpe", trading.sharpe, higher_is_better=True, per_step=False),
            Metric("max_drawdown", trading.max_drawdown, per_step=False),
            Metric("turnover", trading.turnover, per_step=False, goal="turnover: trading volume per year, lower costs less"),
        )
    )


METRICS: MetricTable = _registry()


def evaluation_frame(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Forecasts with ``y_last``, the value observed at each cutoff, joined from the panel."""
    last = panel[[ID, DS, Y]].rename(columns={DS: "cutoff", Y: "y_last"})
    return forecasts.merge(last, on=[ID, "cutoff"], how="left", validate="many_to_one")


def first_training_data(forecasts: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """Each series' history up to (and including) its earliest cutoff."""
    first = forecasts.groupby(ID)["cutoff"].min()
    cut = panel[ID].map(first)
    return panel[cut.notna().to_numpy() & (panel[DS] <= cut).to_numpy()]


def evaluate(
    forecasts: pd.DataFrame,
    panel: pd.DataFrame,
    metrics: Sequence[str],
    params: Mapping[str, Mapping[str, object]] | None = None,
    extra: Mapping[str, object] | None = None,
    steps: bool = True,
) -> pd.DataFrame:
    """Score forecasts per series, model and step.

    Parameters
    ----------
    forecasts
        Forecast frame with actuals ``y``.
    panel
        The panel the forecasts were made on (gives ``y_last``, the training data and ``history``).
    metrics
        Metric names (keys of :data:`METRICS`).
    params
        Options per metric, e.g. ``{"mase": {"season_length": 5}}``.
    extra
        Further inputs a metric may ask for by name (e.g. ``scale``, ``periods_per_year``).
    steps
        Also score each step ``h``; without it only the all-steps rows (``h = 0``) are computed.

    Returns
    -------
    pandas.DataFrame
        Long frame ``unique_id, model, metric, h, value`` where ``h = 0`` holds the
        metric over all steps together (metrics that are not per step have only ``h = 0``).
    """
    params = params or {}
    df = evaluation_frame(forecasts, panel)
    available = {"history": panel, **(extra or {})}
    parts = []
    for name in metrics:
        metric = METRICS[name]
        kwargs = dict(params.get(name, {}))
        for need in sorted(metric.needs() - set(kwargs)):
            if need == "train":
                kwargs["train"] = first_training_data(forecasts, panel)
            elif need in available:
                kwargs[need] = available[need]
        lacking = metric.required() - set(kwargs)
        if lacking:
            raise ConfigError(f"metric {name!r} needs {sorted(lacking)}, which evaluate() was not given.")
        per_step = metric.per_step and steps
        groupings = [([ID, "model", "h"], None), ([ID, "model"], 0)] if per_step else [([ID, "model"], 0)]
        for by, h in groupings:
            values = metric.fn(df, by, **kwargs).rename("value").reset_index()
            if h is not None:
                values["h"] = h
            values["metric"] = name
            parts.append(values)
    out = pd.concat(parts, ignore_index=True)
    out["h"] = out["h"].astype("int64")
    return out[[ID, "model", "metric", "h", "value"]].sort_values(
        ["metric", "model", ID, "h"], ignore_index=True
    )
