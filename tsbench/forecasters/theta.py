"""The Theta method (statsmodels ``ThetaModel``), with its drift and smoothing weight held fixed between refits."""

from __future__ import annotations

import numpy as np

from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster, converged, previous_params

__all__ = ["Theta"]


class Theta(StatsmodelsForecaster):
    """Theta method of Assimakopoulos and Nikolopoulos as statsmodels implements it.

    ``fit`` estimates the two parameters the way ``ThetaModel.fit`` does (the
    drift ``b0`` by least squares on a time trend, the smoothing weight
    ``alpha`` by a simple exponential smoothing fit that starts from the
    previous ``alpha`` on a refit); ``predict`` smooths the context with that
    ``alpha`` and lets statsmodels' ``ThetaModelResults`` forecast. Series are
    not deseasonalised (financial series rarely have a season to remove).

    Parameters
    ----------
    theta
        Weight of the trend line; 2 is the classic method, 1 simple exponential smoothing.
    """

    name = "theta"

    def __init__(self, theta: float = 2.0) -> None:
        self.theta = theta

    def check_params(self) -> None:
        if isinstance(self.theta, bool) or not isinstance(self.theta, (int, float)) or self.theta < 1:
            raise ValueError(f"theta must be a number >= 1, got {self.theta!r}")

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing
        from statsmodels.tsa.tsatools import add_trend

        design = add_trend(y, "ct", prepend=True)[:, :2]
        design[:, 1] -= 1
        b0 = float(np.linalg.lstsq(design, y, rcond=None)[0][1])
        start = previous_params(previous, 2)
        ses = ExponentialSmoothing(y, initial_level=y[0], initialization_method="known")
        results = ses.fit(start_params=None if start is None else start[1:], disp=False)
        alpha = float(np.asarray(results.params)[0])
        info = {"b0": b0, "alpha": alpha, "converged": converged(results), "warm_start": start is not None}
        return SeriesFit(np.array([b0, alpha]), results, y.copy(), info, extra={"sigma2": None})

    def _forecast(self, fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        results = self._results(fit, y)
        mean = np.asarray(results.forecast(horizon, theta=float(self.theta)))
        alpha = fit.params[1]
        # the method's state-space form is SES with drift, an IMA(1,1) with MA coefficient alpha - 1:
        # each step ahead adds alpha^2 sigma^2 (statsmodels' interval adds 1 + (alpha - 1)^2, too wide)
        var = (1 + np.arange(horizon) * alpha**2) * self._sigma2(fit)
        return mean, var

    def _results(self, fit: SeriesFit, y: np.ndarray):
        """statsmodels' Theta results for the context ``y`` with the fitted ``b0`` and ``alpha``."""
        from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
        from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

        b0, alpha = fit.params
        ses = ExponentialSmoothing(y, initial_level=y[0], initialization_method="known").filter([alpha])
        one_step = np.asarray(ses.forecast(1))
        model = ThetaModel(y, deseasonalize=False)
        return ThetaModelResults(b0, alpha, fit.extra["sigma2"], one_step, np.empty(0), False, model)

    def _sigma2(self, fit: SeriesFit) -> float:
        """Innovation variance of the IMA(1,1)-with-drift form, estimated once per fit, when first needed."""
        if fit.extra["sigma2"] is None:
            from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

            b0, alpha = fit.params
            model = ThetaModel(fit.y, deseasonalize=False)
            fit.extra["sigma2"] = float(ThetaModelResults(b0, alpha, None, np.nan, np.empty(0), False, model).sigma2)
        return fit.extra["sigma2"]
