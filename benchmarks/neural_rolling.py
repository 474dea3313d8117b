"""Neural forecasters on five daily built-in series: training and prediction time, MASE against the random walk.

Five daily series as log prices (last 1500 observations each), horizon 5, 40
origins 5 steps apart; each model is trained once before the first origin and
then predicts every origin in one batched pass (``refit_every: once``). Run::

    flock /tmp/tsbench-bench.lock python benchmarks/neural_rolling.py --threads 1 2
    python benchmarks/neural_rolling.py --device cuda     # on a GPU machine
"""

from __future__ import annotations

import argparse
import platform
import time

import pandas as pd

from tsbench.engine.origins import plan_backtest
from tsbench.engine.cells import plan_cells, run_cell
from tsbench.experiment import parse_experiment
from tsbench.data.loader import load_panel
from tsbench.metrics.evaluation import evaluate
from tsbench.forecasters.registry import make_forecaster

SERIES = ["sp500", "nasdaq", "wti", "vix", "msft"]
MODELS = ["lstm", "transformer"]


def experiment(seed: int):
    """The benchmark's data and backtest, as an experiment (the forecasters are made below)."""
    return parse_experiment(
        {
            "name": "neural_rolling",
            "data": [{"source": f"builtin:{s}", "target": "log_price", "last": 1500} for s in SERIES],
            "backtest": {"horizon": 5, "origins": 40, "step": 5, "window": "expanding", "refit_every": "once"},
            "forecasters": [{"name": "random_walk", "model": "naive"}],
            "metrics": ["mase"],
            "seed": seed,
        },
        check_models=False,
    )


def run(threads: int, device: str, seed: int, params: dict, quantiles=()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest the random walk and both neural models; return timings and MASE per series.

    With two ``quantiles``, the timings also give the share of actuals inside that interval.
    """
    exp = experiment(seed)
    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    forecasters = [make_forecaster("random_walk", "naive")] + [
        make_forecaster(m, m, {"num_threads": threads, "device": device, **params}) for m in MODELS
    ]
    cells = plan_cells(panel, plans, forecasters, exp.backtest.horizon, tuple(quantiles), exp.seed)
    forecasts, timings = [], []
    for cell in cells:
        started = time.perf_counter()
        result = run_cell(cell)
        if result.error:
            raise RuntimeError(f"{cell.name}: {result.error}\n{result.traceback}")
        forecasts.append(result.forecasts)
        row = {"model": cell.name, "threads": threads, "device": device,
               "fit_s": result.meta["fit_time"], "predict_40_origins_s": result.meta["predict_time"],
               "cell_s": time.perf_counter() - started}
        if len(quantiles) == 2:
            fc = result.forecasts
            lo, hi = (f"q_{q:g}" for q in sorted(quantiles))
            row["coverage"] = float(((fc["y"] >= fc[lo]) & (fc["y"] <= fc[hi])).mean())
        if cell.name in MODELS or len(quantiles) == 2:
            timings.append(row)
    metrics = evaluate(pd.concat(forecasts, ignore_index=True), panel, ["mase"])
    mase = metrics[metrics["h"] == 0].pivot_table(index="unique_id", columns="model", values="value")
    return pd.DataFrame(timings), mase


def markdown(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table (without the optional tabulate dependency)."""
    rows = [list(map(str, frame.columns))] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * len(frame.columns), *lines[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch CPU threads to try")
    parser.add_argument("--device", default="cpu", help="'cpu', 'cuda' or 'auto'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-steps", type=int, default=None, help="override the models' step budget")
    parser.add_argument("--quantiles", type=float, nargs=2, default=(), help="also forecast this interval")
    args = parser.parse_args()
    params = {} if args.max_steps is None else {"max_steps": args.max_steps}
    print(f"python {platform.python_version()}, {platform.machine()}, device {args.device}")
    mase = None
    for threads in args.threads:
        timing, mase = run(threads, args.device, args.seed, params, args.quantiles)
        if len(args.quantiles) == 2:  # one row per random-walk cell: summarise them
            timing = timing.groupby("model", as_index=False).agg(
                {"threads": "first", "device": "first", "fit_s": "sum", "predict_40_origins_s": "sum",
                 "cell_s": "sum", "coverage": "mean"})
        print(markdown(timing.round(2)), "\n")
    summary = pd.concat([mase.mean().rename("mean MASE"), (mase.mean() / mase.mean()["random_walk"]).rename("vs random walk")], axis=1)
    print(markdown(mase.round(3).reset_index()), "\n")
    print(markdown(summary.round(3).reset_index()))


if __name__ == "__main__":
    main()
