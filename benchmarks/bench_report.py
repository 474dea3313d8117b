"""Cost of the comparison report: the tests, the tables, the figures, against the quickstart backtest itself.

Usage::

    flock /tmp/tsbench-bench.lock python benchmarks/bench_report.py [--repeats 3]

Runs the quickstart once without the report (timed), then times, on its stored
results, the tables and tests alone, the whole report with figures, and a
batch of 1000 Diebold-Mariano tests (T = 200, h = 5). Prints wall and CPU
seconds (min over repeats).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeats: int) -> tuple[float, float]:
    """Minimum wall and CPU seconds of ``fn()`` over ``repeats`` calls."""
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from tsbench.experiment import load_experiment
    from tsbench.report.build import ReportOptions, build_report, compute_tables, load_run
    from tsbench.runner import run_experiment
    from tsbench.stats import diebold_mariano

    experiment = load_experiment(ROOT / "experiments" / "quickstart.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        w, c = time.perf_counter(), time.process_time()
        result = run_experiment(experiment, base_dir=ROOT / "experiments", output=tmp, progress=False, report=False)
        run_wall, run_cpu = time.perf_counter() - w, time.process_time() - c
        run = load_run(result.run_dir)
        import matplotlib  # noqa: F401  (import cost is paid once per process; keep it out of the loop)

        rows = [
            ("quickstart backtest, no report", (run_wall, run_cpu)),
            ("tables and tests (DM, PT, MCS, Friedman)", timed(lambda: compute_tables(run, ReportOptions()), args.repeats)),
            ("tables only written (no figures)",
             timed(lambda: build_report(result.run_dir, ReportOptions(plots=False), run=run), args.repeats)),
            ("full report with 16 figures", timed(lambda: build_report(result.run_dir, run=run), args.repeats)),
        ]
    rng = np.random.default_rng(0)
    e1, e2 = rng.normal(size=(1000, 200)), rng.normal(size=(1000, 200))
    rows.append(("1000 DM tests, T=200, h=5 (one call)", timed(lambda: diebold_mariano(e1, e2, h=5), args.repeats)))
    print(f"{'step':45s} {'wall s':>8s} {'cpu s':>8s}")
    for name, (wall, cpu) in rows:
        print(f"{name:45s} {wall:8.3f} {cpu:8.3f}")


if __name__ == "__main__":
    main()
