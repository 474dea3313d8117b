"""tsbench: fair, reproducible backtests of forecasting models on financial time series.

The public names below are imported lazily, so ``import tsbench`` stays fast and
pulls in neither torch nor prophet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "Forecaster": "tsbench.forecasters.base",
    "BaseForecaster": "tsbench.forecasters.base",
    "LocalForecaster": "tsbench.forecasters.base",
    "clone": "tsbench.forecasters.base",
    "Experiment": "tsbench.config",
    "load_experiment": "tsbench.experiment",
    "parse_experiment": "tsbench.experiment",
    "run_experiment": "tsbench.runner",
    "RunResult": "tsbench.runner",
    "make_forecaster": "tsbench.forecasters.registry",
    "available_models": "tsbench.forecasters.registry",
    "check_forecaster": "tsbench.testing",
    "evaluate": "tsbench.metrics.evaluation",
    "load_panel": "tsbench.data.loader",
    "TsbenchError": "tsbench.errors",
    "ConfigError": "tsbench.errors",
    "DataError": "tsbench.errors",
    "PluginError": "tsbench.errors",
    "NotFittedError": "tsbench.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover
    from tsbench.config import Experiment
    from tsbench.experiment import load_experiment, parse_experiment
    from tsbench.data.loader import load_panel
    from tsbench.errors import ConfigError, DataError, NotFittedError, PluginError, TsbenchError
    from tsbench.forecasters.base import BaseForecaster, Forecaster, LocalForecaster, clone
    from tsbench.metrics.evaluation import evaluate
    from tsbench.forecasters.registry import available_models, make_forecaster
    from tsbench.runner import RunResult, run_experiment
    from tsbench.testing import check_forecaster


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tsbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
