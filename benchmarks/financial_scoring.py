"""Time the financial evaluation of a finished run: scoring per scale, trading metrics, sub-periods.

Usage: python benchmarks/financial_scoring.py [experiments/finance_daily.yaml] [--repeat 3]
The backtest itself is run (or resumed from its stored cells) first and is not timed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tsbench.experiment import load_experiment
from tsbench.data.loader import load_panel_levels
from tsbench.experiment import metric_plans_of
from tsbench.metrics.registry import get_metric
from tsbench.metrics.scoring import metrics_by_period, score
from tsbench.runner import run_experiment


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
    plans = metric_plans_of(experiment)
    kind = lambda name: get_metric(name).kind  # noqa: E731
    groups = {
        "point metrics on the target": [p for p in plans if p.scale == "target" and not get_metric(p.name).needs_quantiles],
        "point metrics converted to another scale": [p for p in plans if p.scale not in ("target", "price")
                                                     or (p.scale == "price" and kind(p.name) != "trading")],
        "quantile metrics": [p for p in plans if get_metric(p.name).needs_quantiles],
        "trading metrics (+ buy-and-hold)": [p for p in plans if kind(p.name) == "trading"],
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
