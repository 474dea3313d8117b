"""ARIMA with its order chosen per fit: a unit-root test for d, then a stepwise information-criterion search."""

from __future__ import annotations

import warnings
import numpy as np

from tsbench.forecasters.arima import arima_forecast, arima_prefilter, fit_arima
from tsbench.forecasters.statsbase import SeriesFit, StatsmodelsForecaster

__all__ = ["AutoArima", "choose_d"]

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


def _short_lags(n: int) -> int:
    return max(1, int(4 * (n / 100) ** 0.25))


class AutoArima(StatsmodelsForecaster):
    """ARIMA(p, d, q) whose order is chosen at each fit, in the spirit of Hyndman-Khandakar.

    ``d`` comes from repeated KPSS tests; ``(p, q)`` and whether to include a
    constant (a drift when ``d = 1``) come from a stepwise search that moves
    from the best model so far to its neighbours while the information
    criterion improves, within ``max_p``, ``max_q``, ``max_order`` and
    ``max_models``. Fits that are non-stationary or non-invertible are
    rejected. A refit starts the search from the previously chosen order and
    its parameters. The chosen order is recorded per fit (``fit_info_``).
    Prediction is as for :class:`~tsbench.forecasters.arima.Arima`.

    Parameters
    ----------
    max_p, max_q
        Largest autoregressive and moving-average orders.
    max_d
        Largest number of differences.
    max_order
        Largest ``p + q``.
    information_criterion
        ``"aic"``, ``"aicc"`` or ``"bic"``.
    test_alpha
        Level of the KPSS tests that choose ``d``.
    max_models
        Most models fitted per search.
    allow_constant
        Consider models with a constant (or drift) when ``d <= 1``.
    """

    name = "auto_arima"

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
    ) -> None:
        self.max_p = max_p
        self.max_q = max_q
        self.max_d = max_d
        self.max_order = max_order
        self.information_criterion = information_criterion
        self.test_alpha = test_alpha
        self.max_models = max_models
        self.allow_constant = allow_constant

    def check_params(self) -> None:
        for key in ("max_p", "max_q", "max_d", "max_order", "max_models"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "max_models" else 0):
                raise ValueError(f"{key} must be a non-negative integer, got {value!r}")
        if self.information_criterion not in CRITERIA:
            raise ValueError(f"information_criterion must be one of {CRITERIA}, got {self.information_criterion!r}")
        if not 0 < float(self.test_alpha) < 1:
            raise ValueError(f"test_alpha must lie in (0, 1), got {self.test_alpha!r}")

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        d = choose_d(y, self.max_d, float(self.test_alpha))
        search = _Search(self, y, d, previous)
        best = search.run()
        if best is None:
            raise ValueError(
                f"auto_arima: none of the {len(search.fits)} candidate ARIMA models with d={d} could be "
                "fitted as a stationary, invertible model; set a fallback for this forecaster."
            )
        key, fit, caught = best
        for w in caught:  # the chosen model's own warnings are counted; the candidates' are not
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        fit.info.update({"criterion": self.information_criterion, "n_models": len(search.fits),
                         "with_constant": key[2]})
        return fit

    def _forecast(self, fit, y, horizon):
        return arima_forecast(fit, y, horizon)

    def _prefilter(self, fit, y):
        arima_prefilter(fit, y)


class _Search:
    """One stepwise search over (p, q, constant) for a fixed ``d``."""

    def __init__(self, owner: AutoArima, y: np.ndarray, d: int, previous: SeriesFit | None) -> None:
        self.owner, self.y, self.d, self.previous = owner, y, d, previous
        self.fits: dict[tuple[int, int, bool], tuple[float, SeriesFit | None, list]] = {}

    def run(self) -> tuple[tuple[int, int, bool], SeriesFit, list] | None:
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

    def _starts(self) -> list[tuple[int, int, bool]]:
        const = self._constant_allowed()
        prev = self.previous
        if prev is not None and prev.info.get("order", [None, None])[1] == self.d:
            p, _, q = prev.info["order"]
            return [(p, q, bool(prev.info.get("with_constant")) and const)]
        starts = [(2, 2, const), (0, 0, const), (1, 0, const), (0, 1, const)]
        if const:
            starts.append((0, 0, False))
        return [(p, q, c) for p, q, c in starts if self._allowed(p, q)]

    def _constant_allowed(self) -> bool:
        return bool(self.owner.allow_constant) and self.d <= 1

    def _allowed(self, p: int, q: int) -> bool:
        o = self.owner
        return 0 <= p <= o.max_p and 0 <= q <= o.max_q and p + q <= o.max_order

    def _neighbours(self, key: tuple[int, int, bool]) -> list[tuple[int, int, bool]]:
        p, q, c = key
        out = [(p + dp, q + dq, c) for dp, dq in MOVES if self._allowed(p + dp, q + dq)]
        if self._constant_allowed():
            out.append((p, q, not c))
        return out

    def _best(self) -> tuple[int, int, bool] | None:
        ok = [(v[0], k) for k, v in self.fits.items() if v[1] is not None]
        return min(ok)[1] if ok else None

    def _evaluate(self, key: tuple[int, int, bool]) -> None:
        p, q, c = key
        trend = ({0: "c", 1: "t"}[self.d] if c else "n")
        order = (p, self.d, q)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = fit_arima(self.y, order, trend=trend, previous=self.previous)
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
