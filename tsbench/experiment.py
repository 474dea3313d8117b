"""Load an experiment file and check it against the model registry and the metrics, once.

:mod:`tsbench.config` validates the file's shape; this module adds what needs
the rest of tsbench: every model can be built with its parameters, every
fallback forecasts what the experiment asks of it, and every metric can be
scored as configured. :func:`resolve_experiment` returns those results
(forecasters, fallbacks, metric plans) so the runner uses them instead of
computing them again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tsbench.config import Experiment, ForecasterSpec, TradingSpec, validate_experiment
from tsbench.errors import ConfigError, PluginError, TsbenchError
from tsbench.forecasters.registry import make_forecaster
from tsbench.metrics.plan import MetricPlan, plan_metrics

__all__ = ["ResolvedExperiment", "load_experiment", "parse_experiment", "resolve_experiment", "metric_plans_of",
           "check_plugin_lookahead"]

log = logging.getLogger("tsbench")


@dataclass(frozen=True)
class ResolvedExperiment:
    """An experiment with what its checks built: one forecaster per spec, the fallbacks and the metric plans."""

    experiment: Experiment
    forecasters: list
    fallbacks: dict
    metric_plans: list[MetricPlan]


def load_experiment(path: str | Path, check_models: bool = True) -> Experiment:
    """Read and validate an experiment file; every problem is a :class:`ConfigError` naming the file."""
    return parse_experiment(_read_yaml(Path(path)), where=str(path), check_models=check_models)


def parse_experiment(raw: Any, where: str = "<experiment>", check_models: bool = True) -> Experiment:
    """Validate a parsed experiment mapping (see :func:`load_experiment`).

    With ``check_models`` (the default) every model, fallback and metric is also checked.
    """
    experiment = validate_experiment(raw, where)
    if check_models:
        resolve_experiment(experiment, where)
    return experiment


def resolve_experiment(experiment: Experiment, where: str = "<experiment>") -> ResolvedExperiment:
    """Build every forecaster and fallback and plan every metric, or raise a :class:`ConfigError` naming the key."""
    forecasters = [_make(spec, i, where) for i, spec in enumerate(experiment.forecasters)]
    fallbacks = {spec.name: _make_fallback(experiment, spec, i, where)
                 for i, spec in enumerate(experiment.forecasters) if spec.fallback is not None}
    _check_variance_quantiles(experiment, forecasters, where)
    try:
        plans = metric_plans_of(experiment)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return ResolvedExperiment(experiment, forecasters, fallbacks, plans)


def metric_plans_of(experiment: Experiment) -> list[MetricPlan]:
    """The metric plans of an experiment (see :func:`tsbench.metrics.plan.plan_metrics`)."""
    options = experiment.metric_params()
    return plan_metrics(
        [(name, options.get(name, {})) for name in experiment.metric_names()],
        targets=[spec.target for spec in experiment.data],
        quantiles=experiment.quantiles,
        horizon=experiment.backtest.horizon,
        score_on=experiment.score_on,
        standardised=experiment.backtest.scale == "standard",
        percentage_on_returns=experiment.percentage_on_returns,
        trading_options=lambda overrides: _trading_options(experiment.trading, overrides),
        forecaster_names=[spec.name for spec in experiment.forecasters],
    )


def check_plugin_lookahead(resolved: ResolvedExperiment) -> None:
    """Run the no-look-ahead check of :func:`tsbench.testing.check_forecaster` on every non-built-in model.

    It takes a fraction of a second for most models and catches a plugin
    whose ``predict_origins`` reads data past its cutoff, which the backtest
    itself could not notice. Skip it with ``tsbench run --no-plugin-check``.

    A forecaster that raises on the check's synthetic data is left to the
    run, where the error fails only its own cells, as any other.

    Raises
    ------
    PluginError
        Naming the forecaster and what the check saw.
    """
    from tsbench.forecasters.registry import available_models
    from tsbench.testing import check_no_lookahead

    builtins = {name for name, spec in available_models().items() if spec.origin == "builtin"}
    for spec, forecaster in zip(resolved.experiment.forecasters, resolved.forecasters):
        if spec.model in builtins:
            continue
        started = time.perf_counter()
        try:
            result = check_no_lookahead(forecaster, horizon=max(1, min(resolved.experiment.backtest.horizon, 5)),
                                        seed=resolved.experiment.seed)
        except Exception as exc:  # a plugin that fails on the check's data fails its own cells in the run
            log.warning("no-look-ahead check of %s could not run (%s: %s); its cells run and fail on their own",
                        spec.name, type(exc).__name__, exc)
            continue
        log.info("no-look-ahead check of %s: %s in %.2fs", spec.name, "passed" if result.passed else "failed",
                 time.perf_counter() - started)
        if not result.passed:
            raise PluginError(f"forecaster {spec.name!r} (model {spec.model!r}) failed the no-look-ahead check: "
                              f"{result.detail}. Fix the plugin (tsbench.testing.check_forecaster shows every "
                              "check), or skip this check with --no-plugin-check.")


def _read_yaml(path: Path) -> Any:
    if not path.exists():
        raise ConfigError(f"experiment file {str(path)!r} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the experiment "
                          "file as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def _make(spec: ForecasterSpec, i: int, where: str):
    try:
        return make_forecaster(spec.name, spec.model, spec.params)
    except TsbenchError as exc:
        key = "model" if isinstance(exc, PluginError) or "unknown model" in str(exc) else "params"
        raise ConfigError(f"{where}: forecasters.{i}.{key} ({spec.name}): {exc}") from None


def _make_fallback(experiment: Experiment, spec: ForecasterSpec, i: int, where: str):
    try:
        fallback = make_forecaster(spec.fallback, spec.fallback)
    except TsbenchError as exc:
        raise ConfigError(f"{where}: forecasters.{i}.fallback ({spec.name}): {exc}") from None
    if experiment.quantiles and not fallback.all_tags().get("quantiles"):
        raise ConfigError(
            f"{where}: forecasters.{i}.fallback ({spec.name}): fallback {spec.fallback!r} does not forecast "
            f"quantiles, which this experiment asks for ({experiment.quantiles}); pick one that does, e.g. 'naive'."
        )
    return fallback


def _check_variance_quantiles(experiment: Experiment, forecasters: list, where: str) -> None:
    """On a variance target, quantiles are of the return (the VaR): only variance models forecast those."""
    if not experiment.quantiles or all(spec.target != "variance" for spec in experiment.data):
        return
    for i, f in enumerate(forecasters):
        tags = f.all_tags()
        if tags.get("quantiles") and not tags.get("variance_model"):
            raise ConfigError(
                f"{where}: forecasters.{i} ({f.name}): on 'target: variance' the quantiles are of the return "
                "(the VaR), but this model would forecast quantiles of the variance proxy; wrap it as "
                "{model: log_variance, params: {model: ..., params: {...}}} or drop 'quantiles'."
            )


def _trading_options(defaults: TradingSpec, overrides: dict) -> dict:
    try:
        return TradingSpec.model_validate({**defaults.model_dump(), **overrides}).model_dump()
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
