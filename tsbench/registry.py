"""Where forecasters come from: built-ins, the ``tsbench.forecasters`` entry points, dotted paths."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from tsbench.errors import ConfigError, PluginError

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "ModelSpec", "available_models", "resolve", "make_forecaster"]

ENTRY_POINT_GROUP = "tsbench.forecasters"

#: Registry name -> "module:Class"; modules are imported only when a model is used.
BUILTINS: dict[str, str] = {
    "naive": "tsbench.forecasters.baselines:Naive",
    "drift": "tsbench.forecasters.baselines:Drift",
    "seasonal_naive": "tsbench.forecasters.baselines:SeasonalNaive",
    "mean": "tsbench.forecasters.baselines:HistoricalMean",
    "moving_average": "tsbench.forecasters.baselines:MovingAverage",
    "prophet": "tsbench.forecasters.prophet:ProphetForecaster",
}


@dataclass(frozen=True)
class ModelSpec:
    """A model name, where it comes from (``builtin``, ``entry point``, ``dotted path``) and its target."""

    name: str
    origin: str
    target: str


def available_models() -> dict[str, ModelSpec]:
    """Every model name an experiment may use, built-ins first, then installed plugins."""
    models = {name: ModelSpec(name, "builtin", target) for name, target in BUILTINS.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in models:
            models[ep.name] = ModelSpec(ep.name, f"entry point ({ep.dist.name if ep.dist else '?'})", ep.value)
    return models


def resolve(model: str) -> type:
    """Import and return the forecaster class behind a registry name or ``module:Class`` path.

    Raises
    ------
    ConfigError
        If ``model`` is neither a known name nor a dotted path.
    PluginError
        If the target cannot be imported or is not a forecaster class.
    """
    models = available_models()
    if model in models:
        spec = models[model]
    elif ":" in model:
        spec = ModelSpec(model, "dotted path", model)
    else:
        raise ConfigError(
            f"unknown model {model!r}; expected one of {sorted(models)} "
            "or a dotted path 'package.module:ClassName'."
        )
    return _load(spec)


def _load(spec: ModelSpec) -> type:
    module_name, _, attr = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(
            f"model {spec.name!r} ({spec.origin}): cannot import module {module_name!r}: {exc}. "
            f"{_install_hint(exc)}"
        ) from exc
    try:
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError:
        raise PluginError(
            f"model {spec.name!r} ({spec.origin}): module {module_name!r} has no attribute {attr!r}."
        ) from None
    missing = [m for m in ("fit", "predict") if not callable(getattr(obj, m, None))]
    if not isinstance(obj, type) or missing:
        raise PluginError(
            f"model {spec.name!r} ({spec.origin}): {spec.target} is not a forecaster class"
            + (f"; it lacks {missing}" if missing else "")
            + ". A forecaster is a class with fit(train) and predict(context, horizon, quantiles)."
        )
    return obj


def _install_hint(exc: ImportError) -> str:
    hints = {
        "torch": "Install it with: pip install torch==2.13.0",
        "prophet": "Install it with: pip install 'tsbench[prophet]'",
        "lightgbm": "Install it with: pip install 'tsbench[lightgbm]'",
    }
    name = (getattr(exc, "name", None) or "").split(".")[0]
    return hints.get(name, "Is the package that provides it installed?")


def make_forecaster(alias: str, model: str, params: dict[str, Any] | None = None):
    """Create the forecaster ``model`` with ``params`` and give it the alias ``alias``.

    Parameter names are checked against the constructor before anything runs.
    """
    cls = resolve(model)
    params = dict(params or {})
    names = _param_names(cls)
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ConfigError(
            f"model {model!r} has no parameter(s) {unknown}; its parameters are "
            f"{names or 'none'}."
        )
    try:
        forecaster = cls(**params)
        check = getattr(forecaster, "check_params", None)
        if callable(check):
            check()
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model {model!r}: invalid parameters {params}: {exc}") from exc
    forecaster.name = alias
    return forecaster


def _param_names(cls: type) -> list[str]:
    getter = getattr(cls, "param_names", None)
    if callable(getter):
        return list(getter())
    import inspect

    sig = inspect.signature(cls.__init__)
    return [p for p in sig.parameters if p != "self"]
