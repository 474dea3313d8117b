"""Rolling-origin LightGBM benchmark: tsbench's global recursive model against a plain per-series loop.

Five daily built-in series as log prices, horizon 5, 40 origins 5 steps apart,
a refit at every origin, lags 1..20 of the differenced target, 100 trees.
It reports wall time and MASE of

* tsbench's ``lightgbm`` forecaster (global, recursive) run through
  :func:`tsbench.run_experiment` with one worker and with two;
* a plain loop that fits one LightGBM model per series and origin with the same
  booster settings, building features with pandas and forecasting step by step,
  as one would write it without tsbench;
* the random walk on the same cells.

Run from the repository root::

    python benchmarks/lightgbm_rolling.py
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

from tsbench.engine.origins import plan_backtest
from tsbench.experiment import parse_experiment
from tsbench.data.loader import load_panel
from tsbench.forecasters.lightgbm.params import booster_params
from tsbench.forecasters.lightgbm.model import LightGBMForecaster
from tsbench.metrics.evaluation import evaluate
from tsbench.panel import DS, ID, Y
from tsbench.runner import run_experiment

SERIES = ("sp500", "nasdaq", "wti", "vix", "msft")
HORIZON, ORIGINS, STEP, LAGS, TREES = 5, 40, 5, 20, 100


def experiment(models: list[dict], workers: int) -> dict:
    """The benchmark's experiment, as the mapping an experiment file would hold."""
    executor = {"kind": "serial"} if workers == 1 else {"kind": "processes", "workers": workers}
    return {
        "name": "lightgbm_rolling",
        "data": [{"source": f"builtin:{s}", "target": "log_price", "last": 1500} for s in SERIES],
        "backtest": {"horizon": HORIZON, "origins": ORIGINS, "step": STEP, "refit_every": 1},
        "forecasters": models,
        "metrics": ["mase"],
        "executor": executor,
        "seed": 0,
    }


def lgbm_params(threads: int, reuse_bins: bool = False) -> dict:
    return {"lags": LAGS, "transform": "difference", "n_estimators": TREES, "num_threads": threads,
            "reuse_bins": reuse_bins}


def run_tsbench(models: list[dict], workers: int, out: str) -> tuple[float, pd.DataFrame]:
    """Wall time of a fresh run and its per-series MASE."""
    exp = parse_experiment(experiment(models, workers))
    started = time.perf_counter()
    result = run_experiment(exp, output=out, fresh=True, progress=False, report=False)  # the report is timed by bench_report.py
    elapsed = time.perf_counter() - started
    if result.failures:
        raise RuntimeError(f"cells failed: {result.failures}")
    return elapsed, result.metrics


def plain_loop(panel: pd.DataFrame, plans: dict, params: dict) -> tuple[float, pd.DataFrame]:
    """One LightGBM per series and origin, pandas lag features, step-by-step recursive forecasts."""
    import lightgbm as lgb

    started = time.perf_counter()
    rows = []
    for uid, g in panel.groupby(ID, sort=False):
        y = g[Y].to_numpy()
        ds = g[DS].to_numpy()
        for cut in plans[str(uid)].cutoffs:
            diff = pd.Series(y[: cut + 1]).diff()
            X = pd.concat({f"lag{k}": diff.shift(k) for k in range(1, LAGS + 1)}, axis=1)
            ok = X.notna().all(axis=1) & diff.notna()
            booster = lgb.train(params, lgb.Dataset(X[ok], diff[ok], params=params), num_boost_round=TREES)
            recent = list(diff.to_numpy()[-LAGS:])
            level = y[cut]
            for h in range(1, HORIZON + 1):
                features = pd.DataFrame([recent[::-1][:LAGS]], columns=X.columns)
                change = float(booster.predict(features)[0])
                recent.append(change)
                level += change
                rows.append((uid, ds[cut], ds[cut + h], h, "plain_loop", y[cut + h], level))
    elapsed = time.perf_counter() - started
    frame = pd.DataFrame(rows, columns=[ID, "cutoff", DS, "h", "model", "y", "y_pred"])
    return elapsed, frame


def mean_mase(metrics: pd.DataFrame, model: str) -> float:
    m = metrics[(metrics["model"] == model) & (metrics["metric"] == "mase") & (metrics["h"] == 0)]
    return float(m["value"].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each timing; the fastest is kept")
    parser.add_argument("--threads", type=int, default=1, help="also time one worker with this many LightGBM threads")
    args = parser.parse_args()
    exp = parse_experiment(experiment([{"name": "random_walk", "model": "naive"}], 1))
    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    params = booster_params({**LightGBMForecaster().get_params(), **lgbm_params(1), "seed": 0})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rw_time, rw_metrics = run_tsbench([{"name": "random_walk", "model": "naive"}], 1, f"{tmp}/rw")
        rw = mean_mase(rw_metrics, "random_walk")
        loop = [plain_loop(panel, plans, params) for _ in range(args.repeat)]
        loop_time = min(t for t, _ in loop)
        loop_mase = mean_mase(evaluate(loop[0][1], panel, ["mase"]), "plain_loop")
        rows.append(("plain per-series loop (1 thread)", loop_time, loop_mase))
        settings = [(1, 1, False), (2, 1, False), (1, 1, True)]
        settings += [(1, args.threads, False)] if args.threads > 1 else []
        for workers, threads, reuse in settings:
            model = [{"name": "lightgbm", "model": "lightgbm", "params": lgbm_params(threads, reuse)}]
            runs = [run_tsbench(model, workers, f"{tmp}/w{workers}t{threads}{reuse}") for _ in range(args.repeat)]
            t = min(r[0] for r in runs)
            label = f"tsbench global recursive, {workers} worker(s), num_threads {threads}"
            rows.append((label + (", reuse_bins" if reuse else ""), t, mean_mase(runs[0][1], "lightgbm")))
    print(f"random walk: MASE {rw:.4f} (run time {rw_time:.2f} s)\n")
    print("| run | wall time (s) | time / plain loop | MASE | MASE / random walk |")
    print("|---|---|---|---|---|")
    for name, t, m in rows:
        print(f"| {name} | {t:.2f} | {t / loop_time:.2f}x | {m:.4f} | {m / rw:.3f}x |")


if __name__ == "__main__":
    main()
