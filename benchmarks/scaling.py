"""Scaling of the runner: a CPU-bound ARIMA experiment with 1 and 2 worker processes, and the runner's overhead.

Run from the repository root::

    python benchmarks/scaling.py            # 20 series, prints a Markdown table
    python benchmarks/scaling.py --series 8 --origins 4   # a quicker look

Speed-up is the executor phase's wall time with one worker over that with two.
Overhead is (wall time - sum of the cells' own compute times) / wall time, for
the executor phase and for the whole run (data loading, planning and the final
tables included). Each configuration runs ``--repeat`` times with ``--fresh``;
the best wall time is kept, since on a shared machine the noise only adds time.
"Worker busy" is the sum of cell times over (workers x executor phase): near
100% means the runner keeps every worker fed, whatever the machine's load.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one thread per worker, so workers do not fight over cores

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tsbench.experiment import parse_experiment  # noqa: E402
from tsbench.forecasters.base import LocalForecaster  # noqa: E402
from tsbench.runner import run_experiment  # noqa: E402

__all__ = ["StatsmodelsARIMA", "main"]


class StatsmodelsARIMA(LocalForecaster):
    """ARIMA(p, d, q) by statsmodels' state-space maximum likelihood: CPU-bound work for the benchmark."""

    name = "sm_arima"

    def __init__(self, order: tuple = (1, 1, 1)) -> None:
        self.order = order

    def _fit_one(self, y):
        from statsmodels.tsa.arima.model import ARIMA

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ARIMA(y, order=tuple(self.order)).fit()

    def _predict_one(self, state, y, horizon):
        result = state if len(y) == state.nobs else state.apply(y)
        return np.asarray(result.forecast(horizon))


def _panel_csv(folder: Path, n_series: int, length: int) -> Path:
    rng = np.random.default_rng(0)
    frames = []
    for i in range(n_series):
        shocks = rng.normal(0, 1, length)
        ar = np.zeros(length)
        for t in range(1, length):
            ar[t] = 0.5 * ar[t - 1] + shocks[t] + 0.3 * shocks[t - 1]
        frames.append(pd.DataFrame({"unique_id": f"s{i:02d}", "ds": pd.bdate_range("2015-01-01", periods=length),
                                    "y": 100 + np.cumsum(ar) * 0.1}))
    path = folder / "panel.csv"
    pd.concat(frames).to_csv(path, index=False)
    return path


def _experiment(data: Path, executor: dict, origins: int):
    return parse_experiment({
        "name": "scaling",
        "data": [{"source": f"csv:{data}"}],
        "backtest": {"horizon": 5, "origins": origins, "step": 5, "refit_every": 1},
        "forecasters": [{"name": "arima", "model": "scaling:StatsmodelsARIMA", "params": {"order": [1, 1, 1]}}],
        "metrics": ["mae"],
        "executor": executor,
    })


def _measure(data: Path, out: Path, executor: dict, origins: int, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        result = run_experiment(_experiment(data, executor, origins), output=out, fresh=True, progress=False,
                                report=False)  # the report is timed by bench_report.py
        wall = time.perf_counter() - t0
        manifest = json.loads((result.run_dir / "manifest.json").read_text())
        cells = sum(c["wall_time"] for c in manifest["cells"])
        cpu = sum(c["cpu_time"] for c in manifest["cells"])
        row = {"executor": executor["kind"], "workers": executor.get("workers", 1), "cells": len(manifest["cells"]),
               "run_wall": wall, "execute_wall": manifest["timing"]["execute_time"], "cell_time": cells,
               "cell_cpu": cpu,
               "parent_cpu": time.process_time() - cpu0, "failed": len(result.failures)}
        if best is None or row["execute_wall"] < best["execute_wall"]:
            best = row
    return best


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the results as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--length", type=int, default=600)
    parser.add_argument("--origins", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # so workers can import 'scaling'
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent),
                                                os.environ.get("PYTHONPATH", "")])
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = _panel_csv(folder, args.series, args.length)
        rows = [_measure(data, folder / "out", ex, args.origins, args.repeat) for ex in (
            {"kind": "serial"}, {"kind": "processes", "workers": 1}, {"kind": "processes", "workers": 2})]
    one, two = rows[1], rows[2]
    print(f"{args.series} series x {args.origins} origins (refit at each), ARIMA(1,1,1) by statsmodels; "
          f"load average at start {load:.1f} on {os.cpu_count()} cores\n")
    print("| executor | workers | cells | run wall s | executor phase s | sum of cell wall s | sum of cell CPU s "
          "| overhead (phase) | overhead (run) | worker busy |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        busy = r["cell_time"] / (r["workers"] * r["execute_wall"])
        phase, run = ((f"{1 - r['cell_time'] / r['execute_wall']:.1%}", f"{1 - r['cell_time'] / r['run_wall']:.1%}")
                      if r["workers"] == 1 else ("—", "—"))  # with 2 workers cells overlap: not defined
        print(f"| {r['executor']} | {r['workers']} | {r['cells']} | {r['run_wall']:.2f} | {r['execute_wall']:.2f} "
              f"| {r['cell_time']:.2f} | {r['cell_cpu']:.2f} | {phase} | {run} | {busy:.0%} |")
    print(f"\nspeed-up, 2 workers over 1 (executor phase): {one['execute_wall'] / two['execute_wall']:.2f}x; "
          f"whole run: {one['run_wall'] / two['run_wall']:.2f}x; cores actually obtained with 2 workers "
          f"(sum of cell CPU / phase wall): {two['cell_cpu'] / two['execute_wall']:.2f}")


if __name__ == "__main__":
    main()
