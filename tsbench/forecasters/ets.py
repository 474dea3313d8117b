"""Exponential smoothing (statsmodels ETS) and simple exponential smoothing, re-smoothed with fixed parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from tsbench.errors import ConfigError, DataError
from tsbench.forecasters._checks import check_bool, is_int
from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster, converged

__all__ = ["Ets", "EtsFamily", "Ses", "SIMULATED_PATHS", "check_ets_spec", "ets_forecast", "ets_label", "fit_ets",
           "has_exact_variance", "is_multiplicative", "simulated_quantiles"]

COMPONENTS = (None, "add", "mul")
#: Paths simulated per forecast for the quantiles of models without a closed-form variance.
SIMULATED_PATHS = 2000
#: The simulation's errors come from this seed, so a forecast never depends on the global random state.
SIMULATION_SEED = 20080101


def check_ets_spec(spec: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` for an ETS specification that statsmodels' ``ETSModel`` cannot fit."""
    if spec["error"] not in ("add", "mul"):
        raise ConfigError(f"error must be 'add' or 'mul', got {spec['error']!r}")
    for key in ("trend", "seasonal"):
        if spec[key] not in COMPONENTS:
            raise ConfigError(f"{key} must be None, 'add' or 'mul', got {spec[key]!r}")
    check_bool("damped_trend", spec["damped_trend"])
    if spec["damped_trend"] and spec["trend"] is None:
        raise ConfigError("damped_trend=True needs a trend ('add' or 'mul'), got trend=None")
    periods = spec["seasonal_periods"]
    if spec["seasonal"] and not is_int(periods, 2):
        raise ConfigError(f"seasonal={spec['seasonal']!r} needs an integer seasonal_periods > 1, got {periods!r}")


def ets_label(spec: dict[str, Any]) -> str:
    """The ETS(error, trend, season) name of a specification, e.g. ``ETS(M,Ad,N)``."""
    letter = {None: "N", "add": "A", "mul": "M"}
    trend = letter[spec["trend"]] + ("d" if spec["damped_trend"] and spec["trend"] else "")
    return f"ETS({letter[spec['error']]},{trend},{letter[spec['seasonal']]})"


def is_multiplicative(spec: dict[str, Any]) -> bool:
    """Whether any component of ``spec`` is multiplicative (the data must then be positive)."""
    return "mul" in (spec["error"], spec["trend"], spec["seasonal"])


def has_exact_variance(spec: dict[str, Any]) -> bool:
    """Additive error, no multiplicative component: statsmodels' forecast variance is exact and normal."""
    return not is_multiplicative(spec)


def fit_ets(
    y: np.ndarray, spec: dict[str, Any], previous: SeriesFit | None = None, start: np.ndarray | None = None
) -> SeriesFit:
    """Estimate an ETS model on ``y`` by maximum likelihood (statsmodels ``ETSModel``).

    Parameters
    ----------
    y
        The series; strictly positive when a component is multiplicative.
    spec
        ``error``, ``trend``, ``damped_trend``, ``seasonal``, ``seasonal_periods`` as in ``ETSModel``.
    previous
        The last fit of this series; its parameters start the optimiser when it had the same model.
    start
        Starting parameters otherwise (ignored unless they fit the model).

    Returns
    -------
    SeriesFit
        Parameters, results and diagnostics (model label, convergence, AIC, AICc, BIC).

    Raises
    ------
    DataError
        If a multiplicative model is asked of a series that is not strictly positive.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    if is_multiplicative(spec) and not np.min(y) > 0:
        raise DataError(
            f"{ets_label(spec)} has a multiplicative component and needs strictly positive data, got a "
            f"minimum of {np.min(y):.6g}; use error='add' with additive trend and season for this series."
        )
    model = ETSModel(y, **spec)
    if previous is not None and previous.extra.get("spec") == spec:
        start = previous.params
    if start is not None:
        start = np.asarray(start, dtype=float)
        start = start if start.shape == (len(model.param_names),) and np.all(np.isfinite(start)) else None
    results = model.fit(start_params=start, disp=False)
    info = {"model": ets_label(spec), "converged": converged(results), "warm_start": start is not None,
            "aic": float(results.aic), "aicc": float(results.aicc), "bic": float(results.bic)}
    return SeriesFit(np.asarray(results.params, dtype=float), results, y.copy(), info, extra={"spec": dict(spec)})


def _smoothed(fit: SeriesFit, y: np.ndarray):
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    # statsmodels builds its prediction frame from the index of a pandas series (an array fails)
    return ETSModel(pd.Series(y), **fit.extra["spec"]).smooth(fit.params)


def ets_forecast(fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Point forecast and forecast variance from the end of ``y`` with the fitted parameters.

    Additive models use statsmodels' closed-form variance. Models with a
    multiplicative component have none that is exact (nor normal quantiles):
    their paths are simulated here (:func:`simulated_quantiles` reads them) and the
    variance is that of the paths.
    """
    results = _smoothed(fit, y)
    if has_exact_variance(fit.extra["spec"]):
        pred = results.get_prediction(start=len(y), end=len(y) + horizon - 1)
        return np.asarray(pred.predicted_mean), np.asarray(pred.forecast_variance)
    paths = _simulate(results, horizon)
    fit.extra["paths"] = (y.copy(), horizon, paths)
    return np.asarray(results.forecast(horizon)), paths.var(axis=1)


def _simulate(results, horizon: int) -> np.ndarray:
    """``SIMULATED_PATHS`` future paths from the end state, with errors drawn from a fixed seed.

    statsmodels' own simulated prediction draws from a fresh random state (so the
    same forecast would change from call to call); here statsmodels runs the
    state recursions on errors we draw, N(0, sigma^2) for either error type.
    """
    rng = np.random.default_rng(SIMULATION_SEED)
    errors = rng.standard_normal((horizon, SIMULATED_PATHS)) * np.sqrt(float(results.scale))
    paths = results.simulate(horizon, anchor="end", repetitions=SIMULATED_PATHS, random_errors=errors)
    return np.asarray(paths, dtype=float).reshape(horizon, SIMULATED_PATHS)  # (horizon, paths)


def simulated_quantiles(fit: SeriesFit, y: np.ndarray, horizon: int, quantiles) -> np.ndarray:
    """Empirical quantiles of the simulated paths from the end of ``y``, ``(horizon, len(quantiles))``."""
    cached = fit.extra.get("paths")
    if cached is None or cached[1] != horizon or not np.array_equal(cached[0], y):
        ets_forecast(fit, y, horizon)
        cached = fit.extra["paths"]
    return np.quantile(cached[2], np.asarray(quantiles), axis=1).T


class EtsFamily(StatsmodelsForecaster):
    """Forecasts of a fitted ETS model: analytic quantiles where the model has them, simulated otherwise."""

    def _forecast(self, fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        return ets_forecast(fit, y, horizon)

    def _predict_quantiles_one(self, state, y, horizon, quantiles):
        if has_exact_variance(state.extra["spec"]):
            return super()._predict_quantiles_one(state, y, horizon, quantiles)
        return simulated_quantiles(state, y, horizon, quantiles)


class Ets(EtsFamily):
    """ETS with additive or multiplicative error, trend and season (statsmodels ``ETSModel``).

    ``fit`` estimates the smoothing parameters and initial states by maximum
    likelihood, starting from the previous fit's values on a refit;
    ``predict`` runs the smoother over the context with those values and
    forecasts, without re-estimating. Additive models get normal intervals
    from the exact forecast variance; models with a multiplicative component
    get the empirical quantiles of simulated paths (seeded, so forecasts are
    reproducible).

    Parameters
    ----------
    error
        ``"add"`` or ``"mul"``.
    trend
        ``None``, ``"add"`` or ``"mul"``.
    damped_trend
        Damp the trend (needs a trend).
    seasonal
        ``None``, ``"add"`` or ``"mul"``.
    seasonal_periods
        Season length, needed with a seasonal component.
    """

    name = "ets"

    def __init__(
        self,
        error: str = "add",
        trend: str | None = None,
        damped_trend: bool = False,
        seasonal: str | None = None,
        seasonal_periods: int | None = None,
    ) -> None:
        self.error = error
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal = seasonal
        self.seasonal_periods = seasonal_periods

    def _spec(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "trend": self.trend,
            "damped_trend": self.damped_trend,
            "seasonal": self.seasonal,
            "seasonal_periods": self.seasonal_periods,
        }

    def check_params(self) -> None:
        check_ets_spec(self._spec())

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        return fit_ets(y, self._spec(), previous)


class Ses(Ets):
    """Simple exponential smoothing: ETS(A, N, N), a level and no trend or season."""

    name = "ses"

    def __init__(self) -> None:
        pass

    def _spec(self) -> dict[str, Any]:
        return {"error": "add", "trend": None, "damped_trend": False, "seasonal": None, "seasonal_periods": None}
