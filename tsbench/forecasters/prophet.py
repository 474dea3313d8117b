"""Prophet on financial calendars: business-day futures, quiet Stan fits, quantiles only when asked.

The ``prophet`` package is imported inside the methods that need it, so
``import tsbench`` stays light. When it is not installed, importing this module
fails at once, and the registry turns that into an install hint.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from tsbench.data.calendar import describe_frequency, future_ds, infer_step
from tsbench.errors import DataError
from tsbench.forecasters._checks import check_choice, check_int, check_number, is_int
from tsbench.forecasters.base import BaseForecaster
from tsbench.panel import DS, ID, Y, iter_series, quantile_column

__all__ = ["ProphetForecaster", "SYNTHETIC_START"]

if importlib.util.find_spec("prophet") is None:  # looked up, not imported
    raise ImportError("No module named 'prophet'", name="prophet")

#: Day that step ``ds[0]`` of an integer-indexed series is placed on (one step = one day).
SYNTHETIC_START = pd.Timestamp("2000-01-03")

_SEASONALITY_KEYS = {"name", "period", "fourier_order", "prior_scale", "mode"}
_SEASONALITY_REQUIRED = {"name", "period", "fourier_order"}


class ProphetForecaster(BaseForecaster):
    """Prophet (MAP fit, one model per series) with calendars that suit financial data.

    Parameters
    ----------
    growth
        ``"linear"``, ``"flat"``, or ``"logistic"`` (then ``cap`` is required).
    cap, floor
        Constant saturation levels for logistic growth.
    n_changepoints, changepoint_range, changepoint_prior_scale
        Prophet's trend changepoint settings, passed through unchanged.
    yearly_seasonality, weekly_seasonality, daily_seasonality
        ``"auto"``, ``True``/``False`` or a Fourier order, as in Prophet.
    seasonality_mode, seasonality_prior_scale
        Passed through to Prophet.
    seasonalities
        Extra seasonalities, each a mapping with ``name``, ``period`` (in days)
        and ``fourier_order``, and optionally ``prior_scale`` and ``mode``.
    holidays
        A country code such as ``"US"`` for Prophet's built-in country holidays.
    holidays_prior_scale
        Passed through to Prophet.
    uncertainty_samples
        Posterior predictive draws used for quantiles. Draws are made only
        when quantiles are asked for; point forecasts never sample.
    lbfgs_memory
        Correction pairs L-BFGS keeps (Stan's ``history_size``). Prophet leaves
        Stan's default of 5, which needs thousands of iterations on long daily
        series; 50 reaches the same optimum, to within the spread of Stan's
        own stopping points, in a fraction of the time. ``None`` keeps Stan's
        default and reproduces plain Prophet fits exactly.
    seed
        Seed of the draws behind quantiles (the runner fills in the experiment's seed).

    Notes
    -----
    Known covariates (the ``covariates`` attribute, from the experiment file)
    enter as extra regressors (``add_regressor``, in ``seasonality_mode``);
    their values over the horizon come from ``future`` (and, in
    ``predict_origins``, from the history rows after each cutoff): step ``h``
    takes the ``h``-th row after the cutoff.

    Business-day series are forecast on the following business days. Series
    with an integer ``ds`` are placed on a synthetic daily calendar (step
    ``ds[0]`` on :data:`SYNTHETIC_START`, one step per day), so Prophet's
    weekly and yearly seasonalities then have periods of 7 and 365.25 steps;
    the calendar used for each series is recorded in ``notes_``.
    """

    tags: ClassVar = {"quantiles": True, "min_train_size": 2, "covariates": ("known",)}
    name = "prophet"

    def __init__(
        self,
        growth: str = "linear",
        cap: float | None = None,
        floor: float | None = None,
        n_changepoints: int = 25,
        changepoint_range: float = 0.8,
        changepoint_prior_scale: float = 0.05,
        yearly_seasonality: bool | int | str = "auto",
        weekly_seasonality: bool | int | str = "auto",
        daily_seasonality: bool | int | str = "auto",
        seasonality_mode: str = "additive",
        seasonality_prior_scale: float = 10.0,
        seasonalities: list[dict[str, Any]] | None = None,
        holidays: str | None = None,
        holidays_prior_scale: float = 10.0,
        uncertainty_samples: int = 1000,
        lbfgs_memory: int | None = 50,
        seed: int | None = None,
    ) -> None:
        self.growth = growth
        self.cap = cap
        self.floor = floor
        self.n_changepoints = n_changepoints
        self.changepoint_range = changepoint_range
        self.changepoint_prior_scale = changepoint_prior_scale
        self.yearly_seasonality = yearly_seasonality
        self.weekly_seasonality = weekly_seasonality
        self.daily_seasonality = daily_seasonality
        self.seasonality_mode = seasonality_mode
        self.seasonality_prior_scale = seasonality_prior_scale
        self.seasonalities = seasonalities
        self.holidays = holidays
        self.holidays_prior_scale = holidays_prior_scale
        self.uncertainty_samples = uncertainty_samples
        self.lbfgs_memory = lbfgs_memory
        self.seed = seed

    # -- validation --------------------------------------------------------------------
    def check_params(self) -> None:
        """Raise ``ValueError`` for parameter values Prophet cannot use."""
        check_choice("growth", self.growth, ("linear", "flat", "logistic"))
        check_choice("seasonality_mode", self.seasonality_mode, ("additive", "multiplicative"))
        if self.growth == "logistic" and self.cap is None:
            raise ValueError("growth 'logistic' needs a 'cap' (the saturation level); got cap=None.")
        if self.cap is not None and self.floor is not None and not self.cap > self.floor:
            raise ValueError(f"cap must exceed floor, got cap={self.cap!r}, floor={self.floor!r}.")
        check_int("n_changepoints", self.n_changepoints, low=0)
        check_int("uncertainty_samples", self.uncertainty_samples, low=1)
        check_int("lbfgs_memory", self.lbfgs_memory, low=1, optional=True)
        check_number("changepoint_range", self.changepoint_range, low=0, high=1)
        for key in ("changepoint_prior_scale", "seasonality_prior_scale", "holidays_prior_scale"):
            check_number(key, getattr(self, key), low=0, low_open=True)
        for key in ("yearly_seasonality", "weekly_seasonality", "daily_seasonality"):
            value = getattr(self, key)
            if not (value == "auto" or isinstance(value, bool) or is_int(value, 0)):
                raise ValueError(f"{key} must be 'auto', true/false or a Fourier order >= 0, got {value!r}.")
        for spec in self.seasonalities or []:
            _check_seasonality(spec)
        if self.holidays is not None:
            _check_country(self.holidays)

    # -- fit -----------------------------------------------------------------------------
    def _fit(self, train: pd.DataFrame) -> None:
        from tsbench.forecasters._prophet_stan import import_prophet, lean_backend

        prophet_cls = import_prophet()
        backend = lean_backend(self.lbfgs_memory)
        states: dict[object, _Fitted] = {}
        for uid, g in iter_series(train):
            calendar = _Calendar.of(g[DS])
            frame = self._frame(calendar.dates(g[DS].to_numpy()), g[Y].to_numpy(dtype=float),
                                g[list(self.covariates.known)].to_numpy(dtype=float))
            model = self._new_model(prophet_cls)
            model.stan_backend = backend
            model.fit(frame)
            model.stan_backend = model.stan_fit = None  # keep the fitted model small and picklable
            states[uid] = _Fitted(model, calendar)
        self.states_ = states
        self.notes_ = {"calendar": {str(uid): s.calendar.describe() for uid, s in states.items()}}

    def _new_model(self, prophet_cls):
        model = prophet_cls(
            growth=self.growth,
            n_changepoints=self.n_changepoints,
            changepoint_range=self.changepoint_range,
            changepoint_prior_scale=self.changepoint_prior_scale,
            yearly_seasonality=self.yearly_seasonality,
            weekly_seasonality=self.weekly_seasonality,
            daily_seasonality=self.daily_seasonality,
            seasonality_mode=self.seasonality_mode,
            seasonality_prior_scale=self.seasonality_prior_scale,
            holidays_prior_scale=self.holidays_prior_scale,
            mcmc_samples=0,
            uncertainty_samples=0,  # sampling is done on demand, for quantiles only
            stan_backend="CMDSTANPY",
        )
        for spec in self.seasonalities or []:
            model.add_seasonality(**spec)
        if self.holidays is not None:
            model.add_country_holidays(self.holidays)
        for name in _regressors(self.covariates.known):
            model.add_regressor(name)
        return model

    def _frame(self, dates: pd.DatetimeIndex, y: np.ndarray | None = None,
               known: np.ndarray | None = None) -> pd.DataFrame:
        frame = pd.DataFrame({"ds": dates})
        if y is not None:
            frame["y"] = y
        for j, name in enumerate(_regressors(self.covariates.known)):
            frame[name] = known[:, j]
        if self.growth == "logistic":
            frame["cap"] = float(self.cap)
            if self.floor is not None:
                frame["floor"] = float(self.floor)
        return frame

    # -- predict ---------------------------------------------------------------------------
    def _predict(self, context: pd.DataFrame, horizon: int, quantiles: tuple[float, ...],
                 future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecasts after each series of ``context``; ``future`` holds the known covariates after it."""
        parts = []
        for uid, g in iter_series(context):
            state = self._state(uid)
            dates = future_ds(g[DS].iloc[-1], horizon, infer_step(g[DS]))
            known = self._known_after(future, uid, g[DS].iloc[-1], horizon)
            frame = self._frame(state.calendar.dates(dates), known=known)
            part = {ID: [uid] * horizon, "h": np.arange(1, horizon + 1), "y_pred": _point_forecast(state.model, frame)}
            if quantiles:
                part.update(self._quantiles(state.model, frame, quantiles))
            parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)

    def _known_after(self, future: pd.DataFrame | None, uid: object, last: object, horizon: int) -> np.ndarray | None:
        """The known covariates of the ``horizon`` rows of ``future`` after ``last`` for series ``uid``."""
        known = list(self.covariates.known)
        if not known:
            return None
        missing = [c for c in (ID, DS, *known) if future is None or c not in future.columns]
        if missing:
            raise DataError(f"{type(self).__name__}: 'future' lacks column(s) {missing}; it needs unique_id, ds and "
                            f"the known covariates {known}.")
        rows = future.loc[(future[ID] == uid).to_numpy() & (future[DS] > last).to_numpy()].sort_values(DS)
        values = rows[known].to_numpy(dtype=float)[:horizon]
        if len(values) < horizon or np.isnan(values).any():
            raise DataError(f"{type(self).__name__}: known covariates {known} need values for {horizon} step(s) after "
                            f"{last} of series '{uid}'; 'future' has {len(values)} row(s) there"
                            f"{' with missing values' if len(values) == horizon else ''}. Pass them in 'future'.")
        return values

    def _quantiles(self, model, frame: pd.DataFrame, levels: tuple[float, ...]) -> dict[str, np.ndarray]:
        """Quantiles of Prophet's posterior predictive draws (its intervals, at any level)."""
        model.uncertainty_samples = int(self.uncertainty_samples)
        try:
            with _numpy_seed(self.seed):
                draws = model.predictive_samples(frame)["yhat"]  # (horizon, uncertainty_samples)
        finally:
            model.uncertainty_samples = 0
        values = np.quantile(draws, levels, axis=1)  # (levels, horizon)
        return {quantile_column(q): v for q, v in zip(levels, values)}

    def _state(self, uid: object) -> _Fitted:
        try:
            return self.states_[uid]
        except KeyError:
            raise DataError(
                f"{type(self).__name__} was not fitted on series '{uid}' (fitted on "
                f"{list(self.states_)[:5]}); fit on every series you predict."
            ) from None


@dataclass(frozen=True)
class _Calendar:
    """How a series' ``ds`` maps to the dates Prophet sees."""

    step: object  # a pandas offset for timestamps, an int for integer steps
    origin: int | None = None  # first integer step, placed on SYNTHETIC_START; None for timestamps

    @classmethod
    def of(cls, ds: pd.Series) -> _Calendar:
        step = infer_step(ds)
        if pd.api.types.is_datetime64_any_dtype(ds):
            return cls(step)
        return cls(step, int(ds.iloc[0]))

    def dates(self, values: np.ndarray) -> pd.DatetimeIndex:
        if self.origin is None:
            dates = pd.DatetimeIndex(values)
            return dates.tz_localize(None) if dates.tz is not None else dates
        steps = (np.asarray(values, dtype=np.int64) - self.origin) / int(self.step)
        return SYNTHETIC_START + pd.to_timedelta(steps, unit="D")

    def describe(self) -> str:
        if self.origin is None:
            return f"{describe_frequency(self.step)}; forecasts fall on the same calendar"
        return (f"integer steps on a synthetic daily calendar: step {self.origin} is "
                f"{SYNTHETIC_START.date()} and each step of {int(self.step)} is one day")


@dataclass
class _Fitted:
    """A fitted Prophet model of one series and its calendar."""

    model: Any
    calendar: _Calendar


def _regressors(known: tuple[str, ...]) -> list[str]:
    """Names the known covariates take inside Prophet (free of its reserved names such as 'trend')."""
    return [f"covariate_{j}" for j in range(len(known))]


def _point_forecast(model, frame: pd.DataFrame) -> np.ndarray:
    """Prophet's ``yhat`` on the dates of ``frame``.

    For linear or flat trends with seasonalities only (the common case), this
    evaluates Prophet's formula directly from the fitted parameters with
    Prophet's own feature and trend functions: the same numbers as
    ``model.predict`` without its per-call frame building, which costs more
    than the arithmetic. Holidays, logistic trends and other scalings go
    through ``model.predict``.
    """
    lean = (
        model.growth in ("linear", "flat") and model.scaling == "absmax" and model.holidays is None
        and model.country_holidays is None and not model.extra_regressors
        and all(props["condition_name"] is None for props in model.seasonalities.values())
    )
    if not lean:
        return model.predict(frame)["yhat"].to_numpy()
    dates = pd.Series(pd.DatetimeIndex(frame["ds"]))
    params = {name: np.nanmean(np.asarray(value), axis=0) for name, value in model.params.items()}
    t = ((dates - model.start) / model.t_scale).to_numpy(dtype=float)
    if model.growth == "flat":
        trend = model.flat_trend(t, float(params["m"][0]))
    else:
        trend = model.piecewise_linear(t, params["delta"], float(params["k"][0]), float(params["m"][0]),
                                       model.changepoints_t)
    features = [model.fourier_series(dates, props["period"], props["fourier_order"])
                for props in model.seasonalities.values()] or [np.zeros((len(t), 1))]
    x = np.hstack(features)  # (horizon, K), columns in Prophet's order
    cols = model.train_component_cols
    beta = params["beta"]
    additive = x @ (beta * cols["additive_terms"].to_numpy()) * model.y_scale
    multiplicative = x @ (beta * cols["multiplicative_terms"].to_numpy())
    return trend * model.y_scale * (1 + multiplicative) + additive


@contextlib.contextmanager
def _numpy_seed(seed: int | None) -> Iterator[None]:
    """Seed numpy's global generator (which Prophet draws from), restoring its state afterwards."""
    state = np.random.get_state()
    np.random.seed((seed or 0) % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _check_seasonality(spec: object) -> None:
    if not isinstance(spec, dict):
        raise ValueError(f"each entry of seasonalities must be a mapping, got {spec!r}.")
    unknown = sorted(set(spec) - _SEASONALITY_KEYS)
    missing = sorted(_SEASONALITY_REQUIRED - set(spec))
    if unknown or missing:
        raise ValueError(
            f"seasonality {spec!r}: " + (f"unknown key(s) {unknown}; " if unknown else "")
            + (f"missing key(s) {missing}; " if missing else "")
            + f"expected keys {sorted(_SEASONALITY_REQUIRED)} and optionally ['mode', 'prior_scale']."
        )
    check_number(f"seasonality {spec['name']!r} period", spec["period"], low=0, low_open=True)
    check_int(f"seasonality {spec['name']!r} fourier_order", spec["fourier_order"], low=1)


def _check_country(code: object) -> None:
    if not isinstance(code, str) or not code:
        raise ValueError(f"holidays must be a country code such as 'US', got {code!r}.")
    try:
        import holidays as holiday_calendars
    except ImportError:  # prophet checks the code itself at fit time
        return
    if code not in holiday_calendars.list_supported_countries():
        raise ValueError(f"holidays: no built-in holiday calendar for country {code!r}; use a code such as 'US'.")
