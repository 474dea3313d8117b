"""Exponential smoothing (statsmodels ETS) and simple exponential smoothing, re-smoothed with fixed parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster, converged, previous_params

__all__ = ["Ets", "Ses"]


class Ets(StatsmodelsForecaster):
    """ETS with additive errors (statsmodels ``ETSModel``), fitted by maximum likelihood.

    ``fit`` estimates the smoothing parameters and initial states, starting
    from the previous fit's values on a refit; ``predict`` runs the smoother
    over the context with those values and forecasts, without re-estimating.
    Intervals come from the model's exact forecast variance, which statsmodels
    gives in closed form for additive-error models (hence ``error="add"`` only).

    Parameters
    ----------
    trend
        ``None`` or ``"add"``.
    damped_trend
        Damp the trend (needs ``trend="add"``).
    seasonal
        ``None`` or ``"add"``.
    seasonal_periods
        Season length, needed when ``seasonal="add"``.
    """

    name = "ets"

    def __init__(
        self,
        trend: str | None = None,
        damped_trend: bool = False,
        seasonal: str | None = None,
        seasonal_periods: int | None = None,
    ) -> None:
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal = seasonal
        self.seasonal_periods = seasonal_periods

    def _spec(self) -> dict[str, Any]:
        return {
            "error": "add",
            "trend": self.trend,
            "damped_trend": self.damped_trend,
            "seasonal": self.seasonal,
            "seasonal_periods": self.seasonal_periods,
        }

    def check_params(self) -> None:
        spec = self._spec()
        for key in ("trend", "seasonal"):
            if spec[key] not in (None, "add"):
                raise ValueError(f"{key} must be None or 'add', got {spec[key]!r}")
        if spec["damped_trend"] and spec["trend"] is None:
            raise ValueError("damped_trend=True needs trend='add'")
        if spec["seasonal"] and not (isinstance(spec["seasonal_periods"], int) and spec["seasonal_periods"] > 1):
            raise ValueError(f"seasonal='add' needs an integer seasonal_periods > 1, got {spec['seasonal_periods']!r}")

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        model = ETSModel(y, **self._spec())
        start = previous_params(previous, len(model.param_names))
        results = model.fit(start_params=start, disp=False)
        info = {"model": _label(self._spec()), "converged": converged(results), "warm_start": start is not None,
                "aicc": float(results.aicc)}
        return SeriesFit(np.asarray(results.params, dtype=float), results, y.copy(), info)

    def _forecast(self, fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        # statsmodels builds its prediction frame from the index of a pandas series
        results = ETSModel(pd.Series(y), **self._spec()).smooth(fit.params)
        pred = results.get_prediction(start=len(y), end=len(y) + horizon - 1)
        return np.asarray(pred.predicted_mean), np.asarray(pred.forecast_variance)


class Ses(Ets):
    """Simple exponential smoothing: ETS(A, N, N), a level and no trend or season."""

    name = "ses"

    def __init__(self) -> None:
        pass

    def _spec(self) -> dict[str, Any]:
        return {"error": "add", "trend": None, "damped_trend": False, "seasonal": None, "seasonal_periods": None}


def _label(spec: dict[str, Any]) -> str:
    """The ETS(error, trend, season) name of a specification, e.g. ``ETS(A,Ad,N)``."""
    trend = "N" if spec["trend"] is None else "A" + ("d" if spec["damped_trend"] else "")
    season = "N" if spec["seasonal"] is None else "A"
    return f"ETS(A,{trend},{season})"
