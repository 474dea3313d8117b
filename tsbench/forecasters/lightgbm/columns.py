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
from dataclasses import dataclass

from tsbench.covariates import Covariates

__all__ = ["CovariateColumns", "covariate_columns"]


@dataclass(frozen=True)
class CovariateColumns:
    """Covariate columns by how they are read; ``categorical`` ones become LightGBM categorical features."""

    known: tuple[str, ...] = ()
    past: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()

    def feature_names(self, covariate_lags: tuple[int, ...]) -> list[str]:
        """Feature names in design-matrix order: known, then past at each lag, then static."""
        names = [f"known_{c}" for c in self.known]
        names += [f"past_{c}_lag{lag}" for c in self.past for lag in covariate_lags]
        return names + [f"static_{c}" for c in self.static]

    def categorical_features(self, covariate_lags: tuple[int, ...]) -> list[str]:
        """The feature names that come from categorical columns (every lag of a categorical past column)."""
        cat = set(self.categorical)
        names = [f"known_{c}" for c in self.known if c in cat]
        names += [f"past_{c}_lag{lag}" for c in self.past if c in cat for lag in covariate_lags]
        return names + [f"static_{c}" for c in self.static if c in cat]


def covariate_columns(params: Mapping[str, object], declared: Covariates) -> CovariateColumns:
    """The columns read, from the declaration or else from the parameters; ``ValueError`` when both are given."""
    known, past = tuple(params["known_covariates"] or ()), tuple(params["past_covariates"] or ())
    if isinstance(params["known_covariates"], str):
        known = (params["known_covariates"],)
    if isinstance(params["past_covariates"], str):
        past = (params["past_covariates"],)
    if not declared:
        return CovariateColumns(known=known, past=past)
    if known or past:
        given = {k: list(v) for k, v in (("known_covariates", known), ("past_covariates", past)) if v}
        raise ValueError(
            f"covariates are declared for this forecaster ({declared.describe()}) and also given as "
            f"parameters {given}; use one or the other: drop the parameters (declared covariates are read "
            "by their declared kind) or drop the forecaster's 'covariates:'."
        )
    return CovariateColumns(known=declared.known, past=declared.past, static=declared.static,
                            categorical=declared.categorical)
