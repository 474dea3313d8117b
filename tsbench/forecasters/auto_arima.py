"""ARIMA with its order chosen per fit: a unit-root test for d, then a stepwise information-criterion search."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from tsbench.forecasters._checks import check_bool, check_choice, check_int, check_number
from tsbench.forecasters.arima import arima_forecast, arima_prefilter, fit_arima
from tsbench.forecasters.arima_exog import exog_forecast, fit_with_exog, parse_covariate_lags
from tsbench.forecasters.seasonal import seasonal_strength
from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster

__all__ = ["AutoArima", "choose_d", "choose_seasonal_d"]

CRITERIA = ("aic", "aicc", "bic")
# moves from the current best (p, q) tried by the stepwise search, in the order of Hyndman and
# Khandakar (2008): one order up or down, then both together, including the swaps (p-1, q+1), (p+1, q-1)
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
#: Candidates with a root of modulus below this are rejected, as R's auto.arima does: a
#: near-cancelling AR and MA pair on the unit circle buys likelihood that does not forecast
ROOT_MARGIN = 1.01


def choose_d(y: np.ndarray, max_d: int = 2, alpha: float = 0.05) -> int:
    """Number of differences needed for stationarity by repeated KPSS tests.

    The series is differenced while the KPSS test (level stationarity, with
    the short lag truncation ``trunc(4 (n/100)^(1/4))`` that Hyndman and
    Khandakar use) rejects at level ``alpha``, at most ``max_d`` times.
    """
    from statsmodels.tools.sm_exceptions import InterpolationWarning
    from statsmodels.tsa.stattools import kpss

    x = np.asarray(y, dtype=float)
    for d in range(max_d):
        if len(x) < 10 or np.ptp(x) == 0:
            return d
        with warnings.catch_warnings():
            # p-values beyond KPSS's table are reported at its edge: expected, not a problem;
            # the future change of kpss's return type does not touch the p-value read here
            warnings.simplefilter("ignore", InterpolationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            pvalue = kpss(x, regression="c", nlags=_short_lags(len(x)))[1]
        if pvalue >= alpha:
            return d
        x = np.diff(x)
    return max_d


def choose_seasonal_d(y: np.ndarray, season_length: int, max_D: int = 1, threshold: float = 0.64) -> int:
    """Number of seasonal differences by the seasonal-strength test of R's ``nsdiffs``.

    The series is differenced at lag ``season_length`` while its seasonal
    strength (:func:`~tsbench.forecasters.seasonal.seasonal_strength`) exceeds
    ``threshold``, at most ``max_D`` times; never for fewer than two seasons plus one.
    """
    m, x = int(season_length), np.asarray(y, dtype=float)
    for D in range(max_D):
        if m < 2 or len(x) < 2 * m + 1 or seasonal_strength(x, m) <= threshold:
            return D
        x = x[m:] - x[:-m]
    return max_D


def _short_lags(n: int) -> int:
    return max(1, int(4 * (n / 100) ** 0.25))


class AutoArima(StatsmodelsForecaster):
    """ARIMA(p, d, q)(P, D, Q, m) whose order is chosen at each fit, as Hyndman and Khandakar (2008) choose it.

    With ``season_length > 1`` (and ``seasonal``), ``D`` comes from the
    seasonal-strength test of :func:`choose_seasonal_d`; ``d`` comes from
    repeated KPSS tests of the (seasonally differenced) series; ``(p, q, P,
    Q)`` and whether to include a constant (a drift when ``d + D = 1``) come
    from a stepwise search that moves from the best model so far to its
    neighbours (each of ``P, Q`` and then ``p, q`` one up or down, both
    together, and the constant toggled) while the information criterion
    improves, within the ``max_*`` bounds and ``max_models``. Fits with an AR
    or MA root within 1.01 of the unit circle are rejected. A refit starts the search from the previously chosen order and
    its parameters. The chosen order is recorded per fit (``fit_info_``).
    Prediction is as for :class:`~tsbench.forecasters.arima.Arima`.

    Parameters
    ----------
    max_p, max_q
        Largest autoregressive and moving-average orders.
    max_d
        Largest number of differences.
    max_order
        Largest ``p + q + P + Q``.
    information_criterion
        ``"aic"``, ``"aicc"`` or ``"bic"``.
    test_alpha
        Level of the KPSS tests that choose ``d``.
    max_models
        Most models fitted per search.
    allow_constant
        Consider models with a constant (or drift) when ``d + D <= 1``.
    season_length
        Observations per season; 1 for non-seasonal models only.
    seasonal
        Search seasonal orders when ``season_length > 1``.
    max_P, max_Q, max_D
        Largest seasonal autoregressive, moving-average and differencing orders.
    covariate_lags
        As for :class:`~tsbench.forecasters.arima.Arima`: covariates enter every
        candidate model as regressors (``d`` and ``D`` are still chosen on the
        series itself).
    """

    name = "auto_arima"
    tags: ClassVar = {"covariates": ("past", "known")}

    def __init__(
        self,
        max_p: int = 3,
        max_q: int = 3,
        max_d: int = 2,
        max_order: int = 5,
        information_criterion: str = "aicc",
        test_alpha: float = 0.05,
        max_models: int = 30,
        allow_constant: bool = True,
        season_length: int = 1,
        seasonal: bool = True,
        max_P: int = 2,
        max_Q: int = 2,
        max_D: int = 1,
        covariate_lags: int | Sequence[int] = 1,
    ) -> None:
        self.max_p = max_p
        self.max_q = max_q
        self.max_d = max_d
        self.max_order = max_order
        self.information_criterion = information_criterion
        self.test_alpha = test_alpha
        self.max_models = max_models
        self.allow_constant = allow_constant
        self.season_length = season_length
        self.seasonal = seasonal
        self.max_P = max_P
        self.max_Q = max_Q
        self.max_D = max_D
        self.covariate_lags = covariate_lags

    def check_params(self) -> None:
        for key in ("max_p", "max_q", "max_d", "max_order", "max_models", "season_length", "max_P", "max_Q",
                    "max_D"):
            check_int(key, getattr(self, key), low=1 if key in ("max_models", "season_length") else 0)
        check_choice("information_criterion", self.information_criterion, CRITERIA)
        check_number("test_alpha", self.test_alpha, low=0, high=1, low_open=True, high_open=True)
        for key in ("allow_constant", "seasonal"):
            check_bool(key, getattr(self, key))
        parse_covariate_lags(self.covariate_lags)

    def _season(self) -> int:
        """The season length searched, 0 when the search is non-seasonal."""
        m = int(self.season_length)
        return m if self.seasonal and m > 1 else 0

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None, X: np.ndarray | None = None) -> SeriesFit:
        if X is None:
            return self._choose(y, previous)
        return fit_with_exog(y, X, self.covariates, parse_covariate_lags(self.covariate_lags), type(self).__name__,
                             lambda y_used, exog: self._choose(y_used, previous, exog))

    def _choose(self, y: np.ndarray, previous: SeriesFit | None, exog: np.ndarray | None = None) -> SeriesFit:
        m = self._season()
        D = choose_seasonal_d(y, m, self.max_D) if m else 0
        d = choose_d(y[m:] - y[:-m] if D else y, self.max_d, float(self.test_alpha))
        search = _Search(self, y, d, D, previous, exog)
        best = search.run()
        if best is None:
            raise ValueError(
                f"auto_arima: none of the {len(search.fits)} candidate ARIMA models with d={d}, D={D} could be "
                "fitted as a stationary, invertible model; set a fallback for this forecaster."
            )
        key, fit, caught = best
        for w in caught:  # the chosen model's own warnings are counted; the candidates' are not
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        fit.info.update({"criterion": self.information_criterion, "n_models": len(search.fits),
                         "with_constant": key[4]})
        return fit

    def _forecast(self, fit, y, horizon, X=None, X_future=None):
        if X is None:
            return arima_forecast(fit, y, horizon)
        return exog_forecast(fit, y, X, X_future, horizon, type(self).__name__)

    def _prefilter(self, fit, y):
        arima_prefilter(fit, y)


class _Search:
    """One stepwise search over (p, q, P, Q, constant) for fixed ``d`` and ``D``."""

    def __init__(self, owner: AutoArima, y: np.ndarray, d: int, D: int, previous: SeriesFit | None,
                 exog: np.ndarray | None = None) -> None:
        self.owner, self.y, self.d, self.D, self.previous, self.exog = owner, y, d, D, previous, exog
        self.m = owner._season()
        self.fits: dict[tuple, tuple[float, SeriesFit | None, list]] = {}

    def run(self) -> tuple[tuple, SeriesFit, list] | None:
        for key in self._starts():
            self._evaluate(key)
        best = self._best()
        while best is not None and len(self.fits) < self.owner.max_models:
            improved = False
            for key in self._neighbours(best):
                if key in self.fits or len(self.fits) >= self.owner.max_models:
                    continue
                self._evaluate(key)
                if self.fits[key][0] < self.fits[best][0]:
                    best, improved = key, True
                    break
            if not improved:
                break
        return None if best is None else (best, self.fits[best][1], self.fits[best][2])

    def _starts(self) -> list[tuple]:
        const = self._constant_allowed()
        prev = self.previous
        if self._same_differencing(prev):
            p, _, q = prev.info["order"]
            P, _, Q, _ = prev.info["seasonal_order"]
            return [(p, q, P, Q, bool(prev.info.get("with_constant")) and const)]
        s = 1 if self.m else 0
        starts = [(2, 2, s, s, const), (0, 0, 0, 0, const), (1, 0, s, 0, const), (0, 1, 0, s, const)]
        if const:
            starts.append((0, 0, 0, 0, False))
        return [k for k in starts if self._allowed(k)]

    def _same_differencing(self, prev: SeriesFit | None) -> bool:
        if prev is None or "order" not in prev.info:
            return False
        seasonal = list(prev.info.get("seasonal_order", [0, 0, 0, 0]))
        return prev.info["order"][1] == self.d and seasonal[1] == self.D and seasonal[3] == self.m

    def _constant_allowed(self) -> bool:
        return bool(self.owner.allow_constant) and self.d + self.D <= 1

    def _allowed(self, key: tuple) -> bool:
        p, q, P, Q, _ = key
        o = self.owner
        seasonal_ok = (0 <= P <= o.max_P and 0 <= Q <= o.max_Q) if self.m else P == Q == 0
        return 0 <= p <= o.max_p and 0 <= q <= o.max_q and seasonal_ok and p + q + P + Q <= o.max_order

    def _neighbours(self, key: tuple) -> list[tuple]:
        p, q, P, Q, c = key
        out = [(p, q, P + dP, Q + dQ, c) for dP, dQ in MOVES] if self.m else []
        out += [(p + dp, q + dq, P, Q, c) for dp, dq in MOVES]
        if self._constant_allowed():
            out.append((p, q, P, Q, not c))
        return [k for k in out if self._allowed(k)]

    def _best(self) -> tuple | None:
        ok = [(v[0], k) for k, v in self.fits.items() if v[1] is not None]
        return min(ok)[1] if ok else None

    def _evaluate(self, key: tuple) -> None:
        p, q, P, Q, c = key
        trend = ("c" if self.d + self.D == 0 else "t") if c else "n"
        seasonal_order = (P, self.D, Q, self.m) if self.m else (0, 0, 0, 0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = fit_arima(self.y, (p, self.d, q), seasonal_order, trend=trend, previous=self.previous,
                                exog=self.exog)
            except (ValueError, np.linalg.LinAlgError):
                self.fits[key] = (np.inf, None, [])
                return
        value = fit.info[self.owner.information_criterion]
        usable = np.isfinite(value) and _roots_clear(fit.results)
        self.fits[key] = (value if usable else np.inf, fit if usable else None, list(caught))


def _roots_clear(results) -> bool:
    """True when every AR and MA root (seasonal ones included) lies beyond :data:`ROOT_MARGIN`."""
    roots = np.r_[np.asarray(results.arroots), np.asarray(results.maroots)]
    return bool(roots.size == 0 or np.min(np.abs(roots)) > ROOT_MARGIN)
