"""Time the financial evaluation of a finished run: scoring per scale, trading metrics, sub-periods.

Usage: python benchmarks/financial_scoring.py [experiments/finance_daily.yaml] [--repeat 3]
The backtest itself is run (or resumed from its stored cells) first and is not timed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tsbench.config import load_experiment
from tsbench.data.loader import load_panel_levels
from tsbench.metric_plan import plan_metrics
from tsbench.metrics import QUANTILE_METRICS, TRADING_METRICS
from tsbench.periods import metrics_by_period
from tsbench.runner import run_experiment
from tsbench.scoring import score


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", nargs="?", default="experiments/finance_daily.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    experiment = load_experiment(args.file)
    result = run_experiment(experiment, base_dir=Path(args.file).parent, progress=False)
    panel, levels, infos = load_panel_levels(experiment.data, Path(args.file).parent)
    targets = {i.unique_id: i.target for i in infos}
    plans = plan_metrics(experiment)
    base = lambda name: name.rpartition("_")[0] if name.rpartition("_")[0] in QUANTILE_METRICS else name  # noqa: E731
    groups = {
        "point metrics on the target": [p for p in plans if p.scale == "target" and base(p.name) not in QUANTILE_METRICS],
        "point metrics converted to another scale": [p for p in plans if p.scale not in ("target", "price")
                                                     or (p.scale == "price" and p.name not in TRADING_METRICS)],
        "quantile metrics": [p for p in plans if base(p.name) in QUANTILE_METRICS],
        "trading metrics (+ buy-and-hold)": [p for p in plans if p.name in TRADING_METRICS],
        "all metrics": plans,
    }
    fc = result.forecasts
    print(f"{args.file}: {len(fc)} forecast rows, {fc['unique_id'].nunique()} series, "
          f"{fc['model'].nunique()} models, {len(plans)} metric columns")
    print("| step | metrics | seconds (best of %d) |" % args.repeat)
    print("|---|---|---|")
    for label, group in groups.items():
        seconds = best_of(args.repeat, lambda: score(fc, panel, levels, targets, group))
        print(f"| score: {label} | {len(group)} | {seconds:.3f} |")
    seconds = best_of(args.repeat, lambda: metrics_by_period(fc, panel, levels, targets, plans, experiment.periods))
    print(f"| metrics_by_period (years + named periods) | {len(plans)} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
