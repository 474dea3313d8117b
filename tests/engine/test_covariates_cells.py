"""Covariates in cells: each forecaster sees only its own columns, known values ahead, X on the array path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import covariate_fixtures as cf
from tsbench.config import BacktestSpec
from tsbench.covariates import Covariates
from tsbench.engine.cells import cell_key, plan_cells, run_cell
from tsbench.engine.executors import ProcessExecutor, SerialExecutor
from tsbench.engine.origins import plan_backtest
from tsbench.errors import DataError
from tsbench.forecasters.baselines import Naive
from tsbench.leakage import covariate_panel
from tsbench.panel import DS, ID

ALL = Covariates(past=("cov_past",), known=("cov_known",), static=("cov_static",))
KEYS = [ID, "cutoff", "h"]


def panel_and_plans(n_series=3, length=90, horizon=3, origins=8, refit_every=3, seed=0):
    panel, _ = covariate_panel(("past", "known", "static"), n_series, length, seed=seed)
    spec = BacktestSpec(horizon=horizon, origins=origins, step=1, refit_every=refit_every)
    return panel, plan_backtest(panel, spec)


def named(forecaster, name, covariates=None):
    forecaster.name = name
    if covariates is not None:
        forecaster.use_covariates(covariates)
    return forecaster


def forecasts(cells):
    results = [run_cell(c) for c in cells]
    assert all(r.error is None for r in results), [r.error for r in results]
    return pd.concat([r.forecasts for r in results], ignore_index=True).sort_values(KEYS).reset_index(drop=True)


def test_a_cell_holds_only_the_covariates_its_forecaster_reads():
    panel, plans = panel_and_plans()
    panel["return"] = 0.0  # a column that is no covariate stays for everyone
    models = [named(cf.LaggedRegression(), "past_only", ALL.only(["cov_past"])), named(Naive(), "naive"),
              named(cf.LaggedRegression(), "everything", ALL)]
    cells = plan_cells(panel, plans, models, 3, (), 0, covariates=ALL)
    seen = {c.name: set(c.data.extra) for c in cells}
    assert seen == {"past_only": {"return", "cov_past"}, "naive": {"return"},
                    "everything": {"return", "cov_past", "cov_known", "cov_static"}}


def test_a_forecaster_without_covariates_never_sees_covariate_columns_nor_does_a_fallback():
    panel, plans = panel_and_plans()
    plain = named(cf.ColumnCounter(), "plain")
    full = named(cf.ColumnCounter(), "full", ALL)
    failing = named(cf.Failing(), "failing", ALL)
    out = forecasts(plan_cells(panel, plans, [plain, full, failing], 3, (), 0, covariates=ALL,
                               fallbacks={"failing": named(cf.ColumnCounter(), "counter")}))
    by_model = out.groupby("model")["y_pred"].unique()
    assert list(by_model["plain"]) == [0.0]  # no covariate column in its training frames or contexts
    assert list(by_model["full"]) == [303.0]
    assert list(by_model["failing"]) == [0.0]  # the fallback forecast every origin, and saw no covariate


def test_covariate_columns_are_hidden_even_when_not_declared_to_plan_cells():
    panel, plans = panel_and_plans()
    cells = plan_cells(panel, plans, [named(cf.ColumnCounter(), "plain"),
                                      named(cf.ColumnCounter(), "full", ALL)], 3, (), 0)
    assert {c.name: len(c.data.extra) for c in cells} == {"plain": 0, "full": 3}


def test_cell_keys_change_with_covariates_and_stay_as_before_without():
    panel, plans = panel_and_plans(n_series=1)
    (bare,) = plan_cells(panel, plans, [named(cf.LaggedRegression(), "m")], 3, (), 0, covariates=ALL)
    (some,) = plan_cells(panel, plans, [named(cf.LaggedRegression(), "m", ALL.only(["cov_past"]))], 3, (), 0,
                         covariates=ALL)
    (more,) = plan_cells(panel, plans, [named(cf.LaggedRegression(), "m", ALL)], 3, (), 0, covariates=ALL)
    assert len({bare.key, some.key, more.key}) == 3
    assert bare.key == cell_key("m", {"weight": 0.1}, bare.series, bare.blocks)  # stored cells stay reusable


@pytest.mark.parametrize("batch", [False, True])
def test_future_holds_the_known_values_of_the_rows_after_each_context(batch):
    panel, plans = panel_and_plans()
    # with batch_origins, predict_origins from the whole history: known values after earlier cutoffs come from it
    model = cf.EchoKnownBatch() if batch else cf.EchoKnown()
    out = forecasts(plan_cells(panel, plans, [named(model, "echo", ALL.only(["cov_known"]))], 3, (), 0,
                               covariates=ALL))
    truth = out.merge(panel[[ID, DS, "cov_known"]], on=[ID, DS])
    assert len(truth) == len(out) == 3 * 8 * 3
    np.testing.assert_array_equal(truth["y_pred"].to_numpy(), truth["cov_known"].to_numpy())


def test_array_and_frame_paths_give_identical_forecasts_with_covariates():
    panel, plans = panel_and_plans()
    arrays = plan_cells(panel, plans, [named(cf.LaggedRegression(), "reg", ALL)], 3, (), 0, covariates=ALL)
    frames = plan_cells(panel, plans, [named(cf.LaggedRegression(), "reg", ALL)], 3, (), 0, covariates=ALL,
                        fallbacks={"reg": named(Naive(), "naive")})  # a fallback runs the cell on frames
    a, b = forecasts(arrays), forecasts(frames)
    assert b["fallback"].isna().all()
    np.testing.assert_allclose(a["y_pred"], b["y_pred"], rtol=0, atol=1e-12)
    without = forecasts(plan_cells(panel, plans, [named(cf.LaggedRegression(), "reg")], 3, (), 0, covariates=ALL))
    assert not np.allclose(a["y_pred"], without["y_pred"])


def test_the_past_covariate_reaches_fit_and_predict_on_the_array_path():
    # y follows the past covariate one row later: regressing on it forecasts y almost exactly
    rng = np.random.default_rng(3)
    rows = []
    for uid in ("a", "b"):
        x = np.cumsum(rng.normal(0, 1, 120))
        y = np.r_[0.0, x[:-1]] + rng.normal(0, 0.01, 120)
        rows.append(pd.DataFrame({ID: uid, DS: pd.bdate_range("2021-01-01", periods=120), "y": y, "cov_past": x}))
    panel = pd.concat(rows, ignore_index=True)
    plans = plan_backtest(panel, BacktestSpec(horizon=1, origins=20, step=1, refit_every=5))
    cov = Covariates(past=("cov_past",))
    out = forecasts(plan_cells(panel, plans, [named(cf.LaggedRegression(), "with", cov),
                                              named(Naive(), "naive")], 1, (), 0, covariates=cov))
    mae = out.assign(err=(out["y"] - out["y_pred"]).abs()).groupby("model")["err"].mean()
    assert mae["with"] < 0.05 < mae["naive"]


def test_serial_and_processes_give_identical_forecasts_with_covariates(monkeypatch):
    # the workers import the fixtures module by name, as they would a user's plugin module
    tests = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (tests, os.environ.get("PYTHONPATH")) if p))
    panel, plans = panel_and_plans(n_series=4)
    models = [named(cf.LaggedRegression(), "reg", ALL), named(cf.EchoKnown(), "echo", ALL.only(["cov_known"]))]
    cells = plan_cells(panel, plans, models, 3, (), 0, covariates=ALL, workers=2)

    def run(executor):
        try:
            results = list(executor.map_unordered(run_cell, cells, lambda cell, error, trace: error))
        finally:
            executor.close()
        assert all(not isinstance(r, str) and r.error is None for r in results), results
        return pd.concat([r.forecasts for r in results]).sort_values(["model", *KEYS]).reset_index(drop=True)

    pd.testing.assert_frame_equal(run(SerialExecutor()), run(ProcessExecutor(workers=2)))


def test_a_missing_known_value_is_a_data_error_before_any_work():
    panel, plans = panel_and_plans()
    when = panel[DS].iloc[50]
    panel.loc[(panel[ID] == "s1") & (panel[DS] == when), "cov_known"] = np.nan
    models = [named(cf.EchoKnown(), "echo", ALL.only(["cov_known"]))]
    with pytest.raises(DataError, match=f"known covariate 'cov_known' has no value for series 's1' at {when.date()}"):
        plan_cells(panel, plans, models, 3, (), 0, covariates=ALL)
    # a forecaster that does not read it is not stopped by it
    assert plan_cells(panel, plans, [named(cf.LaggedRegression(), "reg", ALL.only(["cov_past"]))], 3, (), 0,
                      covariates=ALL)


def test_a_missing_known_value_that_reaches_a_cell_fails_it_with_a_named_error():
    panel, plans = panel_and_plans(n_series=1)
    (cell,) = plan_cells(panel, plans, [named(cf.LaggedRegression(), "reg", ALL)], 3, (), 0, covariates=ALL)
    cell.data.extra["cov_known"] = cell.data.extra["cov_known"].copy()
    cell.data.extra["cov_known"][-1] = np.nan
    result = run_cell(cell)
    assert result.error.startswith("DataError: known covariates ['cov_known'] are missing over the horizon")
