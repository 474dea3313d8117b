"""The forecaster contract (fit on history, predict from a context) and its base classes."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from tsbench.data.calendar import future_ds, infer_step
from tsbench.errors import DataError, NotFittedError
from tsbench.forecasters._checks import check_horizon
from tsbench.panel import DS, ID, Y, check_panel, iter_series, quantile_columns, series_bounds

__all__ = ["Forecaster", "BaseForecaster", "LocalForecaster", "DEFAULT_TAGS", "clone"]

#: Capabilities a forecaster may declare; the runner reads these instead of checking types.
DEFAULT_TAGS: dict[str, object] = {
    "global": False,  # one model over all series of the panel
    "quantiles": False,  # predict(..., quantiles=...) is supported
    "batch_origins": False,  # predict_origins slices the history itself, in one pass
    "requires_timestamps": False,  # ds must be datetime-like
    "min_train_size": 2,  # fewest observations fit() accepts per series
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
        train = check_panel(train, "training data")
        self._check_timestamps(train)
        min_size = int(self.all_tags()["min_train_size"])
        ids, starts, ends = series_bounds(train)
        short = np.flatnonzero(ends - starts < min_size)
        if len(short):
            i = short[0]
            raise DataError(
                f"{type(self).__name__}: series '{ids[starts[i]]}' has {int(ends[i] - starts[i])} "
                f"training observation(s); this forecaster needs at least {min_size}. "
                "Use a longer history or fewer/earlier origins."
            )
        self._fit(train)
        self.is_fitted_ = True
        return self

    def predict(
        self,
        context: pd.DataFrame,
        horizon: int,
        quantiles: Sequence[float] = (),
        future: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
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
            keep = ids.notna().to_numpy() & (history[DS].to_numpy() <= _as_array(ids, history))
            context = history.loc[keep].reset_index(drop=True)
            out.append(self._finish(self._predict(context, horizon, quantiles, **future), context, horizon, quantiles))
        return pd.concat(out, ignore_index=True)

    # -- helpers -----------------------------------------------------------------------
    def _checked(
        self, frame: pd.DataFrame, horizon: object, quantiles: Sequence[float], what: str
    ) -> tuple[pd.DataFrame, int, tuple[float, ...]]:
        """The one validation preamble of every predict path: fitted, horizon, quantiles, panel, timestamps."""
        self._check_fitted()
        horizon = check_horizon(horizon)
        quantiles = self._check_quantiles(quantiles)
        frame = check_panel(frame, what)
        self._check_timestamps(frame)
        return frame, horizon, quantiles

    def _future_kwargs(self, future: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
        if future is None:
            return {}
        if "future" not in inspect.signature(self._predict).parameters:
            raise ValueError(
                f"{type(self).__name__} reads no known covariates, but 'future' values were given; "
                "drop them or use a forecaster that takes known covariates (e.g. lightgbm)."
            )
        return {"future": future}

    def _check_fitted(self) -> None:
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError(
                f"{type(self).__name__} '{self.name}' is not fitted: call fit(train) before predict()."
            )

    def _check_quantiles(self, quantiles: Sequence[float]) -> tuple[float, ...]:
        levels = tuple(float(q) for q in quantiles)
        if levels and not self.all_tags()["quantiles"]:
            raise ValueError(
                f"{type(self).__name__} does not forecast quantiles (tag 'quantiles' is False); "
                "remove 'quantiles' from the experiment or pick a model that supports them."
            )
        bad = [q for q in levels if not 0.0 < q < 1.0]
        if bad:
            raise ValueError(f"quantile levels must lie strictly between 0 and 1, got {bad}.")
        return levels

    def _check_timestamps(self, panel: pd.DataFrame) -> None:
        if self.all_tags()["requires_timestamps"] and not pd.api.types.is_datetime64_any_dtype(
            panel[DS]
        ):
            raise DataError(
                f"{type(self).__name__} needs timestamps in 'ds', got dtype {panel[DS].dtype}."
            )

    def _finish(
        self,
        raw: pd.DataFrame,
        context: pd.DataFrame,
        horizon: int,
        quantiles: tuple[float, ...],
    ) -> pd.DataFrame:
        qcols = quantile_columns(quantiles)
        needed = [ID, "h", "y_pred", *qcols]
        missing = [c for c in needed if c not in raw.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}._predict returned columns {list(raw.columns)}; "
                f"missing {missing}."
            )
        raw = raw[needed].sort_values([ID, "h"], kind="stable").reset_index(drop=True)
        last = context.groupby(ID, sort=False)[DS].last()
        n_ids = context[ID].nunique()
        if len(raw) != n_ids * horizon:
            raise ValueError(
                f"{type(self).__name__}._predict returned {len(raw)} rows; expected "
                f"{n_ids} series x horizon {horizon} = {n_ids * horizon}."
            )
        steps = {uid: infer_step(g[DS]) for uid, g in iter_series(context)}
        ds = np.concatenate(
            [future_ds(last[uid], horizon, steps[uid]) for uid in raw[ID].unique()]
        )
        out = pd.DataFrame(
            {
                ID: raw[ID].to_numpy(),
                "cutoff": raw[ID].map(last).to_numpy(),
                DS: ds,
                "h": raw["h"].astype("int64").to_numpy(),
                "model": self.name,
                "y_pred": raw["y_pred"].astype("float64").to_numpy(),
            }
        )
        for col in qcols:
            out[col] = raw[col].astype("float64").to_numpy()
        return out


class LocalForecaster(BaseForecaster):
    """Base class for models fitted to each series on its own.

    Authors implement ``_fit_one(y)`` returning the fitted state of one series
    (any object) and ``_predict_one(state, y, horizon)`` returning an array of
    ``horizon`` point forecasts, where ``y`` is the series' history as a float
    array. Models that forecast quantiles also implement
    ``_predict_quantiles_one(state, y, horizon, quantiles)`` returning an array of
    shape ``(horizon, len(quantiles))``.
    """

    tags: ClassVar[Mapping[str, object]] = {"batch_origins": True}

    def _fit_one(self, y: np.ndarray) -> object:
        return None

    def _predict_one(self, state: object, y: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _predict_quantiles_one(
        self, state: object, y: np.ndarray, horizon: int, quantiles: tuple[float, ...]
    ) -> np.ndarray:
        raise NotImplementedError

    def _fit(self, train: pd.DataFrame) -> None:
        ids, starts, ends = series_bounds(train)
        y = train[Y].to_numpy(dtype=float)
        self.states_ = {ids[s]: self._fit_one(y[s:e]) for s, e in zip(starts, ends)}

    def _state(self, uid: object) -> object:
        try:
            return self.states_[uid]
        except KeyError:
            raise DataError(
                f"{type(self).__name__} was not fitted on series '{uid}' (fitted on "
                f"{list(self.states_)[:5]}...); local models predict only series seen in fit."
            ) from None

    def _one(self, uid, y, horizon, quantiles) -> dict[str, np.ndarray]:
        state = self._state(uid)
        point = np.asarray(self._predict_one(state, y, horizon), dtype=float).reshape(-1)
        if point.shape != (horizon,):
            raise ValueError(
                f"{type(self).__name__}._predict_one returned shape {point.shape}; expected ({horizon},)."
            )
        cols = {ID: np.repeat(np.asarray([uid], dtype=object), horizon), "h": np.arange(1, horizon + 1), "y_pred": point}
        if quantiles:
            qs = np.asarray(self._predict_quantiles_one(state, y, horizon, quantiles), dtype=float)
            for col, values in zip(quantile_columns(quantiles), qs.T):
                cols[col] = values
        return cols

    def _predict(self, context, horizon, quantiles):
        ids, starts, ends = series_bounds(context)
        y = context[Y].to_numpy(dtype=float)
        return _stack([self._one(ids[s], y[s:e], horizon, quantiles) for s, e in zip(starts, ends)])

    def _predict_origins(self, history, cutoffs, horizon, quantiles):
        """Forecast at many cutoffs per series, slicing each series' array in place."""
        wanted = _cutoffs_by_series(cutoffs)
        ids, starts, ends = series_bounds(history)
        y_all = history[Y].to_numpy(dtype=float)
        ds_all = history[DS].to_numpy()
        parts, cut_values, future = [], [], []
        for s, e in zip(starts, ends):
            uid = ids[s]
            if uid not in wanted:
                continue
            y, ds = y_all[s:e], ds_all[s:e]
            step = infer_step(ds)
            for cut in wanted[uid]:
                end = int(np.searchsorted(ds, cut, side="right"))
                parts.append(self._one(uid, y[:end], horizon, quantiles))
                cut_values.append(ds[end - 1])
                future.append(future_ds(ds[end - 1], horizon, step))
        cols = _stack_arrays(parts)
        frame = pd.DataFrame(
            {
                ID: cols.pop(ID),
                "cutoff": np.repeat(np.asarray(cut_values), horizon),
                DS: np.concatenate(future),
                "h": cols.pop("h"),
                "model": self.name,
                **cols,
            }
        )
        return frame


def clone(forecaster: BaseForecaster) -> BaseForecaster:
    """A new, unfitted forecaster with the same parameters and alias."""
    params = {k: copy.deepcopy(v) for k, v in forecaster.get_params().items()}
    new = type(forecaster)(**params)
    new.name = forecaster.name
    return new


def _stack_arrays(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _stack(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    return pd.DataFrame(_stack_arrays(parts))


def _cutoffs_by_series(cutoffs: pd.DataFrame) -> dict[object, np.ndarray]:
    """The sorted cutoffs asked for each series."""
    ids, values = cutoffs[ID].to_numpy(), cutoffs["cutoff"].to_numpy()
    out: dict[object, list] = {}
    for uid, cut in zip(ids, values):
        out.setdefault(uid, []).append(cut)
    return {uid: np.sort(np.asarray(cuts)) for uid, cuts in out.items()}


def _as_array(mapped: pd.Series, history: pd.DataFrame) -> np.ndarray:
    """Cutoffs aligned to history rows; rows of series without a cutoff compare False."""
    values = mapped.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(history[DS]):
        return pd.to_datetime(mapped).to_numpy()
    return np.where(pd.isna(values), -np.inf, values).astype(float)
