"""ARIMA/SARIMA (statsmodels) and its MA(q) special case, re-filtered with fixed parameters between refits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from tsbench.forecasters._checks import is_int
from tsbench.forecasters.arima_exog import exog_forecast, fit_with_exog, parse_covariate_lags
from tsbench.forecasters.statsbase import (
    SeriesFit,
    StatsmodelsForecaster,
    converged,
    previous_params,
    roots_ok,
)

__all__ = ["Arima", "Ma", "fit_arima", "full_results", "arima_forecast", "arima_prefilter", "filtered_state",
           "forecast_from_state"]

TRENDS = (None, "n", "c", "t", "ct")


def fit_arima(
    y: np.ndarray,
    order: Sequence[int],
    seasonal_order: Sequence[int] = (0, 0, 0, 0),
    trend: str | None = None,
    previous: SeriesFit | None = None,
    exog: np.ndarray | None = None,
) -> SeriesFit:
    """Estimate a statsmodels ARIMA on ``y`` by maximum likelihood.

    The scale is concentrated out of the likelihood while optimising (one
    parameter fewer, same maximiser), and the optimiser starts from
    ``previous.params`` when that fit had the same model. ``params`` is the
    full parameter vector of the plain statsmodels ``ARIMA`` (``sigma2``
    last); ``results`` are the estimator's own (scale concentrated), whose
    filtered states equal the plain model's. The plain model's results are
    built only when new data must be filtered (:func:`full_results`).

    Parameters
    ----------
    y
        The series.
    order, seasonal_order, trend
        As in ``statsmodels.tsa.arima.model.ARIMA``.
    previous
        The last fit of this series, to warm-start from.
    exog
        Regressors ``(len(y), k)`` (see :mod:`tsbench.forecasters.arima_exog`), or None.

    Returns
    -------
    SeriesFit
        Parameters, filtered results and diagnostics (order, convergence,
        stationarity, invertibility, information criteria).
    """
    from statsmodels.tsa.arima.model import ARIMA

    spec = {"order": tuple(int(v) for v in order), "seasonal_order": tuple(int(v) for v in seasonal_order), "trend": trend}
    estimator = ARIMA(y, exog=exog, concentrate_scale=True, **spec)
    same_model = previous is not None and previous.extra.get("spec") == spec
    start = previous_params(previous, len(estimator.param_names) + 1) if same_model else None
    if not estimator.param_names:
        # e.g. a random walk or white noise without constant: with the scale concentrated out
        # nothing is left to optimise, and filtering gives the maximum likelihood scale
        est = estimator.filter(np.empty(0))
    else:
        est = estimator.fit(start_params=None if start is None else start[:-1], cov_type="none")
        if start is not None and not np.all(np.isfinite(est.params)):
            est = estimator.fit(cov_type="none")  # a poor warm start must not cost the fit
    params = np.r_[np.asarray(est.params, dtype=float), float(est.scale)]
    results = est
    info = {
        "order": list(spec["order"]),
        "seasonal_order": list(spec["seasonal_order"]),
        "trend": getattr(results.model, "trend", trend),
        "converged": converged(est),
        "warm_start": start is not None,
        "stationary": roots_ok(results.arroots),
        "invertible": roots_ok(results.maroots),
        "aic": float(results.aic),
        "aicc": float(results.aicc),
        "bic": float(results.bic),
    }
    # `extend` continues the state but not statsmodels' trend regressors, which a trend with
    # differencing (or a time trend) uses: those contexts are re-filtered whole (`apply`)
    model = results.model
    integrated = spec["order"][1] + spec["seasonal_order"][1] > 0
    can_extend = model.k_exog == 0 and (model.k_trend == 0 or (model.trend == "c" and not integrated))
    extra = {"spec": spec, "can_extend": can_extend, "scale": float(est.scale), "full": None}
    return SeriesFit(params, results, y.copy(), info, extra=extra)


def full_results(fit: SeriesFit):
    """The plain statsmodels ARIMA filtered over the training data with the fitted parameters (built once)."""
    if fit.extra["full"] is None:
        from statsmodels.tsa.arima.model import ARIMA

        fit.extra["full"] = ARIMA(fit.y, **fit.extra["spec"]).filter(fit.params)
    return fit.extra["full"]


def arima_forecast(fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the ``horizon``-step forecast from the end of ``y`` with fixed parameters.

    When the model can be extended and ``y`` continues (or lies within) data
    already filtered, only new observations are filtered and the forecast
    starts from the filtered state at the end of ``y``; otherwise statsmodels
    filters the whole of ``y`` again (``apply``) and forecasts.
    """
    if fit.extra.get("can_extend"):
        found = filtered_state(fit, y)
        if found is not None:
            results, column, scale = found
            return forecast_from_state(results, column, scale, horizon)
    forecast = full_results(fit).apply(y).get_forecast(horizon)
    return np.asarray(forecast.predicted_mean), np.asarray(forecast.var_pred_mean)


def filtered_state(fit: SeriesFit, y: np.ndarray) -> tuple[Any, int, float] | None:
    """Filtered results, the column of ``predicted_state`` that follows the last value of ``y``, and the scale.

    Looks in the latest re-filtered results (``fit.cursor``) and in the fit's
    own results; when ``y`` goes beyond both, the new observations are
    filtered with statsmodels' ``extend`` of the plain model and become the
    cursor. The scale multiplies the system covariances (the estimator's
    results hold them for unit scale). Returns ``None`` when ``y`` does not
    continue the data seen.
    """
    n = len(y)
    if fit.cursor is not None:
        data, results, offset = fit.cursor
        if offset <= n <= len(data) and np.array_equal(y, data[:n]):
            return results, n - offset, 1.0
    if n <= len(fit.y) and np.array_equal(y, fit.y[:n]):
        return fit.results, n, fit.extra["scale"]
    seen = [fit.cursor] if fit.cursor is not None else []
    seen.append((fit.y, None, 0))
    for data, results, _ in seen:
        if n > len(data) and np.array_equal(y[: len(data)], data):
            extended = (results if results is not None else full_results(fit)).extend(y[len(data) :])
            fit.cursor = (y.copy(), extended, len(data))
            return extended, n - len(data), 1.0
    return None


def forecast_from_state(results: Any, column: int, scale: float, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Forecast mean and variance from one filtered state of a time-invariant state-space model.

    The same prediction recursion the Kalman filter runs over missing
    observations: ``a <- T a + c``, ``P <- T P T' + s R Q R'``, with mean
    ``Z a + d`` and variance ``Z P Z' + s H`` (``s`` the scale of the system
    covariances, 1 unless the scale was concentrated out).
    """
    ssm = results.model.ssm
    Z, d, H, T, c, R, Q = (_fixed(ssm[name], name) for name in
                           ("design", "obs_intercept", "obs_cov", "transition", "state_intercept", "selection", "state_cov"))
    a = np.asarray(results.predicted_state[:, column], dtype=float)  # (k,)
    P = np.asarray(results.predicted_state_cov[:, :, column], dtype=float)  # (k, k), already scaled
    RQR = scale * (R @ Q @ R.T)
    mean, var = np.empty(horizon), np.empty(horizon)
    for j in range(horizon):
        mean[j] = (Z @ a + d)[0]
        var[j] = (Z @ P @ Z.T)[0, 0] + scale * H[0, 0]
        a = T @ a + c
        P = T @ P @ T.T + RQR
    return mean, var


def _fixed(matrix: Any, name: str) -> np.ndarray:
    """A system matrix without its time axis; refuses matrices that change over time."""
    matrix = np.asarray(matrix, dtype=float)
    ndim = 1 if name.endswith("intercept") else 2
    # a constant mean is stored once per observation; it is the same at every step ahead
    if matrix.ndim == ndim + 1 and np.all(matrix == matrix[..., :1]):
        matrix = matrix[..., 0]
    if matrix.ndim != ndim:
        raise ValueError(f"state-space matrix {name!r} varies over time; forecast with statsmodels instead")
    return matrix


def arima_prefilter(fit: SeriesFit, y: np.ndarray) -> None:
    """Filter the history up to the last cutoff once, so each cutoff's forecast starts from a stored state."""
    if fit.extra.get("can_extend"):
        filtered_state(fit, y)


class Arima(StatsmodelsForecaster):
    """ARIMA(p, d, q)(P, D, Q, s) with an optional trend, through statsmodels.

    ``fit`` estimates the parameters by maximum likelihood, starting from the
    previous fit's parameters on a refit; ``predict`` filters the context with
    those parameters (only the new observations when the context continues
    the training data) and forecasts, without re-estimating.

    Parameters
    ----------
    order
        ``(p, d, q)``.
    seasonal_order
        ``(P, D, Q, s)``; all zeros for no seasonal part.
    trend
        ``"n"``, ``"c"``, ``"t"``, ``"ct"``, or ``None`` for statsmodels' default
        (a constant when there is no differencing, none otherwise).
    covariate_lags
        Lags at which past covariates enter as regressors: ``n`` for lags
        1..n, or a list. A step further ahead than a lag holds that covariate
        at its last published value (it is not known yet). Known covariates enter at the target step, with their
        values over the horizon from ``future``. See
        :mod:`tsbench.forecasters.arima_exog`.
    """

    name = "arima"
    tags: ClassVar = {"covariates": ("past", "known")}

    def __init__(
        self,
        order: Sequence[int] = (1, 1, 1),
        seasonal_order: Sequence[int] = (0, 0, 0, 0),
        trend: str | None = None,
        covariate_lags: int | Sequence[int] = 1,
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.covariate_lags = covariate_lags

    def _spec(self) -> dict[str, Any]:
        return {"order": self.order, "seasonal_order": self.seasonal_order, "trend": self.trend}

    def check_params(self) -> None:
        spec = self._spec()
        _check_ints("order", spec["order"], 3)
        _check_ints("seasonal_order", spec["seasonal_order"], 4)
        if spec["trend"] not in TRENDS:
            raise ValueError(f"trend must be one of {TRENDS}, got {spec['trend']!r}")
        parse_covariate_lags(self.covariate_lags)

    def _fit_series(self, y, previous, X=None):
        if X is None:
            return fit_arima(y, previous=previous, **self._spec())
        return fit_with_exog(y, X, self.covariates, parse_covariate_lags(self.covariate_lags), type(self).__name__,
                             lambda y_used, exog: fit_arima(y_used, previous=previous, exog=exog, **self._spec()))

    def _forecast(self, fit, y, horizon, X=None, X_future=None):
        if X is None:
            return arima_forecast(fit, y, horizon)
        return exog_forecast(fit, y, X, X_future, horizon, type(self).__name__)

    def _prefilter(self, fit, y):
        arima_prefilter(fit, y)


class Ma(Arima):
    """The moving-average model MA(q) on the ``d``-times differenced series: ARIMA(0, d, q).

    Parameters
    ----------
    q
        Number of moving-average terms.
    d
        Order of differencing.
    trend, covariate_lags
        As for :class:`Arima`.
    """

    name = "ma"

    def __init__(self, q: int = 1, d: int = 0, trend: str | None = None,
                 covariate_lags: int | Sequence[int] = 1) -> None:
        self.q = q
        self.d = d
        self.trend = trend
        self.covariate_lags = covariate_lags

    def _spec(self) -> dict[str, Any]:
        return {"order": (0, self.d, self.q), "seasonal_order": (0, 0, 0, 0), "trend": self.trend}


def _check_ints(name: str, value: object, size: int) -> None:
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == size
        and all(is_int(v, 0) for v in value)
    )
    if not ok:
        raise ValueError(f"{name} must be {size} non-negative integers, got {value!r}")
