"""Covariates as statsmodels ARIMA regressors (``exog``): known ones at the target step, past ones lagged.

The regressors of the observation at row ``t`` of a series are

- each **known** covariate at row ``t`` itself (its values over a forecast's
  horizon are known in advance and come in ``X_future``);
- each **past** covariate at row ``t - L`` for every lag ``L`` of
  ``covariate_lags``: the value at lag ``L`` of the step ``h`` after a cutoff
  lies ``h - L`` rows after it; where ``h > L`` that value is not published
  yet, and the step holds the covariate at its last published value (its
  random-walk forecast), so a forecast never reads past its cutoff.

The first ``max(covariate_lags)`` rows of a series lack lagged values and are
left out of the fit (and of the filtering before a forecast). A model with
regressors is filtered over the whole context at each forecast (statsmodels'
``filter`` with the fitted parameters, then ``get_forecast`` with the
regressors of the horizon): the incremental re-filtering of models without
covariates does not apply to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tsbench.covariates import Covariates
from tsbench.errors import ConfigError, DataError
from tsbench.forecasters._checks import is_int
from tsbench.forecasters.statsbase import SeriesFit

__all__ = ["parse_covariate_lags", "regressor_names", "exog_design", "exog_horizon", "fit_with_exog",
           "exog_forecast"]


def parse_covariate_lags(value: object) -> tuple[int, ...]:
    """``n`` means lags 1..n; a list gives the lags themselves (each >= 1). Raises ``ConfigError``."""
    if is_int(value, 1):
        return tuple(range(1, int(value) + 1))
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) and all(is_int(v, 1) for v in value):
        return tuple(sorted({int(v) for v in value}))
    raise ConfigError(f"covariate_lags must be a positive integer n (lags 1..n) or a non-empty list of positive "
                      f"integers, got {value!r}.")


def _layout(covariates: Covariates, owner: str) -> tuple[list[int], list[int]]:
    """Columns of ``X`` (in :attr:`Covariates.columns` order) holding past and known covariates."""
    if covariates.static:
        raise ConfigError(f"{owner} takes past and known covariates, not static ones {list(covariates.static)}: "
                          "a per-series constant is absorbed by the model's constant; drop them for this model.")
    kinds = [covariates.kind_of(c) for c in covariates.columns]
    return ([j for j, k in enumerate(kinds) if k == "past"], [j for j, k in enumerate(kinds) if k == "known"])


def regressor_names(covariates: Covariates, lags: tuple[int, ...]) -> list[str]:
    """Names of the regressors, in :func:`exog_design` column order: past at each lag, then known."""
    return ([f"{c}_lag{lag}" for c in covariates.past for lag in lags] + [str(c) for c in covariates.known])


def exog_design(X: np.ndarray, covariates: Covariates, lags: tuple[int, ...], owner: str) -> np.ndarray:
    """Regressors of every row of ``X`` ``(n, C)``: shape ``(n, k)``, NaN where a lag falls before the start."""
    past, known = _layout(covariates, owner)
    n = len(X)
    cols = []
    for j in past:
        for lag in lags:
            col = np.full(n, np.nan)
            col[lag:] = X[: n - lag, j] if lag < n else []
            cols.append(col)
    cols += [X[:, j].astype(float) for j in known]
    return np.column_stack(cols) if cols else np.empty((n, 0))


def exog_horizon(X: np.ndarray, X_future: np.ndarray, covariates: Covariates, lags: tuple[int, ...],
                 horizon: int, owner: str) -> np.ndarray:
    """Regressors of the ``horizon`` steps after the last row of ``X``: shape ``(horizon, k)``.

    Past covariates are read at rows up to the last one only: a step whose
    lagged value is not published yet at the cutoff (lag shorter than the step)
    takes the last published value, the random-walk forecast of the covariate.
    Known ones come from ``X_future``.
    """
    past, known = _layout(covariates, owner)
    n = len(X)
    cols = []
    for j in past:
        for lag in lags:
            rows = np.minimum(n - 1 + np.arange(1, horizon + 1) - lag, n - 1)  # never after the cutoff
            cols.append(np.where(rows >= 0, X[np.maximum(rows, 0), j], np.nan))
    if known:
        if X_future is None or len(X_future) < horizon:
            raise DataError(f"{owner}: known covariates {list(covariates.known)} need values for {horizon} step(s) "
                            "after the cutoff; pass them in 'future' (unique_id, ds and those columns).")
        cols += [np.asarray(X_future[:horizon, j], dtype=float) for j in known]
    out = np.column_stack(cols) if cols else np.empty((horizon, 0))
    if np.isnan(out).any():
        raise DataError(f"{owner}: covariates {list(covariates.columns)} have missing values over the horizon of a "
                        "forecast; every regressor needs a value at every forecast step.")
    return out


def _usable_rows(design: np.ndarray, lags: tuple[int, ...], covariates: Covariates, owner: str) -> int:
    """First row with every lagged value; NaN after it is a ``DataError``."""
    first = max(lags) if covariates.past else 0
    if first >= len(design):
        raise DataError(f"{owner}: covariate_lags up to {max(lags)} leave no rows of a series of {len(design)} "
                        "observation(s) to fit; use a longer history or shorter lags.")
    bad = np.isnan(design[first:]).any(axis=1)
    if bad.any():
        row = first + int(np.argmax(bad))
        raise DataError(f"{owner}: covariates {list(covariates.columns)} are missing at row {row} of a series; "
                        "ARIMA regressors need a value at every row (set the data's 'missing' policy).")
    return first


def fit_with_exog(y: np.ndarray, X: np.ndarray, covariates: Covariates, lags: tuple[int, ...], owner: str,
                  fit: Callable[[np.ndarray, np.ndarray], SeriesFit]) -> SeriesFit:
    """Fit ``fit(y_used, exog_used)`` on the rows that have every lagged value; records the layout in ``extra``."""
    design = exog_design(X, covariates, lags, owner)
    first = _usable_rows(design, lags, covariates, owner)
    result = fit(y[first:], design[first:])
    result.extra["exog"] = {"covariates": covariates, "lags": lags, "first": first,
                            "names": regressor_names(covariates, lags)}
    result.info["covariates"] = regressor_names(covariates, lags)
    return result


def exog_forecast(fit: SeriesFit, y: np.ndarray, X: np.ndarray, X_future: np.ndarray,
                  horizon: int, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the ``horizon``-step forecast from the end of ``y`` with fixed parameters and regressors."""
    from statsmodels.tsa.arima.model import ARIMA

    layout = fit.extra.get("exog")
    if layout is None:
        raise DataError(f"{owner} was fitted without covariates but is asked to forecast with them; fit it with "
                        "the same covariates it forecasts with.")
    covariates, lags = layout["covariates"], layout["lags"]
    future = exog_horizon(X, X_future, covariates, lags, horizon, owner)
    design = exog_design(X, covariates, lags, owner)
    first = _usable_rows(design, lags, covariates, owner)
    results = ARIMA(y[first:], exog=design[first:], **fit.extra["spec"]).filter(fit.params)
    forecast = results.get_forecast(horizon, exog=future)
    return np.asarray(forecast.predicted_mean), np.asarray(forecast.var_pred_mean)
