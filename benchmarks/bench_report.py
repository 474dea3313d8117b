"""Cost of the comparison report: the tests, the tables, the figures, against the quickstart backtest itself.

Usage::

    flock /tmp/tsbench-bench.lock python benchmarks/bench_report.py [--repeats 3] [--series 3000]

Runs the quickstart once without the report (timed), then times, on its stored
results, the tables and tests alone, the whole report with figures, and a
batch of 1000 Diebold-Mariano tests (T = 200, h = 5). With ``--series N``
(N > 0) it also backtests N synthetic series with six cheap models (kept in
``--workdir``, so a second call reuses the stored cells) and times the tables
and the whole report of that run, printing the size of report.html and the
number of figures. Prints wall and CPU seconds (min over repeats).
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
    parser.add_argument("--series", type=int, default=0, help="also time the report of a run this large")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "tsbench-bench-report")
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
            ("full report with figures", timed(lambda: build_report(result.run_dir, run=run), args.repeats)),
        ]
    rng = np.random.default_rng(0)
    e1, e2 = rng.normal(size=(1000, 200)), rng.normal(size=(1000, 200))
    rows.append(("1000 DM tests, T=200, h=5 (one call)", timed(lambda: diebold_mariano(e1, e2, h=5), args.repeats)))
    if args.series > 0:
        rows += large_run(args.series, args.workdir, args.repeats)
    print(f"{'step':52s} {'wall s':>8s} {'cpu s':>8s}")
    for name, (wall, cpu) in rows:
        print(f"{name:52s} {wall:8.3f} {cpu:8.3f}")


def large_run(n_series: int, workdir: Path, repeats: int) -> list[tuple[str, tuple[float, float]]]:
    """Backtest ``n_series`` synthetic series (or reuse the stored cells) and time their report."""
    from tsbench.experiment import parse_experiment
    from tsbench.report.build import ReportOptions, build_report, compute_tables, load_run
    from tsbench.runner import run_experiment
    from tsbench.testing import synthetic_panel

    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / f"panel_{n_series}.csv"
    if not data.exists():
        synthetic_panel(n_series=n_series, length=120, seed=1).to_csv(data, index=False)
    raw = {"name": f"synthetic_{n_series}", "data": [{"source": f"csv:{data.name}"}],
           "backtest": {"horizon": 5, "origins": 10, "step": 5},
           "forecasters": [{"name": m, "model": m}
                           for m in ("naive", "drift", "mean", "seasonal_naive", "moving_average", "ses")],
           "metrics": ["mase", "mae", "rmse"], "baseline": "naive", "executor": {"kind": "processes", "workers": 2}}
    w, c = time.perf_counter(), time.process_time()
    result = run_experiment(parse_experiment(raw), base_dir=workdir, output=workdir / "out", progress=False,
                            report=False)
    backtest = (time.perf_counter() - w, time.process_time() - c)
    run = load_run(result.run_dir)
    rows = [(f"{n_series} series x 6 models backtest (or reuse)", backtest),
            (f"{n_series} series: tables and tests", timed(lambda: compute_tables(run, ReportOptions()), repeats)),
            (f"{n_series} series: full report", timed(lambda: build_report(result.run_dir, run=run), repeats))]
    page = result.run_dir / "report.html"
    figures = len(list((result.run_dir / "plots").glob("*.png")))
    print(f"{n_series} series: report.html {page.stat().st_size / 1e6:.2f} MB, {figures} figures, "
          f"tables.md {(result.run_dir / 'tables.md').stat().st_size / 1e6:.2f} MB")
    return rows


if __name__ == "__main__":
    main()
