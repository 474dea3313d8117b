"""The forecaster contract (fit on history, predict from a context) and its base classes."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from tsbench.covariates import Covariates
from tsbench.data.calendar import future_ds, infer_step
from tsbench.errors import DataError, NotFittedError
from tsbench.forecasters import covariate_arrays as cov
from tsbench.forecasters._checks import check_horizon
from tsbench.forecasters.frames import cutoffs_by_series, cutoffs_on_rows, finish_forecast
from tsbench.panel import DS, ID, Y, check_panel, quantile_columns, series_bounds

__all__ = ["Forecaster", "BaseForecaster", "LocalForecaster", "DEFAULT_TAGS", "clone"]

#: Capabilities a forecaster may declare; the runner reads these instead of checking types.
DEFAULT_TAGS: dict[str, object] = {
    "global": False,  # one model over all series of the panel
    "quantiles": False,  # predict(..., quantiles=...) is supported
    "batch_origins": False,  # predict_origins slices the history itself, in one pass
    "requires_timestamps": False,  # ds must be datetime-like
    "min_train_size": 2,  # fewest observations fit() accepts per series
    "reads_last": None,  # parameter holding how many trailing observations predict reads (None: any)
    "covariates": (),  # kinds of covariate the model reads: any of "past", "known", "static"
    "categorical_covariates": False,  # covariates holding integer category codes are understood as such
}


@runtime_checkable
class Forecaster(Protocol):
    """What the backtest engine needs of a forecaster. Nothing else is required."""

    name: str
    tags: Mapping[str, object]

    def fit(self, train: pd.DataFrame) -> Forecaster:
        """Estimate parameters from the history in ``train`` only."""

    def predict(
        self, context: pd.DataFrame, horizon: int, quantiles: Sequence[float] = ()
    ) -> pd.DataFrame:
        """Forecast ``horizon`` steps past the end of each series in ``context``."""


class BaseForecaster:
    """Base class that turns two private methods into the full contract.

    Subclasses store their keyword arguments unchanged in ``__init__`` (no logic,
    no ``**kwargs``) and implement ``_fit(train)`` and ``_predict(context,
    horizon, quantiles)``. ``_predict`` returns a frame with ``unique_id``, ``h``,
    ``y_pred`` and one ``q_<level>`` column per asked quantile; this class adds
    ``cutoff``, ``ds`` and ``model``, validates inputs and outputs, and guards
    against predicting before fitting. Fitted attributes end in ``_``.
    """

    tags: ClassVar[Mapping[str, object]] = DEFAULT_TAGS
    #: Default alias; the runner sets the experiment's alias on each instance.
    name: str = "forecaster"
    #: The covariate columns this instance reads (none unless :meth:`use_covariates` gave some).
    covariates: Covariates = Covariates()
    use_covariates = cov.use_covariates  # give this instance covariates to read (checked against its tags)

    # -- parameters -----------------------------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's keyword arguments."""
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Constructor parameters and their defaults."""
        sig = inspect.signature(cls.__init__)
        return {
            name: sig.parameters[name].default
            for name in cls.param_names()
            if sig.parameters[name].default is not inspect.Parameter.empty
        }

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments of this instance, read back from its attributes."""
        return {name: getattr(self, name) for name in self.param_names()}

    def check_params(self) -> None:
        """Raise ``ValueError`` for parameter values that cannot work (override as needed)."""

    @classmethod
    def all_tags(cls) -> dict[str, object]:
        """The class's tags, merged along its bases, with defaults filled in."""
        merged = dict(DEFAULT_TAGS)
        for klass in reversed(cls.__mro__):
            merged.update(dict(vars(klass).get("tags", {})))
        return merged

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- public contract -----------------------------------------------------------
    def fit(self, train: pd.DataFrame) -> BaseForecaster:
        """Estimate parameters from ``train`` (a long panel) and return ``self``."""
        train = self._check_frame(train, "training data")
        min_size = int(self.all_tags()["min_train_size"])
        ids, starts, ends = series_bounds(train)
        short = np.flatnonzero(ends - starts < min_size)
        if len(short):
            i = short[0]
            raise DataError(f"{type(self).__name__}: series '{ids[starts[i]]}' has {int(ends[i] - starts[i])} "
                            f"training observation(s); this forecaster needs at least {min_size}. "
                            "Use a longer history or fewer/earlier origins.")
        self._fit(train)
        self.is_fitted_ = True
        return self

    def predict(self, context: pd.DataFrame, horizon: int, quantiles: Sequence[float] = (),
                future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast ``horizon`` steps past the end of each series of ``context``.

        Returns a forecast frame: ``unique_id, cutoff, ds, h, model, y_pred`` and
        ``q_<level>`` columns when ``quantiles`` are given. ``future`` holds known
        covariates after the end of each series, for forecasters whose hooks
        read them.
        """
        context, horizon, quantiles = self._checked(context, horizon, quantiles, "context")
        raw = self._predict(context, horizon, quantiles, **self._future_kwargs(future))
        return self._finish(raw, context, horizon, quantiles)

    def predict_origins(
        self,
        history: pd.DataFrame,
        cutoffs: pd.DataFrame,
        horizon: int,
        quantiles: Sequence[float] = (),
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast from several cutoffs of each series with the current parameters.

        ``cutoffs`` has columns ``unique_id`` and ``cutoff``; the forecast made at a
        cutoff uses only the rows of ``history`` at or before it. Inputs are
        checked here once; :meth:`_predict_origins` does the work (by default one
        :meth:`_predict` per origin; models with the ``batch_origins`` tag
        override it with a single batched pass).
        """
        history, horizon, quantiles = self._checked(history, horizon, quantiles, "history")
        return self._predict_origins(history, cutoffs, horizon, quantiles, **self._future_kwargs(future))

    # -- for subclasses --------------------------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        raise NotImplementedError

    def _predict(
        self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...]
    ) -> pd.DataFrame:
        raise NotImplementedError

    def _predict_origins(
        self, history: pd.DataFrame, cutoffs: pd.DataFrame, horizon: int, quantiles: tuple[float, ...], **future
    ) -> pd.DataFrame:
        """One :meth:`_predict` per origin rank, on the history sliced at each series' cutoff."""
        ordered = cutoffs.sort_values([ID, "cutoff"])
        rank = ordered.groupby(ID, sort=False).cumcount()
        out = []
        for _, group in ordered.groupby(rank.to_numpy(), sort=True):
            lookup = dict(zip(group[ID], group["cutoff"]))
            ids = history[ID].map(lookup)
            keep = ids.notna().to_numpy() & (history[DS].to_numpy() <= cutoffs_on_rows(ids, history))
            context = history.loc[keep].reset_index(drop=True)
            ahead = cov.future_after(history, keep, future.get("future"), self.covariates, horizon)
            out.append(self._finish(self._predict(context, horizon, quantiles, **ahead), context, horizon, quantiles))
        return pd.concat(out, ignore_index=True)

    # -- helpers -----------------------------------------------------------------------
    def _checked(self, frame: pd.DataFrame, horizon: object, quantiles: Sequence[float],
                 what: str) -> tuple[pd.DataFrame, int, tuple[float, ...]]:
        """The one validation preamble of every predict path: fitted, horizon, quantiles, panel, timestamps."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        return self._check_frame(frame, what), horizon, quantiles

    def _check_frame(self, frame: pd.DataFrame, what: str) -> pd.DataFrame:
        """The checked panel of every fit and predict: its shape, its timestamps, the covariate columns read."""
        frame = check_panel(frame, what)
        self._check_timestamps(frame)
        if self.covariates:
            cov.check_covariate_columns(frame, self.covariates, what, type(self).__name__)
        return frame

    def _finish(self, raw: pd.DataFrame, context: pd.DataFrame, horizon: int,
                quantiles: tuple[float, ...]) -> pd.DataFrame:
        return finish_forecast(raw, context, horizon, quantiles, self.name, type(self).__name__)

    def _future_kwargs(self, future: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
        if future is None:
            if self.covariates.known:
                raise DataError(f"{type(self).__name__} reads known covariates {list(self.covariates.known)}: "
                                "pass their values after each series' last row in 'future' (unique_id, ds "
                                "and those columns).")
            return {}
        if "future" not in inspect.signature(self._predict).parameters:
            raise ValueError(f"{type(self).__name__} reads no known covariates, but 'future' values were given; "
                             "drop them or use a forecaster that takes known covariates (e.g. lightgbm).")
        return {"future": future}

    def _check_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(f"{type(self).__name__} '{self.name}' is not fitted: call fit(train) before predict().")

    def _check_quantiles(self, quantiles: Sequence[float]) -> tuple[float, ...]:
        levels = tuple(float(q) for q in quantiles)
        if levels and not self.all_tags()["quantiles"]:
            raise ValueError(f"{type(self).__name__} does not forecast quantiles (tag 'quantiles' is False); "
                             "remove 'quantiles' from the experiment or pick a model that supports them.")
        bad = [q for q in levels if not 0.0 < q < 1.0]
        if bad:
            raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {bad}.")
        return levels

    def _check_timestamps(self, panel: pd.DataFrame) -> None:
        if self.all_tags()["requires_timestamps"] and not pd.api.types.is_datetime64_any_dtype(panel[DS]):
            raise DataError(f"{type(self).__name__} needs timestamps in 'ds', got dtype {panel[DS].dtype}.")

class LocalForecaster(BaseForecaster):
    """Base class for models fitted to each series on its own.

    Authors implement ``_fit_one(y)`` returning the fitted state of one series
    (any object) and ``_predict_one(state, y, horizon)`` returning an array of
    ``horizon`` point forecasts, where ``y`` is the series' history as a float
    array. Models that forecast quantiles also implement
    ``_predict_quantiles_one(state, y, horizon, quantiles)`` returning an array of
    shape ``(horizon, len(quantiles))``. A model that forecasts many origins of one
    series at once overrides ``_predict_many``; the backtest engine calls
    :meth:`fit_series` and :meth:`predict_series` on arrays when :meth:`takes_arrays`.

    A model that reads covariates declares the kinds in its ``covariates`` tag
    and gives its hooks the keyword arguments ``X`` (``_fit_one(y, X)``) and
    ``X``, ``X_future`` (``_predict_one(state, y, horizon, X, X_future)`` and
    ``_predict_quantiles_one``): ``X`` is ``(len(y), C)``, row for row with ``y``,
    and ``X_future`` ``(horizon, C)``, in the column order and with the meaning
    given in :mod:`tsbench.covariates`. They are passed only when the forecaster
    was given covariates.
    """

    tags: ClassVar[Mapping[str, object]] = {"batch_origins": True}

    def _fit_one(self, y: np.ndarray) -> object:
        return None

    def _predict_one(self, state: object, y: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _predict_quantiles_one(self, state: object, y: np.ndarray, horizon: int,
                               quantiles: tuple[float, ...]) -> np.ndarray:
        raise NotImplementedError

    def _predict_many(self, states: Sequence[object], y: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      horizon: int, quantiles: tuple[float, ...], X: np.ndarray | None = None,
                      X_future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Points ``(n, horizon)``, quantiles ``(n, horizon, Q)`` or None: origin ``i`` reads ``y[starts[i]:ends[i]]``.

        With covariates, ``X`` is ``(len(y), C)`` and ``X_future`` ``(n, horizon, C)``.
        """
        points, qs = [], []
        for i, (state, s, e) in enumerate(zip(states, starts, ends)):
            extra = {} if X is None else {"X": X[s:e], "X_future": X_future[i]}
            points.append(self._point_one(state, y[s:e], horizon, **extra))
            if quantiles:
                qs.append(np.asarray(self._predict_quantiles_one(state, y[s:e], horizon, quantiles, **extra),
                                     dtype=float))
        return np.stack(points), (np.stack(qs) if quantiles else None)

    # -- the array path ----------------------------------------------------------------
    @classmethod
    def takes_arrays(cls) -> bool:
        """True when fit and predict are the per-series hooks (no panel-level override)."""
        return all(getattr(cls, m) is getattr(LocalForecaster, m) for m in ("_fit", "_predict", "_predict_origins"))

    def fit_series(self, y: np.ndarray, windows: Sequence[slice], X: np.ndarray | None = None) -> list[object]:
        """The fitted state of one series for each training window ``y[window]`` (lengths are checked).

        ``X`` holds the series' covariates row for row (see :mod:`tsbench.covariates`).
        """
        min_size = int(self.all_tags()["min_train_size"])
        if (short := min(w.stop - (w.start or 0) for w in windows)) < min_size:
            raise DataError(f"{type(self).__name__}: a series has {short} training observation(s); this "
                            f"forecaster needs at least {min_size}. Use a longer history or fewer/earlier origins.")
        if self._reads_covariates(X):
            return [self._fit_one(y[w], X=X[w]) for w in windows]
        return [self._fit_one(y[w]) for w in windows]

    def predict_series(self, states: Sequence[object], y: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                       horizon: int, quantiles: tuple[float, ...] = (), X: np.ndarray | None = None,
                       X_future: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts ``(n, horizon)`` and quantiles ``(n, horizon, Q)`` of one series from each context
        ``y[starts[i]:ends[i]]`` with fitted state ``states[i]``; ``X`` and ``X_future`` as for :meth:`_predict_many`."""
        extra = {"X": X, "X_future": X_future} if self._reads_covariates(X) else {}
        point, qs = self._predict_many(states, y, starts, ends, horizon, quantiles, **extra)
        point = np.asarray(point, dtype=float)
        if point.shape != (len(ends), horizon):
            raise ValueError(f"{type(self).__name__} returned point forecasts of shape {point.shape}; "
                             f"expected ({len(ends)}, {horizon}).")
        if not quantiles:
            return point, np.empty((len(ends), horizon, 0))
        return point, np.asarray(qs, dtype=float).reshape(len(ends), horizon, len(quantiles))

    def _reads_covariates(self, X: np.ndarray | None) -> bool:
        return X is not None and bool(self.covariates) and X.shape[1] > 0

    # -- the panel contract on top of the hooks ---------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        ids, starts, ends = series_bounds(train)
        y = train[Y].to_numpy(dtype=float)
        X = cov.covariate_matrix(train, self.covariates) if self.covariates else None
        self.states_ = {ids[s]: self.fit_series(y[s:e], [slice(0, e - s)], None if X is None else X[s:e])[0]
                        for s, e in zip(starts, ends)}

    def _state(self, uid: object) -> object:
        try:
            return self.states_[uid]
        except KeyError:
            raise DataError(
                f"{type(self).__name__} was not fitted on series '{uid}' (fitted on "
                f"{list(self.states_)[:5]}...); local models predict only series seen in fit."
            ) from None

    def _point_one(self, state, y, horizon, **covariates) -> np.ndarray:
        point = np.asarray(self._predict_one(state, y, horizon, **covariates), dtype=float).reshape(-1)
        if point.shape != (horizon,):
            raise ValueError(
                f"{type(self).__name__}._predict_one returned shape {point.shape}; expected ({horizon},)."
            )
        return point

    def _predict(self, context, horizon, quantiles, future=None):
        return self._forecast_at(context, None, horizon, quantiles, frame=False, future=future)

    def _predict_origins(self, history, cutoffs, horizon, quantiles, future=None):
        return self._forecast_at(history, cutoffs, horizon, quantiles, frame=True, future=future)

    def _forecast_at(self, history, cutoffs, horizon, quantiles, frame, future=None):
        """Forecast at the cutoffs of each series (at its last row when ``cutoffs`` is None)."""
        wanted = None if cutoffs is None else cutoffs_by_series(cutoffs)
        ids, starts, ends = series_bounds(history)
        y_all, ds_all = history[Y].to_numpy(dtype=float), history[DS].to_numpy()
        X_all = cov.covariate_matrix(history, self.covariates) if self.covariates else None
        after = cov.future_by_series(future, self.covariates, type(self).__name__)
        uids, points, qs, cuts, dates = [], [], [], [], []
        for s, e in zip(starts, ends):
            if wanted is not None and ids[s] not in wanted:
                continue
            y, ds = y_all[s:e], ds_all[s:e]
            stops = np.array([len(y)]) if wanted is None else np.searchsorted(ds, wanted[ids[s]], side="right")
            X = X_future = None
            if X_all is not None:
                X = X_all[s:e]
                X_future = cov.horizon_matrices(X, stops - 1, horizon, self.covariates, after.get(ids[s]),
                                                where=f"series '{ids[s]}'")
            point, q = self.predict_series([self._state(ids[s])] * len(stops), y, np.zeros_like(stops), stops,
                                           horizon, quantiles, X=X, X_future=X_future)
            uids.append(np.repeat(np.asarray([ids[s]], dtype=object), point.size))
            points.append(point.reshape(-1))
            qs.append(q.reshape(point.size, len(quantiles)))
            if frame:
                step = infer_step(ds)
                cuts.append(np.repeat(ds[stops - 1], horizon))
                dates.extend(future_ds(c, horizon, step) for c in ds[stops - 1])
        uid = np.concatenate(uids)
        out = {ID: uid, "h": np.tile(np.arange(1, horizon + 1), len(uid) // horizon)}
        if frame:
            out = {ID: uid, "cutoff": np.concatenate(cuts), DS: np.concatenate(dates), "h": out["h"],
                   "model": self.name}
        out["y_pred"] = np.concatenate(points)
        q = np.concatenate(qs)
        out.update({c: q[:, j] for j, c in enumerate(quantile_columns(quantiles))})
        return pd.DataFrame(out)


def clone(forecaster: BaseForecaster, **params) -> BaseForecaster:
    """A new, unfitted forecaster with the same parameters (those in ``params`` replaced), alias and covariates."""
    kept = {k: copy.deepcopy(v) for k, v in forecaster.get_params().items() if k not in params}
    new = type(forecaster)(**kept, **params)
    new.name = forecaster.name
    if "covariates" in vars(forecaster):  # the covariates it was given travel with it
        new.covariates = forecaster.covariates
    return new
