"""Tuned forecasters keep their covariates on every trial, and the inner validation hands them known values."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("optuna")

import covariate_fixtures as cf  # noqa: E402
from tsbench.config import BacktestSpec, TuneBudget, TuneSpec  # noqa: E402
from tsbench.covariates import Covariates  # noqa: E402
from tsbench.engine.cells import plan_cells, run_cell  # noqa: E402
from tsbench.engine.inner import InnerPlan, inner_folds, inner_scores  # noqa: E402
from tsbench.engine.origins import plan_backtest  # noqa: E402
from tsbench.engine.search import build  # noqa: E402
from tsbench.engine.tuning import attach_tuners, make_tuner, with_params  # noqa: E402
from tsbench.leakage import covariate_panel  # noqa: E402
from tsbench.panel import DS, ID, Y  # noqa: E402

ALL = Covariates(past=("cov_past",), known=("cov_known",), static=("cov_static",))


def test_rebuilt_models_keep_their_covariates():
    model = cf.LaggedRegression().use_covariates(ALL)
    model.name = "reg"
    for new in (with_params(model, {"weight": 0.5}), build(model, {"weight": 0.7})):
        assert new is not model and new.covariates == ALL and new.name == "reg"


def test_the_inner_validation_gives_known_values_after_each_folds_history():
    panel, _ = covariate_panel(("known",), 2, 60, seed=1)
    plan = InnerPlan(origins=4, step=2, horizon=3, refit_every=2, min_train=20)
    folds = inner_folds(panel, plan)
    for fold in folds:
        assert Y not in fold.future.columns
        for uid, rows in fold.future.groupby(ID):
            last = fold.history.loc[fold.history[ID] == uid, DS].max()
            want = panel[(panel[ID] == uid) & (panel[DS] > last)].head(3)
            np.testing.assert_array_equal(rows["cov_known"].to_numpy(), want["cov_known"].to_numpy())
    echo = cf.EchoKnown().use_covariates(Covariates(known=("cov_known",)))
    scores = list(inner_scores(echo, folds, "mae"))
    assert len(scores) == 2 and np.isfinite(scores).all()


def test_a_tuned_forecaster_reads_its_covariates_on_every_trial():
    panel, _ = covariate_panel(("past", "known", "static"), 2, 90, seed=2)
    backtest = BacktestSpec(horizon=2, origins=4, step=3, refit_every=2, min_train=20)
    plans = plan_backtest(panel, backtest)
    model = cf.LaggedRegression().use_covariates(ALL)
    model.name = "reg"
    spec = TuneSpec.model_validate({"space": {"weight": {"type": "float", "low": 0.0, "high": 1.0}},
                                    "validation": {"origins": 4, "step": 2}})
    tuner = make_tuner(spec, TuneBudget(trials=3), backtest.horizon, backtest.min_train, seed=3)
    plain = plan_cells(panel, plans, [cf.LaggedRegression()], 2, (), 3)
    cells = attach_tuners(plan_cells(panel, plans, [model], 2, (), 3, covariates=ALL), {"reg": tuner})
    assert {c.key for c in cells}.isdisjoint(c.key for c in plain)
    for cell in cells:
        result = run_cell(cell)
        assert result.error is None, result.traceback
        trials = [t for b in result.meta["tuning"]["blocks"] for t in b["trials"]]
        assert trials and all(t["state"] == "complete" and np.isfinite(t["score"]) for t in trials)
