"""The Theta method (as statsmodels' ``ThetaModel``), with its drift and smoothing weight held fixed between refits."""

from __future__ import annotations

import numpy as np

from tsbench.forecasters._checks import check_int, check_number
from tsbench.forecasters.seasonal import classical_indices, is_seasonal, season_positions
from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster, converged, previous_params

__all__ = ["Theta"]


class Theta(StatsmodelsForecaster):
    """Theta method of Assimakopoulos and Nikolopoulos, with the M4 benchmark's deseasonalisation.

    When ``season_length > 1`` and the M4 benchmark's 90% autocorrelation test
    finds seasonality in the training data, the series is divided by the
    indices of a classical multiplicative decomposition (subtracted, for a
    series that is not strictly positive) and the forecast multiplied back.
    ``fit`` estimates the two parameters on the (deseasonalised) series as
    ``ThetaModel.fit`` does: the drift ``b0`` by least squares on a time trend,
    the smoothing weight ``alpha`` by a simple exponential smoothing fit that
    starts from the previous ``alpha`` on a refit. ``predict`` deseasonalises
    the context with indices recomputed from it (a moving-average filter, so
    the season's phase is always the context's own), smooths it with the
    fitted ``alpha``, and forecasts ``SES + (1 - 1/theta) b0 (h - 1 + 1/alpha
    - (1 - alpha)^n / alpha)``. Intervals are those of the method's
    state-space form, an IMA(1,1) with MA coefficient ``alpha - 1``:
    variance ``sigma^2 (1 + (h - 1) alpha^2)``, scaled by the seasonal index.

    Parameters
    ----------
    theta
        Weight of the trend line; 2 is the classic method, 1 simple exponential smoothing.
    season_length
        Observations per season; 1 never deseasonalises.
    """

    name = "theta"

    def __init__(self, theta: float = 2.0, season_length: int = 1) -> None:
        self.theta = theta
        self.season_length = season_length

    def check_params(self) -> None:
        check_number("theta", self.theta, low=1)
        check_int("season_length (1 for no season)", self.season_length, low=1)

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

        m = int(self.season_length)
        seasonal = is_seasonal(y, m)
        multiplicative = bool(np.min(y) > 0)
        z = _deseasonalise(y, m, multiplicative) if seasonal else y
        t = np.arange(len(z), dtype=float)
        b0 = float(np.polyfit(t, z, 1)[0])
        start = previous_params(previous, 2)
        ses = ExponentialSmoothing(z, initial_level=z[0], initialization_method="known")
        results = ses.fit(start_params=None if start is None else start[1:], disp=False)
        alpha = float(np.asarray(results.params)[0])
        info = {"b0": b0, "alpha": alpha, "seasonal": seasonal, "converged": converged(results),
                "warm_start": start is not None}
        if seasonal:
            info["decomposition"] = "multiplicative" if multiplicative else "additive"
        extra = {"sigma2": None, "z": z, "seasonal": seasonal, "multiplicative": multiplicative}
        return SeriesFit(np.array([b0, alpha]), results, y.copy(), info, extra=extra)

    def _forecast(self, fit: SeriesFit, y: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        b0, alpha = fit.params
        m, n = int(self.season_length), len(y)
        if fit.extra["seasonal"]:
            indices = classical_indices(y, m, fit.extra["multiplicative"])
            z = _remove(y, indices[season_positions(0, n, m)], fit.extra["multiplicative"])
        else:
            z = y
        weights = (1 - alpha) ** np.arange(n - 1, -1, -1)  # of z[0], ..., z[n-1] in the smoothed level
        level = (1 - alpha) ** n * z[0] + alpha * float(weights @ z)
        h = np.arange(horizon)
        trend = b0 * (h + 1 / alpha - (1 - alpha) ** n / alpha)
        mean = level + (1 - 1 / float(self.theta)) * trend
        var = (1 + h * alpha**2) * self._sigma2(fit)
        if not fit.extra["seasonal"]:
            return mean, var
        future = indices[season_positions(n, horizon, m)]
        if fit.extra["multiplicative"]:
            return mean * future, var * future**2
        return mean + future, var

    def _sigma2(self, fit: SeriesFit) -> float:
        """Innovation variance of the IMA(1,1)-with-drift form (as statsmodels' Theta), estimated once per fit."""
        if fit.extra["sigma2"] is None:
            from statsmodels.tsa.statespace.sarimax import SARIMAX

            fit.extra["sigma2"] = float(SARIMAX(fit.extra["z"], order=(0, 1, 1), trend="c").fit(disp=False).params[-1])
        return fit.extra["sigma2"]


def _deseasonalise(y: np.ndarray, m: int, multiplicative: bool) -> np.ndarray:
    return _remove(y, classical_indices(y, m, multiplicative)[season_positions(0, len(y), m)], multiplicative)


def _remove(y: np.ndarray, seasonal: np.ndarray, multiplicative: bool) -> np.ndarray:
    return y / seasonal if multiplicative else y - seasonal
