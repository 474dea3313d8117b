"""Which panel columns the LightGBM forecaster reads as covariates, and the features they become.

Covariates reach the model in one of two ways, never both at once:

- **declared** (the experiment file's ``covariates:``, or
  :meth:`~tsbench.forecasters.base.BaseForecaster.use_covariates`): the
  forecaster's ``covariates`` attribute says which columns are past, known,
  static and categorical;
- **parameters** ``known_covariates`` and ``past_covariates`` (from Python),
  which name panel columns by kind.

Giving both is refused: the two could disagree on a column's kind (a column
declared past but named in ``known_covariates`` would be read after the
cutoff), and silently preferring one would hide that.
"""

from __future__ import annotations

from collections.abc import Mapping

from tsbench.covariates import Covariates

__all__ = ["covariate_columns", "feature_names", "categorical_features"]


def feature_names(columns: Covariates, covariate_lags: tuple[int, ...]) -> list[str]:
    """Feature names in design-matrix order: known, then past at each lag, then static."""
    names = [f"known_{c}" for c in columns.known]
    names += [f"past_{c}_lag{lag}" for c in columns.past for lag in covariate_lags]
    return names + [f"static_{c}" for c in columns.static]


def categorical_features(columns: Covariates, covariate_lags: tuple[int, ...]) -> list[str]:
    """The feature names that come from categorical columns (every lag of a categorical past column)."""
    cat = set(columns.categorical)
    return [name for name, column in zip(feature_names(columns, covariate_lags), _sources(columns, covariate_lags))
            if column in cat]


def _sources(columns: Covariates, covariate_lags: tuple[int, ...]) -> list[str]:
    return [*columns.known, *(c for c in columns.past for _ in covariate_lags), *columns.static]


def covariate_columns(params: Mapping[str, object], declared: Covariates) -> Covariates:
    """The columns read, from the declaration or else from the parameters; ``ValueError`` when both are given."""
    known, past = tuple(params["known_covariates"] or ()), tuple(params["past_covariates"] or ())
    if isinstance(params["known_covariates"], str):
        known = (params["known_covariates"],)
    if isinstance(params["past_covariates"], str):
        past = (params["past_covariates"],)
    if not declared:
        return Covariates(past=past, known=known)
    if known or past:
        given = {k: list(v) for k, v in (("known_covariates", known), ("past_covariates", past)) if v}
        raise ValueError(
            f"covariates are declared for this forecaster ({declared.describe()}) and also given as "
            f"parameters {given}; use one or the other: drop the parameters (declared covariates are read "
            "by their declared kind) or drop the forecaster's 'covariates:'."
        )
    return declared
