"""Rolling ARIMA(1,1,1) evaluation: a plain statsmodels loop against tsbench's fixed-parameter re-filtering.

The five daily built-in series as log prices (last 1500 observations, as in the
quickstart), horizon 5, 40 origins 5 apart. The plain loop fits statsmodels'
ARIMA afresh at every origin with its defaults and forecasts; tsbench runs the
same backtest with ``refit_every`` 1 and 5, with one worker (``serial``) and
with two (``processes``). Every variant is scored by tsbench's own MASE.

Run from the repository root::

    python benchmarks/arima_rolling.py [--repeats N]

BLAS is limited to one thread per process for every variant: the Kalman filter
works on 3x3 matrices, where extra BLAS threads only contend for the cores.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tsbench.engine.origins import plan_backtest  # noqa: E402
from tsbench.experiment import parse_experiment  # noqa: E402
from tsbench.data.loader import load_panel  # noqa: E402
from tsbench.metrics.evaluation import evaluate  # noqa: E402
from tsbench.panel import DS, ID, Y, iter_series  # noqa: E402
from tsbench.runner import run_experiment  # noqa: E402

SERIES = ("sp500", "nasdaq", "wti", "vix", "msft")
ORDER = (1, 1, 1)


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def experiment(refit_every: int, executor: dict, output: str) -> dict:
    """The experiment file of the benchmark, as a mapping."""
    return {
        "name": "arima_rolling",
        "data": [{"source": f"builtin:{s}", "target": "log_price", "last": 1500} for s in SERIES],
        "backtest": {"horizon": 5, "origins": 40, "step": 5, "window": "expanding", "refit_every": refit_every},
        "forecasters": [{"name": "arima", "model": "arima", "params": {"order": list(ORDER)}}],
        "metrics": ["mase"],
        "output": output,
        "executor": executor,
    }


def plain_loop(exp, **fit_kwargs) -> tuple[tuple[float, float], pd.DataFrame, pd.DataFrame]:
    """Fit statsmodels' ARIMA afresh at every origin and forecast; returns (wall, CPU) time, panel, forecasts."""
    from statsmodels.tsa.arima.model import ARIMA

    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    h = exp.backtest.horizon
    rows = []
    started, cpu = time.perf_counter(), cpu_seconds()
    for uid, g in iter_series(panel):
        y, ds = g[Y].to_numpy(dtype=float), g[DS].to_numpy()
        for cut in plans[str(uid)].cutoffs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecast = np.asarray(ARIMA(y[: cut + 1], order=ORDER).fit(**fit_kwargs).forecast(h))
            rows.append(pd.DataFrame({ID: uid, "cutoff": ds[cut], DS: ds[cut + 1 : cut + 1 + h],
                                      "h": np.arange(1, h + 1), "model": "plain", "y_pred": forecast,
                                      Y: y[cut + 1 : cut + 1 + h]}))
    elapsed = (time.perf_counter() - started, cpu_seconds() - cpu)
    return elapsed, panel, pd.concat(rows, ignore_index=True)


def mean_mase(forecasts: pd.DataFrame, panel: pd.DataFrame) -> float:
    """MASE over all steps, averaged over series, as the leaderboard reports it."""
    scores = evaluate(forecasts, panel, ["mase"])
    return float(scores.loc[scores["h"] == 0, "value"].mean())


def run_tsbench(refit_every: int, executor: dict) -> tuple[tuple[float, float], float]:
    """Time one tsbench run (fresh, nothing reused); returns its (wall, CPU) time and MASE."""
    with tempfile.TemporaryDirectory() as out:
        exp = parse_experiment(experiment(refit_every, executor, out))
        started, cpu = time.perf_counter(), cpu_seconds()
        result = run_experiment(exp, fresh=True, progress=False, report=False)  # the report is timed by bench_report.py
        elapsed = (time.perf_counter() - started, cpu_seconds() - cpu)
        if not result.ok:
            raise RuntimeError(f"tsbench run failed: {result.failures[0]['error']}")
        return elapsed, mean_mase(result.forecasts, load_panel(exp.data)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each variant; the fastest is reported")
    args = parser.parse_args()
    exp = parse_experiment(experiment(1, {"kind": "serial"}, tempfile.gettempdir()))
    variants = [
        ("tsbench refit_every=1, serial", 1, {"kind": "serial"}),
        ("tsbench refit_every=5, serial", 5, {"kind": "serial"}),
        ("tsbench refit_every=1, 2 processes", 1, {"kind": "processes", "workers": 2}),
        ("tsbench refit_every=5, 2 processes", 5, {"kind": "processes", "workers": 2}),
    ]
    results = {}
    # the second loop skips the parameter covariance, which forecasting does not need: it shows
    # how much of tsbench's gain comes from that alone rather than from re-filtering and warm starts
    for label, kwargs in (("plain statsmodels loop", {}), ("plain loop, cov_type='none'", {"cov_type": "none"})):
        times = []
        for _ in range(args.repeats):
            elapsed, panel, forecasts = plain_loop(exp, **kwargs)
            times.append(elapsed)
        results[label] = (min(times), mean_mase(forecasts, panel))
    for label, refit, executor in variants:
        runs = [run_tsbench(refit, executor) for _ in range(args.repeats)]
        results[label] = (min(r[0] for r in runs), runs[0][1])
    (base_wall, base_cpu), base_mase = results["plain statsmodels loop"]
    print("| variant | wall (s) | wall / plain loop | CPU (s) | CPU / plain loop | MASE | MASE / plain loop |")
    print("|---|---|---|---|---|---|---|")
    for label, ((wall, cpu), score) in results.items():
        print(f"| {label} | {wall:.1f} | {wall / base_wall:.3f} | {cpu:.1f} | {cpu / base_cpu:.3f} "
              f"| {score:.4f} | {score / base_mase:.4f} |")


if __name__ == "__main__":
    main()
