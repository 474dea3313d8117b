"""Tuning inside each refit block: no look-ahead, a search that finds a known answer, resuming a stopped search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("optuna")

from tsbench.config import BacktestSpec, TuneBudget, TuneSpec  # noqa: E402
from tsbench.engine.cells import plan_cells, run_cell  # noqa: E402
from tsbench.engine.inner import InnerPlan  # noqa: E402
from tsbench.engine.origins import plan_backtest  # noqa: E402
from tsbench.engine.tuning import Tuner, attach_tuners, make_tuner, with_params  # noqa: E402
from tsbench.errors import DataError  # noqa: E402
from tsbench.forecasters.baselines import MovingAverage  # noqa: E402
from tsbench.forecasters.registry import make_forecaster  # noqa: E402
from tsbench.panel import ID, Y  # noqa: E402
from tsbench.testing import synthetic_panel  # noqa: E402

BACKTEST = BacktestSpec(horizon=2, origins=4, step=3, refit_every=2, min_train=20)


def tuned_cells(panel, model, params, space, trials=3, backtest=BACKTEST, storage=None):
    plans = plan_backtest(panel, backtest)
    forecaster = make_forecaster(model, model, params)
    spec = TuneSpec.model_validate({"space": space, "validation": {"origins": 4, "step": 2}})
    tuner = make_tuner(spec, TuneBudget(trials=trials), backtest.horizon, backtest.min_train, seed=3,
                       storage_dir=storage)
    cells = plan_cells(panel, plans, [forecaster], backtest.horizon, (), seed=3)
    return attach_tuners(cells, {model: tuner}), plans


def searches(panel, model, params, space):
    """The tuning record of every block of every cell, by (series, block)."""
    cells, _ = tuned_cells(panel, model, params, space)
    out = {}
    for cell in cells:
        result = run_cell(cell)
        assert result.error is None, result.error
        for block in result.meta["tuning"]["blocks"]:
            trials = [(t["params"], t["score"]) for t in block["trials"]]
            out[(cell.series, block["block"])] = (block["chosen"], block["default_score"], trials)
    return out


def changed_after(panel, plans, block):
    """The panel with every value after ``block``'s training end replaced by a different path."""
    rng = np.random.default_rng(99)
    parts = []
    for uid, g in panel.groupby(ID, sort=False):
        end = plans[str(uid)].train_slice(block).stop
        y = g[Y].to_numpy().copy()
        y[end:] = y[end - 1] + np.cumsum(rng.normal(0, 2.0, len(y) - end))
        parts.append(g.assign(**{Y: y}))
    return pd.concat(parts, ignore_index=True)


TUNABLE = [
    ("moving_average", {}, {"window": {"type": "int", "low": 1, "high": 30}}),
    ("lightgbm", {"n_estimators": 8, "min_data_in_leaf": 5, "num_leaves": 4},
     {"lags": {"type": "int", "low": 1, "high": 8},
      "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True}}),
    ("arima", {}, {"order": {"type": "categorical", "choices": [[0, 1, 0], [1, 1, 0], [0, 1, 1]]}}),
    ("lstm", {"input_size": 8, "hidden_size": 4, "max_steps": 4, "batch_size": 16, "early_stopping": 0},
     {"hidden_size": {"type": "int", "low": 2, "high": 6}}),
]


@pytest.mark.parametrize(("model", "params", "space"), TUNABLE, ids=[t[0] for t in TUNABLE])
def test_a_blocks_search_does_not_see_data_after_its_training_end(model, params, space):
    if model == "lightgbm":
        pytest.importorskip("lightgbm")
    if model == "lstm":
        pytest.importorskip("torch")
    panel = synthetic_panel(2, 90, seed=1)
    _, plans = tuned_cells(panel, model, params, space)
    before = searches(panel, model, params, space)
    after = searches(changed_after(panel, plans, 0), model, params, space)
    first = [k for k in before if k[1] == 0]
    second = [k for k in before if k[1] == 1]
    assert first and second
    for key in first:  # same trials, same scores, same choice
        assert after[key] == before[key], key
    # the next block's training rows did change, and so did its search: the comparison can fail
    assert any(after[key][1:] != before[key][1:] for key in second)


def mean_reverting(n: int, window: int, seed: int) -> np.ndarray:
    """Each value is the mean of the previous ``window`` plus noise: a ``window`` moving average forecasts best."""
    rng = np.random.default_rng(seed)
    y = list(100 + rng.normal(0, 1, window))
    for _ in range(n - window):
        y.append(np.mean(y[-window:]) + rng.normal(0, 1))
    return np.array(y)


def test_the_search_finds_the_moving_average_window_that_generated_the_series():
    panel = pd.concat([pd.DataFrame({ID: f"s{i}", "ds": pd.bdate_range("2020-01-01", periods=400),
                                     Y: mean_reverting(400, 7, seed=i)}) for i in range(3)], ignore_index=True)
    plan = InnerPlan(origins=250, step=1, horizon=1, refit_every=None, min_train=20)
    space = {"window": {"type": "int", "low": 2, "high": 25}}  # 24 values, 16 trials
    tuner = Tuner(space, trials=16, seconds=None, plan=plan, metric="mae", sampler="tpe", seed=0)
    session = tuner.start("ma")
    chosen = session.model_for(MovingAverage(window=20), panel, block=0)
    record = session.blocks[0]
    assert chosen.window == 7 and record["chosen"] == {"window": 7}
    assert len(record["trials"]) == 16
    assert len({t["params"]["window"] for t in record["trials"]}) < 24  # it did not try every value
    assert record["best_score"] < record["default_score"]


def test_a_stopped_search_resumes_from_its_journal(tmp_path):
    import optuna

    panel = synthetic_panel(1, 80, seed=2)
    plan = InnerPlan(origins=4, step=2, horizon=2, refit_every=2, min_train=20)
    space = {"window": {"type": "int", "low": 1, "high": 30}}
    # a run stopped after three trials left them (and only finished trials) in its journal
    short = Tuner(space, 3, None, plan, "mae", pruner="median", seed=1, storage_dir=str(tmp_path))
    first = short.start("cell")
    first.model_for(MovingAverage(), panel, 0)
    journal = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(tmp_path / "cell.journal")))
    stored = optuna.load_study(study_name="block-0", storage=journal)
    assert len(stored.get_trials()) == 3 and stored.user_attrs["default_score"] == first.blocks[0]["default_score"]
    full = Tuner(space, 6, None, plan, "mae", pruner="median", seed=1, storage_dir=str(tmp_path))
    session = full.start("cell")
    session.model_for(MovingAverage(), panel, 0)
    record = session.blocks[0]
    assert record["resumed_trials"] == 3
    assert record["trials"][:3] == first.blocks[0]["trials"]  # kept, not run again
    assert len(record["trials"]) == 6 and all(t["state"] in ("complete", "pruned") for t in record["trials"])
    assert len({t["params"]["window"] for t in record["trials"]}) > 3  # the resumed sampler drew new values
    again = full.start("cell")
    again.model_for(MovingAverage(), panel, 0)  # a finished search only reads its journal
    assert again.blocks[0]["trials"] == record["trials"] and again.blocks[0]["resumed_trials"] == 6


def test_tune_every_keeps_the_last_choice_between_searches():
    panel = synthetic_panel(1, 90, seed=4)
    backtest = BacktestSpec(horizon=2, origins=6, step=2, refit_every=2, min_train=20)  # three blocks
    cells, _ = tuned_cells(panel, "moving_average", {}, {"window": {"type": "int", "low": 1, "high": 30}},
                           backtest=backtest)
    cell = cells[0]
    tuner = cell.tuner.__class__(**{**vars(cell.tuner), "tune_every": 2})
    result = run_cell(type(cell)(**{**vars(cell), "tuner": tuner}))
    assert [b["block"] for b in result.meta["tuning"]["blocks"]] == [0, 2]
    assert result.meta["n_fits"] == 3


def test_an_inner_validation_longer_than_the_training_data_is_refused_before_work():
    panel = synthetic_panel(2, 60, seed=0)
    plans = plan_backtest(panel, BACKTEST)
    spec = TuneSpec.model_validate({"space": {"window": {"type": "int", "low": 1, "high": 5}},
                                    "validation": {"origins": 30, "step": 2}})
    tuner = make_tuner(spec, TuneBudget(trials=2), BACKTEST.horizon, BACKTEST.min_train, seed=0)
    cells = plan_cells(panel, plans, [make_forecaster("ma", "moving_average")], BACKTEST.horizon, (), 0)
    with pytest.raises(DataError, match=r"30 inner origin\(s\) 2 apart with horizon 2, which needs at least 80 "
                                        r"training observations.*series 's0' has 49.*tune.validation"):
        attach_tuners(cells, {"ma": tuner})


def test_with_params_keeps_the_instance_when_nothing_changes():
    model = MovingAverage(window=5)
    assert with_params(model, {"window": 5}) is model
    other = with_params(model, {"window": 6})
    assert other is not model and other.window == 6 and other.name == model.name


@pytest.mark.parametrize("sampler", ["grid", "random"])
def test_grid_and_random_samplers_choose_the_best_value_they_tried(sampler):
    from tsbench.engine.inner import inner_folds, inner_scores

    panel = synthetic_panel(1, 120, seed=5)
    plan = InnerPlan(origins=30, step=1, horizon=1, refit_every=None, min_train=20)
    space = {"window": {"type": "int", "low": 2, "high": 24, "step": 2}}  # 12 values
    tuner = Tuner(space, 12, None, plan, "rmse", sampler=sampler, seed=0)
    session = tuner.start("k")
    session.model_for(MovingAverage(), panel, 0)
    record = session.blocks[0]
    tried = {t["params"]["window"] for t in record["trials"]}
    assert tried <= set(range(2, 25, 2))
    if sampler == "grid":
        assert tried == set(range(2, 25, 2))  # twelve trials cover the grid of twelve
    folds = inner_folds(panel, plan)
    by_hand = {w: list(inner_scores(MovingAverage(w), folds, "rmse"))[-1] for w in tried}
    assert record["chosen"]["window"] == min(by_hand, key=by_hand.get)
    assert record["best_score"] == pytest.approx(min(by_hand.values()))


def test_a_seconds_budget_runs_trials_until_its_time_is_spent():
    panel = synthetic_panel(1, 80, seed=6)
    plan = InnerPlan(origins=4, step=2, horizon=2, refit_every=None, min_train=20)
    tuner = Tuner({"window": {"type": "int", "low": 1, "high": 30}}, None, 0.3, plan, "mae", seed=0)
    session = tuner.start("k")
    session.model_for(MovingAverage(), panel, 0)
    assert len(session.blocks[0]["trials"]) >= 1 and session.blocks[0]["chosen"]


@pytest.mark.parametrize("pruner", ["median", "halving"])
def test_pruners_stop_poor_trials_between_inner_refits(pruner):
    panel = synthetic_panel(1, 100, seed=7)
    plan = InnerPlan(origins=8, step=2, horizon=2, refit_every=2, min_train=20)  # four inner fits
    tuner = Tuner({"window": {"type": "int", "low": 1, "high": 40}}, 12, None, plan, "mae", pruner=pruner, seed=0)
    session = tuner.start("k")
    session.model_for(MovingAverage(), panel, 0)
    trials = session.blocks[0]["trials"]
    pruned = [t for t in trials if t["pruned"]]
    assert pruned and all(t["state"] == "pruned" and t["score"] is not None for t in pruned)
    complete = [t["score"] for t in trials if t["state"] == "complete"]
    assert session.blocks[0]["best_score"] == min(complete)
