"""ARIMA/SARIMA (statsmodels) and its MA(q) special case, re-filtered with fixed parameters between refits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tsbench.forecasters.statsbase import (
    SeriesFit,
    StatsmodelsForecaster,
    converged,
    extend_or_apply,
    previous_params,
    roots_ok,
)

__all__ = ["Arima", "Ma", "fit_arima", "arima_forecast"]

TRENDS = (None, "n", "c", "t", "ct")


def fit_arima(
    y: np.ndarray,
    order: Sequence[int],
    seasonal_order: Sequence[int] = (0, 0, 0, 0),
    trend: str | None = None,
    previous: SeriesFit | None = None,
) -> SeriesFit:
    """Estimate a statsmodels ARIMA on ``y`` by maximum likelihood.

    The scale is concentrated out of the likelihood while optimising (one
    parameter fewer, same maximiser), and the optimiser starts from
    ``previous.params`` when that fit had the same model. The returned
    results are those of the plain statsmodels ``ARIMA`` (scale not
    concentrated) filtered with the full parameter vector, ``sigma2`` last.

    Parameters
    ----------
    y
        The series.
    order, seasonal_order, trend
        As in ``statsmodels.tsa.arima.model.ARIMA``.
    previous
        The last fit of this series, to warm-start from.

    Returns
    -------
    SeriesFit
        Parameters, filtered results and diagnostics (order, convergence,
        stationarity, invertibility, information criteria).
    """
    from statsmodels.tsa.arima.model import ARIMA

    spec = {"order": tuple(int(v) for v in order), "seasonal_order": tuple(int(v) for v in seasonal_order), "trend": trend}
    estimator = ARIMA(y, concentrate_scale=True, **spec)
    same_model = previous is not None and previous.extra.get("spec") == spec
    start = previous_params(previous, len(estimator.param_names) + 1) if same_model else None
    est = estimator.fit(start_params=None if start is None else start[:-1], cov_type="none")
    if start is not None and not np.all(np.isfinite(est.params)):
        est = estimator.fit(cov_type="none")  # a poor warm start must not cost the fit
    params = np.r_[np.asarray(est.params, dtype=float), float(est.scale)]
    results = ARIMA(y, **spec).filter(params)
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
    return SeriesFit(params, results, y.copy(), info, extra={"spec": spec, "can_extend": can_extend})


def arima_forecast(fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the ``horizon``-step forecast from the end of ``y`` with fixed parameters."""
    results = extend_or_apply(fit, y, fit.extra.get("can_extend", False))
    forecast = results.get_forecast(horizon)
    return np.asarray(forecast.predicted_mean), np.asarray(forecast.var_pred_mean)


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
    """

    name = "arima"

    def __init__(
        self,
        order: Sequence[int] = (1, 1, 1),
        seasonal_order: Sequence[int] = (0, 0, 0, 0),
        trend: str | None = None,
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend

    def _spec(self) -> dict[str, Any]:
        return {"order": self.order, "seasonal_order": self.seasonal_order, "trend": self.trend}

    def check_params(self) -> None:
        spec = self._spec()
        _check_ints("order", spec["order"], 3)
        _check_ints("seasonal_order", spec["seasonal_order"], 4)
        if spec["trend"] not in TRENDS:
            raise ValueError(f"trend must be one of {TRENDS}, got {spec['trend']!r}")

    def _fit_series(self, y, previous):
        return fit_arima(y, previous=previous, **self._spec())

    def _forecast(self, fit, y, horizon):
        return arima_forecast(fit, y, horizon)


class Ma(Arima):
    """The moving-average model MA(q) on the ``d``-times differenced series: ARIMA(0, d, q).

    Parameters
    ----------
    q
        Number of moving-average terms.
    d
        Order of differencing.
    trend
        As for :class:`Arima`.
    """

    name = "ma"

    def __init__(self, q: int = 1, d: int = 0, trend: str | None = None) -> None:
        self.q = q
        self.d = d
        self.trend = trend

    def _spec(self) -> dict[str, Any]:
        return {"order": (0, self.d, self.q), "seasonal_order": (0, 0, 0, 0), "trend": self.trend}


def _check_ints(name: str, value: object, size: int) -> None:
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == size
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in value)
    )
    if not ok:
        raise ValueError(f"{name} must be {size} non-negative integers, got {value!r}")
