"""The covariate leakage audit of the conformance suite: nothing after a cutoff may move its forecast.

A forecaster whose ``covariates`` tag lists the kinds it takes is given one
numeric covariate of each of those kinds on a seeded panel (see
:func:`covariate_panel`), fitted, and asked for forecasts at several cutoffs.
Each check then perturbs what the forecaster must not read and asks again:

- y and past covariates at any row after a cutoff;
- known covariates at any row after the cutoff plus the horizon (they are
  known in advance for the horizon, never further).

The forecast made at that cutoff must stay the same. :func:`check_leakage_origins`
asks ``predict_origins`` with a history that runs past the cutoffs;
:func:`check_leakage_future` asks ``predict`` from a context ending at each
cutoff with ``future`` rows that run past the horizon. Forecasters without
covariate support get a skipped result saying so.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from tsbench.conformance import CheckResult, adapted, fresh, same_forecasts, synthetic_panel
from tsbench.covariates import Covariates
from tsbench.panel import DS, ID, Y

__all__ = ["COVARIATE_NAMES", "covariate_panel", "check_leakage_origins", "check_leakage_future",
           "check_covariate_leakage", "covariate_kinds"]

#: The column of the audit's covariate of each kind.
COVARIATE_NAMES = {"past": "cov_past", "known": "cov_known", "static": "cov_static"}
#: Each audit draws a panel never shown before (as the no-look-ahead check does).
_PANELS = itertools.count()


def covariate_kinds(forecaster) -> tuple[str, ...]:
    """The kinds of covariate ``forecaster`` takes (its ``covariates`` tag), in past, known, static order."""
    tags = forecaster.all_tags() if callable(getattr(forecaster, "all_tags", None)) else dict(forecaster.tags)
    takes = tuple(tags.get("covariates") or ())
    return tuple(kind for kind in COVARIATE_NAMES if kind in takes)


def covariate_panel(kinds, n_series: int = 2, length: int = 120, timestamps: bool = True, seed: int = 0,
                    prefix: str = "s") -> tuple[pd.DataFrame, Covariates]:
    """:func:`~tsbench.conformance.synthetic_panel` with one numeric covariate of each kind in ``kinds``.

    The past covariate is a random walk that ``y`` follows one row later (so a
    model has something to read), the known one a weekly cycle with noise, the
    static one a number per series. Returns the panel and its :class:`Covariates`.
    """
    panel = synthetic_panel(n_series, length, timestamps, seed=seed, prefix=prefix)
    rng = np.random.default_rng(seed + 7919)
    row = panel.groupby(ID, sort=False).cumcount().to_numpy()
    series = panel[ID].factorize()[0]
    names = {kind: COVARIATE_NAMES[kind] for kind in COVARIATE_NAMES if kind in kinds}
    if "past" in names:
        walk = np.concatenate([np.cumsum(rng.normal(0, 0.1, length)) for _ in range(n_series)])  # y stays positive
        panel[names["past"]] = walk
        lagged = np.where(row > 0, np.r_[np.nan, walk[:-1]], 0.0)
        panel[Y] = panel[Y].to_numpy() + 0.3 * lagged
    if "known" in names:
        panel[names["known"]] = np.sin(2 * np.pi * row / 5) + rng.normal(0, 0.1, len(panel))
    if "static" in names:
        panel[names["static"]] = 1.0 + series.astype(float)
    return panel, Covariates(*((names[kind],) if kind in names else () for kind in COVARIATE_NAMES))


def check_leakage_origins(forecaster, horizon: int = 5, seed: int = 0) -> CheckResult:
    """``predict_origins`` from several cutoffs never reads y or past covariates after them, nor known ones after
    the horizon: perturbing them leaves each cutoff's forecast as it was."""
    setup = _Setup.make(forecaster, horizon, seed)
    if isinstance(setup, CheckResult):
        return setup
    base = setup.origins(setup.panel)
    for c in setup.cuts:  # everything at once; one kind at a time only to name what leaked
        if _moved(setup, base, c, setup.perturbable()):
            what = next(w for w in setup.perturbable() if _moved(setup, base, c, [w]))
            return _fail(f"predict_origins: perturbing {setup.describe(what, c)} changed a forecast made at or "
                         f"before that cutoff: the forecaster reads {_reads(what)}")
    return CheckResult("", True)


def _moved(setup: _Setup, base: pd.DataFrame, c: int, kinds: list[str]) -> bool:
    changed = setup.origins(setup.perturbed(kinds, c))
    return not same_forecasts(_at_or_before(base, setup, c), _at_or_before(changed, setup, c), rtol=1e-9, atol=1e-12)


def check_leakage_future(forecaster, horizon: int = 5, seed: int = 0) -> CheckResult:
    """``predict`` from a context ending at a cutoff, with ``future`` rows past the horizon, never reads those,
    and gives the forecast ``predict_origins`` gives at that cutoff."""
    setup = _Setup.make(forecaster, horizon, seed)
    if isinstance(setup, CheckResult):
        return setup
    base = setup.origins(setup.panel)
    for c in setup.cuts:
        context = setup.panel[setup.row <= c].reset_index(drop=True)
        first = setup.predict(context, setup.panel, c)
        if setup.covariates.known:
            again = setup.predict(context, setup.perturbed(["known"], c), c)
            if not same_forecasts(first, again, rtol=1e-9, atol=1e-12):
                return _fail(f"predict: perturbing {setup.describe('known', c)} in 'future' changed the forecast: "
                             "the forecaster reads known covariates beyond the horizon")
        want = base[base["cutoff"] == setup.cutoff_ds(c)]
        if not same_forecasts(first, want):
            return _fail(f"predict from the context ending at row {c} (with its future rows) forecast otherwise than "
                         "predict_origins at that cutoff: one of them reads covariates from the wrong rows")
    return CheckResult("", True)


def check_covariate_leakage(forecaster, horizon: int = 5, seed: int = 0) -> CheckResult:
    """Both leakage checks; the first failure, or a pass (a skip for models without covariate support)."""
    for check in (check_leakage_origins, check_leakage_future):
        result = check(forecaster, horizon, seed)
        if not result.passed or result.skipped:
            return result
    return CheckResult("", True)


class _Setup:
    """A fitted model with the audit's covariates, its panel and cutoffs, and how to perturb them."""

    def __init__(self, model, panel: pd.DataFrame, covariates: Covariates, cuts: tuple[int, ...], horizon: int,
                 length: int, seed: int) -> None:
        self.model, self.panel, self.covariates, self.cuts = model, panel, covariates, cuts
        self.horizon, self.length, self.seed = horizon, length, seed
        self.row = panel.groupby(ID, sort=False).cumcount().to_numpy()
        at = np.isin(self.row, cuts)
        self.cutoffs = pd.DataFrame({ID: panel.loc[at, ID].to_numpy(), "cutoff": panel.loc[at, DS].to_numpy()})

    @classmethod
    def make(cls, forecaster, horizon: int, seed: int) -> _Setup | CheckResult:
        forecaster = adapted(forecaster)
        kinds = covariate_kinds(forecaster)
        if not kinds:
            return CheckResult("", True, "the model takes no covariates (its 'covariates' tag is empty)",
                               skipped=True)
        k = next(_PANELS)
        length = max(120, int(forecaster.all_tags().get("min_train_size") or 2) + 50)
        # the panel runs 2 * horizon rows past the history, so 'future' can reach beyond every horizon
        panel, covariates = covariate_panel(kinds, 2, length + 2 * horizon, seed=20_011 + k, prefix=f"leak{k}_")
        cuts = tuple(length - 1 - horizon * m for m in (3, 2, 1))
        model = fresh(forecaster, seed)
        model.use_covariates(covariates)
        row = panel.groupby(ID, sort=False).cumcount().to_numpy()
        model.fit(panel[row <= cuts[0]].reset_index(drop=True))
        return cls(model, panel, covariates, cuts, horizon, length, seed)

    def perturbable(self) -> list[str]:
        return ["y", *(kind for kind in ("past", "known") if getattr(self.covariates, kind))]

    def perturbed(self, kinds: list[str], c: int) -> pd.DataFrame:
        """The panel with ``kinds`` (y, past, known) scrambled where they must not be read from cutoff ``c``."""
        out = self.panel.copy()
        rng = np.random.default_rng(self.seed + c)
        for what in kinds:
            rows = self.row > (c + self.horizon if what == "known" else c)
            for col in [Y] if what == "y" else getattr(self.covariates, what):
                values = out[col].to_numpy(dtype=float, copy=True)
                # large and positive, so that models of log returns still see valid (positive) levels
                values[rows] = np.abs(values[rows]) * 3 + np.abs(rng.normal(0, 50, int(rows.sum())))
                out[col] = values
        return out

    def describe(self, what: str, c: int) -> str:
        when = f"after cutoff + horizon (row {c} + {self.horizon})" if what == "known" else f"after cutoff row {c}"
        name = "y" if what == "y" else f"the {what} covariate"
        return f"{name} {when}"

    def cutoff_ds(self, c: int):
        return self.panel.loc[self.row == c, DS].iloc[0]

    def _future(self, panel: pd.DataFrame, after: int) -> dict:
        if not self.covariates.known:
            return {}
        rows = (self.row > after) & (self.row <= after + 2 * self.horizon)
        return {"future": panel.loc[rows, [ID, DS, *self.covariates.known]].reset_index(drop=True)}

    def origins(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Forecasts at every cutoff from the history of ``panel`` (its first ``length`` rows) and its future."""
        history = panel[self.row < self.length].reset_index(drop=True)
        return self.model.predict_origins(history, self.cutoffs, self.horizon, **self._future(panel, self.length - 1))

    def predict(self, context: pd.DataFrame, panel: pd.DataFrame, c: int) -> pd.DataFrame:
        return self.model.predict(context, self.horizon, **self._future(panel, c))


def _at_or_before(forecasts: pd.DataFrame, setup: _Setup, c: int) -> pd.DataFrame:
    return forecasts[forecasts["cutoff"] <= setup.cutoff_ds(c)]


def _reads(what: str) -> str:
    if what == "known":
        return "known covariates beyond the horizon after a cutoff"
    return ("y" if what == "y" else "past covariates") + " at rows after the cutoff it forecasts from"


def _fail(detail: str) -> CheckResult:
    return CheckResult("", False, detail)
