"""What a tuning trial costs: against one plain fit, and against the inner backtest it runs.

For each model, one search of ``--trials`` trials runs on the training data of
a first refit block (the first 800 observations of built-in daily series, as
log prices; 20 inner origins 5 apart, horizon 5, one fit per trial), with its
journal on disk as in a run. Then the very same inner backtests (the defaults
and every trial's parameters, in the same order) are replayed in a plain loop
without Optuna. The report gives, per model:

* one plain ``fit`` on the whole training data;
* the search's time per trial, and that time over one plain fit;
* the overhead of the search beyond the inner backtests themselves:
  ``search / replay - 1`` (target: at most 10%).

Each is measured on the wall clock and on this process's CPU clock (the CPU
clock is not inflated by other jobs on a shared machine; the wall clock also
counts the journal's disk writes), best of ``--repeat`` runs.

Run from the repository root::

    python benchmarks/tuning_overhead.py --trials 20 --repeat 3
"""

from __future__ import annotations

import argparse
import tempfile
import time

from tsbench.data.loader import load_panel
from tsbench.engine.inner import InnerPlan, inner_folds, inner_scores
from tsbench.engine.tuning import Tuner, with_params
from tsbench.experiment import parse_experiment
from tsbench.forecasters.base import clone
from tsbench.forecasters.registry import make_forecaster

SERIES = ("sp500", "nasdaq", "wti", "vix", "msft")
PLAN = InnerPlan(origins=20, step=5, horizon=5, refit_every=None, min_train=20)

#: name -> (model, params, series used, space)
MODELS = {
    "moving_average": ("moving_average", {}, SERIES[:1], {"window": {"type": "int", "low": 2, "high": 120}}),
    "arima": ("arima", {}, SERIES[:1], {"order": {"type": "categorical", "choices": [
        [0, 1, 1], [1, 1, 0], [1, 1, 1], [2, 1, 0], [0, 1, 2], [2, 1, 1], [1, 1, 2], [2, 1, 2]]},
        "trend": {"type": "categorical", "choices": ["n", "t"]}}),
    "lightgbm": ("lightgbm", {"n_estimators": 50}, SERIES, {
        "lags": {"type": "int", "low": 2, "high": 30}, "num_leaves": {"type": "int", "low": 4, "high": 31},
        "learning_rate": {"type": "float", "low": 0.01, "high": 0.2, "log": True}}),
    "lstm": ("lstm", {"max_steps": 50, "horizon": 5, "quantiles": (), "seed": 0}, SERIES, {
        "hidden_size": {"type": "int", "low": 8, "high": 32, "log": True},
        "learning_rate": {"type": "float", "low": 3e-4, "high": 1e-2, "log": True}}),
}


def training_rows(series: tuple[str, ...], rows: int = 800):
    """The first ``rows`` log prices of each series: the training data of a first block."""
    exp = parse_experiment({
        "name": "tuning_overhead", "data": [{"source": f"builtin:{s}", "target": "log_price"} for s in series],
        "backtest": {"horizon": 5, "origins": 1}, "forecasters": [{"name": "naive", "model": "naive"}],
    }, check_models=False)
    panel, _ = load_panel(exp.data)
    return panel.groupby("unique_id", sort=False).head(rows).reset_index(drop=True)


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """Wall and CPU seconds since ``start``."""
    wall, cpu = clocks()
    return wall - start[0], cpu - start[1]


def plain_fit(model, train) -> tuple[float, float]:
    fresh = clone(model)
    t0 = clocks()
    fresh.fit(train)
    return since(t0)


def search(model, train, space, trials: int) -> tuple[tuple[float, float], dict]:
    with tempfile.TemporaryDirectory() as folder:
        tuner = Tuner(space, trials, None, PLAN, "mase", sampler="tpe", seed=0, storage_dir=folder)
        session = tuner.start("bench")
        t0 = clocks()
        session.model_for(model, train, 0)
        return since(t0), session.blocks[0]


def replay(model, train, record) -> tuple[float, float]:
    """The same inner backtests as the search (defaults first, then each trial), without Optuna."""
    t0 = clocks()
    folds = inner_folds(train, PLAN)
    for params in [{}] + [t["params"] for t in record["trials"]]:
        *_, score = inner_scores(with_params(clone(model), params), folds, "mase")
    return since(t0)


def measure(name: str, trials: int, repeat: int) -> dict:
    model_name, params, series, space = MODELS[name]
    model = make_forecaster(name, model_name, params)
    train = training_rows(series)
    fits, searches, replays = [], [], []
    for _ in range(repeat):
        fits.append(plain_fit(model, train))
        took, record = search(model, train, space, trials)
        searches.append(took)
        replays.append(replay(model, train, record))
    out = {"model": name, "series": len(series), "trials": len(record["trials"])}
    for i, clock in enumerate(("wall", "cpu")):  # best of the repeats on each clock
        fit, took, again = (min(x[i] for x in xs) for xs in (fits, searches, replays))
        per_trial = took / (len(record["trials"]) + 1)  # the defaults are scored once per search too
        out[clock] = {"fit": fit, "trial": per_trial, "trial_over_fit": per_trial / fit, "search": took,
                      "replay": again, "overhead_pct": 100.0 * (took / again - 1.0)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs of each measurement")
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    print("| model | series | clock | one plain fit (s) | per trial (s) | trial / fit | search (s) | "
          "same inner backtests, no Optuna (s) | overhead |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.models:
        r = measure(name, args.trials, args.repeat)
        for clock in ("wall", "cpu"):
            c = r[clock]
            print(f"| {r['model']} | {r['series']} | {clock} | {c['fit']:.3f} | {c['trial']:.3f} | "
                  f"{c['trial_over_fit']:.2f}x | {c['search']:.2f} | {c['replay']:.2f} | {c['overhead_pct']:+.1f}% |",
                  flush=True)

if __name__ == "__main__":
    main()
