"""Any sktime forecaster as a tsbench forecaster, by its registry name or its class path.

Each series is a ``pandas.Series`` on an integer index (its positions), so no
forecaster needs a regular calendar. The forecaster is fitted per series; a
later origin is forecast after ``update(y_new, update_params=False)`` (new
data, the parameters of the last fit) when the estimator's
``capability:update`` tag says it can, and after a fit on the context
otherwise. Quantiles come from ``predict_quantiles`` when the
``capability:pred_int`` tag is set.
"""

from __future__ import annotations

import copy
import functools
import warnings
from typing import Any, ClassVar

import numpy as np

from tsbench.errors import ConfigError
from tsbench.forecasters.base import LocalForecaster
from tsbench.forecasters.external.common import (
    LibraryAdapter,
    import_library,
    library_class,
    make_adapter,
)

__all__ = ["SktimeForecaster", "adapter_for", "model_classes", "sktime_class"]

LIBRARY = "sktime"


@functools.lru_cache(maxsize=1)
def model_classes() -> dict[str, type]:
    """Every forecaster in sktime's registry, by name (importing them takes a few seconds)."""
    registry = import_library(LIBRARY, "sktime.registry")
    return dict(registry.all_estimators("forecaster", return_names=True))


def sktime_class(name: str) -> type:
    """The sktime class behind a registry name (``ThetaForecaster``) or a class path (``sktime.forecasting.theta.ThetaForecaster``)."""
    import_library(LIBRARY)
    if "." not in name:
        return library_class(LIBRARY, name, model_classes())
    module, _, attr = name.rpartition(".")
    try:
        cls = getattr(import_library(LIBRARY, module), attr)
    except AttributeError as exc:
        raise ConfigError(f"sktime class path {name!r} does not name a class: {exc}") from exc
    forecaster = import_library(LIBRARY, "sktime.forecasting.base").BaseForecaster
    if not (isinstance(cls, type) and issubclass(cls, forecaster)):
        raise ConfigError(f"sktime class path {name!r} names {cls!r}, which is not an sktime forecaster.")
    return cls


def adapter_for(name: str) -> type:
    """The forecaster class for ``sktime:<name>``; unknown names raise :class:`ConfigError`."""
    return SktimeForecaster.adapter_of(sktime_class(name))


class _Fitted:
    """One series' fitted estimator, and a copy advanced to later data with ``update``."""

    def __init__(self, estimator: Any, y: np.ndarray) -> None:
        self.estimator, self.y = estimator, y
        self.current, self.n_current, self.seen = None, 0, y
        self.updates = True  # False once ``update`` turned out to ignore new data
        self.checked = False  # whether the first update was seen to use its data


def _ignored_new_data(fitted: Any, updated: Any, n_fit: int, n_now: int, horizon: int) -> bool:
    """Whether ``updated`` forecasts what ``fitted`` forecast for the same dates: the new rows changed nothing.

    Several estimators (e.g. pmdarima's ARIMA) only move their cutoff under
    ``update(update_params=False)`` and keep forecasting from the end of the fit
    (whatever the new cutoff says).
    """
    def forecast(model: Any, start: int) -> np.ndarray:
        return np.asarray(model.predict(fh=list(range(start, start + horizon))), dtype=float).reshape(-1)

    after = forecast(updated, 1)
    # stale either way: the old forecasts for the same dates, or the old forecasts from the old end
    return any(np.allclose(forecast(fitted, start), after, rtol=0.0, atol=1e-12) for start in (n_now - n_fit + 1, 1))


def _series(y: np.ndarray, start: int = 0):
    import pandas as pd

    return pd.Series(y, index=pd.RangeIndex(start, start + len(y)))


class SktimeForecaster(LibraryAdapter, LocalForecaster):
    """An sktime forecaster, fitted per series; later origins through ``update`` without refitting.

    Made per class by :func:`adapter_for`; its parameters are the class's own
    constructor parameters.
    """

    tags: ClassVar[dict[str, object]] = {"batch_origins": True}

    @staticmethod
    def adapter_of(cls: type) -> type:
        """The adapter class of ``cls``, its tags read from sktime's (those of its defaults where it has them)."""
        try:
            tags = cls().get_tags()  # some tags depend on parameters, e.g. a trend model's regressor
        except Exception:  # a class with required parameters: its class tags
            tags = cls.get_class_tags()
        ours = {"quantiles": bool(tags.get("capability:pred_int", False)), "global": False,
                "requires_timestamps": False, "batch_origins": True,
                "updates": bool(tags.get("capability:update", False)),
                "fh_in_fit": bool(tags.get("requires-fh-in-fit", False))}
        return make_adapter(SktimeForecaster, LIBRARY, cls, ours)

    def make_library_model(self) -> Any:
        """The sktime estimator, keeping the data it sees so that ``update`` can extend it."""
        estimator = super().make_library_model()
        try:
            estimator.set_config(remember_data=True)
        except Exception:  # older sktime without this configuration key: it remembers data anyway
            pass
        return estimator

    def _fit_one(self, y: np.ndarray) -> _Fitted:
        if self.all_tags()["fh_in_fit"]:
            return _Fitted(None, y.copy())  # fitted at the first predict, once the horizon is known
        return _Fitted(self.make_library_model().fit(_series(y)), y.copy())

    def _at(self, state: _Fitted, y: np.ndarray, horizon: int) -> Any:
        """An estimator whose cutoff is the end of ``y``, with the parameters of the fit when it can."""
        n = len(state.y)
        fh = list(range(1, horizon + 1))
        if state.estimator is None:
            state.estimator = self.make_library_model().fit(_series(state.y), fh=fh)
        if len(y) == n and np.array_equal(y, state.y):
            return state.estimator
        if not (self.all_tags()["updates"] and state.updates and len(y) > n and np.array_equal(y[:n], state.y)):
            return self.make_library_model().fit(_series(y), fh=fh)
        current = state.current
        if current is None or len(y) < state.n_current or not np.array_equal(y[: state.n_current], state.seen):
            current, state.n_current, state.seen = copy.deepcopy(state.estimator), n, state.y
        if len(y) > state.n_current:  # origins come in order: each update adds only the new rows
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                current.update(_series(y[state.n_current:], state.n_current), update_params=False)
            if any("can not accept new data" in str(w.message) for w in caught) or (
                not state.checked and _ignored_new_data(state.estimator, current, n, len(y), horizon)
            ):
                state.updates = False  # the tag promised more than this estimator does: refit instead
                return self.make_library_model().fit(_series(y), fh=fh)
            state.checked = True
            state.n_current, state.seen = len(y), y.copy()
        state.current = current
        return current

    def _predict_one(self, state: _Fitted, y: np.ndarray, horizon: int) -> np.ndarray:
        fh = list(range(1, horizon + 1))
        return np.asarray(self._at(state, y, horizon).predict(fh=fh), dtype=float).reshape(-1)

    def _predict_quantiles_one(self, state: _Fitted, y: np.ndarray, horizon: int, quantiles: tuple[float, ...]) -> np.ndarray:
        fh = list(range(1, horizon + 1))
        table = self._at(state, y, horizon).predict_quantiles(fh=fh, alpha=list(quantiles))
        return np.asarray(table.to_numpy(), dtype=float).reshape(horizon, len(quantiles))
