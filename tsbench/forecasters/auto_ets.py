"""ETS with its model chosen per fit by an information criterion over the admissible set (Hyndman et al. 2008)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tsbench.errors import DataError
from tsbench.forecasters._checks import check_bool, check_choice, check_int
from tsbench.forecasters.ets import EtsFamily, ets_label, fit_ets
from tsbench.forecasters.statsbase import SeriesFit

__all__ = ["AutoEts", "candidate_specs"]

CRITERIA = ("aic", "aicc", "bic")


def candidate_specs(
    season_length: int = 1, positive: bool = True, multiplicative_trend: bool = False
) -> list[dict[str, Any]]:
    """The ETS models searched, as ``ETSModel`` keyword arguments.

    Every combination of error (A, M), trend (N, A, Ad, and M, Md when
    ``multiplicative_trend``) and season (N, and A, M when ``season_length > 1``)
    except those Hyndman et al. (2008) set aside as numerically unstable:
    additive error with a multiplicative trend or season, and multiplicative
    error and trend with an additive season. Without strictly ``positive`` data
    only the additive models remain.
    """
    trends = [(None, False), ("add", False), ("add", True)]
    if multiplicative_trend:
        trends += [("mul", False), ("mul", True)]
    seasons = [None, "add", "mul"] if season_length > 1 else [None]
    specs = []
    for error in ("add", "mul"):
        for trend, damped in trends:
            for seasonal in seasons:
                if error == "add" and "mul" in (trend, seasonal):
                    continue
                if error == "mul" and trend == "mul" and seasonal == "add":
                    continue
                if not positive and "mul" in (error, trend, seasonal):
                    continue
                specs.append({"error": error, "trend": trend, "damped_trend": damped, "seasonal": seasonal,
                              "seasonal_periods": season_length if seasonal else None})
    return specs


def _n_params(spec: dict[str, Any]) -> int:
    """Smoothing parameters and initial states ``ETSModel`` estimates for ``spec``."""
    n = 2 + (2 if spec["trend"] else 0) + (1 if spec["damped_trend"] else 0)
    return n + (1 + spec["seasonal_periods"] if spec["seasonal"] else 0)


class AutoEts(EtsFamily):
    """ETS whose error, trend and season are chosen at each fit, as Hyndman et al. (2008) choose them.

    Every admissible model (:func:`candidate_specs`) is fitted by maximum
    likelihood and the one with the lowest information criterion is kept; a
    model with too few observations for its parameters (fewer than
    parameters + 5) is not tried, and multiplicative models are tried only on
    strictly positive series. A refit warm-starts every candidate from its
    previous estimate. The chosen model is recorded per fit (``fit_info_``).
    Prediction is as for :class:`~tsbench.forecasters.ets.Ets`.

    Parameters
    ----------
    season_length
        Observations per season; 1 for no seasonal models.
    allow_multiplicative_trend
        Also try multiplicative (and damped multiplicative) trends.
    information_criterion
        ``"aic"``, ``"aicc"`` or ``"bic"``.
    """

    name = "auto_ets"

    def __init__(
        self,
        season_length: int = 1,
        allow_multiplicative_trend: bool = False,
        information_criterion: str = "aicc",
    ) -> None:
        self.season_length = season_length
        self.allow_multiplicative_trend = allow_multiplicative_trend
        self.information_criterion = information_criterion

    def check_params(self) -> None:
        check_int("season_length (1 for no season)", self.season_length, low=1)
        check_bool("allow_multiplicative_trend", self.allow_multiplicative_trend)
        check_choice("information_criterion", self.information_criterion, CRITERIA)

    def _fit_series(self, y: np.ndarray, previous: SeriesFit | None) -> SeriesFit:
        specs = [s for s in candidate_specs(int(self.season_length), bool(np.min(y) > 0),
                                            self.allow_multiplicative_trend) if len(y) >= _n_params(s) + 5]
        fits, warm = [], previous.extra.get("candidates", {}) if previous is not None else {}
        for spec in specs:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    fit = fit_ets(y, spec, start=warm.get(ets_label(spec)))
                except (ValueError, np.linalg.LinAlgError, DataError):
                    continue
            value = fit.info[self.information_criterion]
            if np.isfinite(value) and np.all(np.isfinite(fit.params)):
                fits.append((value, len(fits), fit, list(caught)))
        if not fits:
            raise ValueError(
                f"auto_ets: none of the {len(specs)} candidate ETS models could be fitted to a series of "
                f"{len(y)} observations; set a fallback for this forecaster or use a longer history."
            )
        _, _, best, caught = min(fits, key=lambda f: f[:2])
        for w in caught:  # the chosen model's own warnings are counted; the candidates' are not
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        best.info.update({"criterion": self.information_criterion, "n_models": len(fits)})
        best.extra["candidates"] = {f[2].info["model"]: f[2].params for f in fits}
        return best
