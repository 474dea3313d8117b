"""Any model of ``statsforecast.models`` as a tsbench forecaster, fitted per series on arrays.

A model is fitted on each series' training array. At a later origin it
forecasts with the library's ``forward`` (the new history, the parameters of
the last fit), as tsbench's own ARIMA re-filters; at the training end it uses
``predict``. Quantiles come from the library's ``level`` intervals: the
quantile ``q`` is the lower bound of the ``100 (1 - 2q)`` % interval when
``q < 0.5``, the upper bound of the ``100 (2q - 1)`` % interval when
``q > 0.5``, and the point forecast at ``q = 0.5``.
"""

from __future__ import annotations

import contextlib
import inspect
import io
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from tsbench.forecasters.base import LocalForecaster
from tsbench.forecasters.external.common import (
    LibraryAdapter,
    import_library,
    library_class,
    make_adapter,
)

__all__ = ["StatsforecastForecaster", "model_classes", "adapter_for", "levels_for", "quantiles_from"]

LIBRARY = "statsforecast"


def model_classes() -> dict[str, type]:
    """Every forecasting class of ``statsforecast.models``, by name."""
    module = import_library(LIBRARY, "statsforecast.models")
    return {
        name: obj for name, obj in vars(module).items()
        if inspect.isclass(obj) and obj.__module__ == module.__name__ and not name.startswith("_")
        and all(callable(getattr(obj, m, None)) for m in ("fit", "predict", "forecast"))
    }


def adapter_for(name: str) -> type:
    """The forecaster class for ``statsforecast:<name>``; unknown names raise :class:`ConfigError`."""
    return StatsforecastForecaster.adapter_of(library_class(LIBRARY, name, model_classes()))


def levels_for(quantiles: Sequence[float]) -> list[float]:
    """The interval levels (in %) whose bounds are the given quantiles; none for the median."""
    levels = {round(abs(2 * q - 1) * 100, 10) for q in quantiles if q != 0.5}
    return sorted(int(v) if float(v).is_integer() else v for v in levels)


def quantiles_from(result: dict[str, Any], quantiles: Sequence[float]) -> np.ndarray:
    """The ``(horizon, len(quantiles))`` array of a library forecast dict with ``lo-*``/``hi-*`` keys."""
    columns = []
    for q in quantiles:
        if q == 0.5:
            columns.append(np.asarray(result["mean"], dtype=float))
            continue
        level = round(abs(2 * q - 1) * 100, 10)
        level = int(level) if float(level).is_integer() else level
        columns.append(np.asarray(result[f"{'lo' if q < 0.5 else 'hi'}-{level}"], dtype=float))
    return np.column_stack(columns)


def _native_intervals(cls: type) -> bool:
    """Whether the class forecasts intervals without ``prediction_intervals`` (conformal ones need them).

    Its ``predict`` taking ``level`` does not say it: several models raise unless
    conformal intervals were set up. So the class is tried once, with its
    defaults (1 where a parameter has none), on a short seeded series.
    """
    if "level" not in inspect.signature(cls.predict).parameters:
        return False
    params = {n: 1 for n, p in inspect.signature(cls).parameters.items()
              if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    y = 10.0 + np.cumsum(np.random.default_rng(0).normal(0.0, 0.1, 60))
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # some models print while fitting
            result = cls(**params).fit(y=y).predict(h=2, level=[80])
    except Exception:  # any failure of the probe: do not promise quantiles
        return False
    return "lo-80" in result and "hi-80" in result


class StatsforecastForecaster(LibraryAdapter, LocalForecaster):
    """A statsforecast model, fitted per series; forecasts at later origins with ``forward``.

    Made per model class by :func:`adapter_for`; its parameters are the model's
    own constructor parameters.
    """

    tags: ClassVar[dict[str, object]] = {"batch_origins": True}

    @staticmethod
    def adapter_of(cls: type) -> type:
        """The adapter class of statsforecast class ``cls``; native ``level`` intervals mean quantiles."""
        tags = {"quantiles": _native_intervals(cls), "global": False, "requires_timestamps": False,
                "batch_origins": True}
        return make_adapter(StatsforecastForecaster, LIBRARY, cls, tags)

    def _fit_one(self, y: np.ndarray) -> tuple[Any, np.ndarray]:
        return self.make_library_model().fit(y=y), y.copy()

    def _forecast(self, state: tuple[Any, np.ndarray], y: np.ndarray, horizon: int, levels: list) -> dict:
        model, train = state
        kwargs = {"level": levels} if levels else {}
        if len(y) == len(train) and np.array_equal(y, train):
            return model.predict(h=horizon, **kwargs)
        if callable(getattr(model, "forward", None)):
            return model.forward(y=y, h=horizon, **kwargs)
        return self.make_library_model().forecast(y=y, h=horizon, **kwargs)

    def _predict_one(self, state, y: np.ndarray, horizon: int) -> np.ndarray:
        return np.asarray(self._forecast(state, y, horizon, [])["mean"], dtype=float)

    def _predict_quantiles_one(self, state, y: np.ndarray, horizon: int, quantiles: tuple[float, ...]) -> np.ndarray:
        return quantiles_from(self._forecast(state, y, horizon, levels_for(quantiles)), quantiles)
