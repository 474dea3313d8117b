"""Any Darts forecasting model as a tsbench forecaster: global models fitted once, local ones per series.

tsbench's engine decides when to fit and where the origins are; Darts'
``historical_forecasts`` is not used. Each series becomes a float64
``TimeSeries`` on an integer index (its positions), so no model needs a
regular calendar. A global model (Darts' ``GlobalForecastingModel``: the
neural and regression models) is fitted on every training series and
forecasts each origin from the series up to it with the trained weights
(``predict(n, series=...)``). A local model is fitted per series; at a later
origin it forecasts from the new history with the fitted parameters where
Darts allows it (``predict(n, series=...)`` of the ARIMA family) and after a
fit on that history otherwise. Quantiles of a probabilistic local model come
from 500 sampled paths.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsbench.forecasters.base import BaseForecaster, LocalForecaster
from tsbench.forecasters.external.common import (
    LibraryAdapter,
    import_library,
    library_class,
    library_parameters,
    make_adapter,
)
from tsbench.panel import ID, Y, quantile_columns, series_bounds

__all__ = ["DartsGlobalForecaster", "DartsLocalForecaster", "adapter_for", "model_classes", "SAMPLES"]

LIBRARY = "darts"
#: Sampled paths behind the quantiles of a probabilistic local model.
SAMPLES = 500
#: Keeps a torch model's training quiet and on the CPU unless the experiment says otherwise.
QUIET_TRAINER = {"enable_progress_bar": False, "enable_model_summary": False, "logger": False,
                 "enable_checkpointing": False, "accelerator": "cpu"}


def _kinds() -> tuple[type, type, type, type]:
    base = import_library(LIBRARY, "darts.models.forecasting.forecasting_model")
    torch_base = import_library(LIBRARY, "darts.models.forecasting.torch_forecasting_model")
    return (base.ForecastingModel, base.GlobalForecastingModel,
            base.TransferableFutureCovariatesLocalForecastingModel, torch_base.TorchForecastingModel)


def model_classes() -> dict[str, type]:
    """Every forecasting model class of ``darts.models`` that can be imported here, by name."""
    module = import_library(LIBRARY, "darts.models")
    forecasting = _kinds()[0]
    out = {}
    for name in dir(module):
        try:
            obj = getattr(module, name)
        except Exception:  # a model whose optional dependency is missing
            continue
        if inspect.isclass(obj) and issubclass(obj, forecasting) and not inspect.isabstract(obj):
            out[name] = obj
    return out


def adapter_for(name: str) -> type:
    """The forecaster class for ``darts:<name>``; unknown names raise :class:`ConfigError`."""
    cls = library_class(LIBRARY, name, model_classes())
    _, global_model, _, _ = _kinds()
    base = DartsGlobalForecaster if issubclass(cls, global_model) else DartsLocalForecaster
    return base.adapter_of(cls)


def _params(cls: type) -> dict[str, inspect.Parameter]:
    """The class's parameters; a torch model's ``**kwargs`` (epochs, batch size, seed...) are named too."""
    params = library_parameters(cls, f"{LIBRARY}:{cls.__name__}")
    torch_model = _kinds()[3]
    if issubclass(cls, torch_model):
        for name, p in library_parameters(torch_model.__init__, f"{LIBRARY}:{cls.__name__}").items():
            params.setdefault(name, p)
    return params


def _probabilistic(cls: type) -> bool:
    """Whether a local model samples paths with its defaults (a torch model only with a likelihood: no)."""
    if issubclass(cls, _kinds()[3]):
        return False
    try:
        return bool(cls().supports_probabilistic_prediction)
    except Exception:  # required parameters: do not promise quantiles
        return False


def _series(y: np.ndarray):
    from darts import TimeSeries

    return TimeSeries.from_values(np.asarray(y, dtype=np.float64))


class _DartsMixin:
    """Building a Darts model with quiet training, and reading forecasts back as arrays."""

    def library_kwargs(self) -> dict[str, Any]:
        kwargs = self.get_params()
        if "pl_trainer_kwargs" in kwargs and kwargs["pl_trainer_kwargs"] is None:
            kwargs["pl_trainer_kwargs"] = dict(QUIET_TRAINER)
        return kwargs

    @staticmethod
    def values(forecast) -> np.ndarray:
        return np.asarray(forecast.all_values(copy=False), dtype=float)[:, 0, :]  # (horizon, samples)


class DartsLocalForecaster(_DartsMixin, LibraryAdapter, LocalForecaster):
    """A local Darts model, fitted per series; later origins with fixed parameters where Darts allows it."""

    tags: ClassVar[dict[str, object]] = {"batch_origins": True}

    @staticmethod
    def adapter_of(cls: type) -> type:
        """The adapter class of a local Darts model."""
        tags = {"quantiles": _probabilistic(cls), "global": False, "requires_timestamps": False,
                "batch_origins": True, "transferable": issubclass(cls, _kinds()[2])}
        return make_adapter(DartsLocalForecaster, LIBRARY, cls, tags, _params(cls))

    def _fit_one(self, y: np.ndarray) -> tuple[Any, np.ndarray]:
        model = self.make_library_model()
        model.fit(_series(y))
        return model, y.copy()

    def _forecast(self, state, y: np.ndarray, horizon: int, samples: int) -> np.ndarray:
        model, train = state
        if len(y) == len(train) and np.array_equal(y, train):
            return self.values(model.predict(horizon, num_samples=samples))
        if self.all_tags()["transferable"]:
            return self.values(model.predict(horizon, series=_series(y), num_samples=samples))
        fresh = self.make_library_model()
        fresh.fit(_series(y))
        return self.values(fresh.predict(horizon, num_samples=samples))

    def _predict_one(self, state, y: np.ndarray, horizon: int) -> np.ndarray:
        return self._forecast(state, y, horizon, 1)[:, 0]

    def _predict_quantiles_one(self, state, y: np.ndarray, horizon: int, quantiles: tuple[float, ...]) -> np.ndarray:
        paths = self._forecast(state, y, horizon, SAMPLES)
        return np.quantile(paths, quantiles, axis=1).T


class DartsGlobalForecaster(_DartsMixin, LibraryAdapter, BaseForecaster):
    """A global Darts model, fitted once on every training series; forecasts any origin with its weights."""

    tags: ClassVar[dict[str, object]] = {"global": True}

    @staticmethod
    def adapter_of(cls: type) -> type:
        """The adapter class of a global Darts model."""
        params = _params(cls)
        needed = int(params["input_chunk_length"].default) if "input_chunk_length" in params and isinstance(
            params["input_chunk_length"].default, int) else 2
        tags = {"quantiles": False, "global": True, "requires_timestamps": False, "batch_origins": False,
                "min_train_size": max(2, needed + 1)}
        return make_adapter(DartsGlobalForecaster, LIBRARY, cls, tags, params)

    def _fit(self, train: pd.DataFrame) -> None:
        ids, starts, ends = series_bounds(train)
        y = train[Y].to_numpy(dtype=float)
        self.model_ = self.make_library_model()
        series = [_series(y[s:e]) for s, e in zip(starts, ends)]
        fit = self.model_.fit
        kwargs = {"verbose": False} if "verbose" in inspect.signature(fit).parameters else {}
        fit(series if len(series) > 1 else series[0], **kwargs)

    def _predict(self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...]) -> pd.DataFrame:
        ids, starts, ends = series_bounds(context)
        y = context[Y].to_numpy(dtype=float)
        series = [_series(y[s:e]) for s, e in zip(starts, ends)]
        predict = self.model_.predict
        kwargs = {"verbose": False} if "verbose" in inspect.signature(predict).parameters else {}
        forecasts = predict(horizon, series=series, **kwargs)
        point = np.concatenate([self.values(f)[:, 0] for f in forecasts])
        out = pd.DataFrame({ID: np.repeat(ids[starts], horizon), "h": np.tile(np.arange(1, horizon + 1), len(starts)),
                            "y_pred": point})
        for col in quantile_columns(quantiles):  # never asked: the tag says no quantiles
            out[col] = np.nan
        return out
