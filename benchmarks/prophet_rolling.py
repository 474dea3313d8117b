"""Rolling-origin Prophet: tsbench's forecaster against a plain ``Prophet().fit(); predict()`` loop.

Both sides fit one model per series and origin on the same cells (the five
daily built-in series as log prices, horizon 5, refit at every origin) and
forecast the same business days. The plain loop uses the library's defaults,
with its console logging switched off so that printing does not slow it down.
tsbench runs through ``run_experiment`` with the process executor, so its times
include starting the workers and importing prophet in them.

    flock /tmp/tsbench-bench.lock python benchmarks/prophet_rolling.py
    python benchmarks/prophet_rolling.py --origins 10 --workers 1 --exact --diagnose 8

``--diagnose K`` refits every K-th origin in this process and compares the two
fits' log posterior densities (the objective both maximise), and their distance
to a fit polished with Newton's method from the better of the two.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tsbench.engine.origins import plan_backtest
from tsbench.experiment import parse_experiment
from tsbench.data.loader import load_panel
from tsbench.panel import iter_series
from tsbench.runner import run_experiment

SERIES = ("sp500", "nasdaq", "wti", "vix", "msft")
KEYS = ["unique_id", "cutoff", "h"]


def experiment(args: argparse.Namespace, workers: int, params: dict, out: Path):
    """The tsbench experiment for these arguments."""
    return parse_experiment({
        "name": "prophet_rolling",
        "data": [{"source": f"builtin:{s}", "target": "log_price", "last": args.last} for s in args.series],
        "backtest": {"horizon": args.horizon, "origins": args.origins, "step": args.step, "refit_every": 1},
        "forecasters": [{"name": "prophet", "model": "prophet", "params": params}],
        "metrics": ["mae"],
        "output": str(out),
        "executor": {"kind": "processes", "workers": workers},
    })


def run_tsbench(args, workers: int, params: dict) -> tuple[float, pd.DataFrame]:
    """Wall time of a fresh run and its forecasts."""
    with tempfile.TemporaryDirectory() as tmp:
        exp = experiment(args, workers, params, Path(tmp))
        started = time.perf_counter()
        result = run_experiment(exp, fresh=True, progress=False, report=False)  # the report is timed by bench_report.py
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise SystemExit(f"tsbench run failed: {result.failures[0]['error']}")
        return elapsed, result.forecasts[KEYS + ["y_pred"]]  # read before the folder is removed


def run_plain(args) -> tuple[float, pd.DataFrame]:
    """Wall time of the plain loop over the same cells, and its forecasts."""
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.CRITICAL)
    from prophet import Prophet

    exp = experiment(args, 1, {}, Path(tempfile.gettempdir()))
    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    rows = []
    started = time.perf_counter()
    for uid, g in iter_series(panel):
        frame = g[["ds", "y"]].reset_index(drop=True)
        for cut in plans[str(uid)].cutoffs:
            model = Prophet()
            model.fit(frame.iloc[: cut + 1])
            future = model.make_future_dataframe(periods=args.horizon, freq="B", include_history=False)
            yhat = model.predict(future)["yhat"].to_numpy()
            rows.append(pd.DataFrame({"unique_id": uid, "cutoff": frame["ds"].iloc[cut],
                                      "h": np.arange(1, args.horizon + 1), "y_plain": yhat}))
    elapsed = time.perf_counter() - started
    return elapsed, pd.concat(rows, ignore_index=True)


def compare(ours: pd.DataFrame, plain: pd.DataFrame) -> dict:
    """Absolute differences of the point forecasts (log scale), overall and per series."""
    both = ours.merge(plain, on=KEYS, how="outer", indicator=True)
    if (both["_merge"] != "both").any():
        raise SystemExit("tsbench and the plain loop forecast different cells")
    diff = (both["y_pred"] - both["y_plain"]).abs()
    return {
        "forecasts": int(len(diff)),
        "max": float(diff.max()),
        "mean": float(diff.mean()),
        "p99": float(diff.quantile(0.99)),
        "share_within_1e-3": float((diff <= 1e-3).mean()),
        "max_by_series": {str(k): float(v) for k, v in diff.groupby(both["unique_id"]).max().items()},
    }


def log_posterior(model, params: dict) -> float:
    """Prophet's log posterior density (up to a constant) of MAP parameters, for a linear additive model."""
    history = model.history
    features, prior_scales, _, _ = model.make_all_seasonality_features(history)
    x, t, y = features.to_numpy(), history["t"].to_numpy(), history["y_scaled"].to_numpy()
    tc = model.changepoints_t
    k, m, sigma = (float(params[p].ravel()[0]) for p in ("k", "m", "sigma_obs"))
    delta, beta = params["delta"].ravel(), params["beta"].ravel()
    a = (t[:, None] >= tc[None, :]).astype(float)
    mu = (k + a @ delta) * t + (m + a @ (-tc * delta)) + x @ beta
    return float(-(k**2 + m**2) / 50 - np.abs(delta).sum() / model.changepoint_prior_scale
                 - sigma**2 / 0.5 - np.sum(beta**2 / (2 * np.asarray(prior_scales) ** 2))
                 - len(y) * np.log(sigma) - np.sum((y - mu) ** 2) / (2 * sigma**2))


def diagnose(args) -> list[dict]:
    """On every ``--diagnose``-th origin: which fit has the higher posterior density, and how far
    each forecast is from a reference fit polished with Newton's method from the better of the two."""
    from prophet import Prophet

    from tsbench.forecasters.prophet import ProphetForecaster

    exp = experiment(args, 1, {}, Path(tempfile.gettempdir()))
    panel, _ = load_panel(exp.data)
    plans = plan_backtest(panel, exp.backtest)
    rows = []
    for uid, g in iter_series(panel):
        frame = g[["ds", "y"]].reset_index(drop=True)
        for cut in plans[str(uid)].cutoffs[:: args.diagnose]:
            plain = Prophet().fit(frame.iloc[: cut + 1])
            future = plain.make_future_dataframe(periods=args.horizon, freq="B", include_history=False)
            ours = ProphetForecaster().fit(g.iloc[: cut + 1]).states_[uid].model
            lp_plain, lp_ours = log_posterior(plain, plain.params), log_posterior(ours, ours.params)
            best = plain.params if lp_plain >= lp_ours else ours.params
            init = {p: v.reshape(-1) if p in ("delta", "beta") else float(v.ravel()[0]) for p, v in best.items()}
            polished = Prophet().fit(frame.iloc[: cut + 1], init=init, algorithm="Newton")
            y_ref = polished.predict(future)["yhat"].to_numpy()
            rows.append({
                "unique_id": uid, "cutoff": cut, "lp_tsbench_minus_plain": lp_ours - lp_plain,
                "plain_vs_polished": float(np.abs(plain.predict(future)["yhat"].to_numpy() - y_ref).max()),
                "tsbench_vs_polished": float(np.abs(ours.predict(future)["yhat"].to_numpy() - y_ref).max()),
            })
    table = pd.DataFrame(rows)
    print(f"\nFit quality on every {args.diagnose}-th origin (tsbench defaults vs the plain loop):")
    print("| series | cells | tsbench posterior higher | mean log-posterior gain | "
          "max abs diff to polished fit: plain | tsbench |")
    print("|---|---|---|---|---|---|")
    for uid, t in table.groupby("unique_id"):
        print(f"| {uid} | {len(t)} | {(t.lp_tsbench_minus_plain > 0).mean():.0%} | "
              f"{t.lp_tsbench_minus_plain.mean():+.2f} | {t.plain_vs_polished.max():.1e} | "
              f"{t.tsbench_vs_polished.max():.1e} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=40)
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--step", type=int, default=5)
    parser.add_argument("--last", type=int, default=1500, help="observations kept per series")
    parser.add_argument("--series", type=lambda s: s.split(","), default=list(SERIES))
    parser.add_argument("--workers", type=lambda s: [int(w) for w in s.split(",")], default=[1, 2])
    parser.add_argument("--exact", action="store_true",
                        help="also run tsbench with lbfgs_memory: null (Stan's default L-BFGS memory)")
    parser.add_argument("--diagnose", type=int, default=0, metavar="K",
                        help="also compare fit quality (log posterior) on every K-th origin")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    args = parser.parse_args()

    fits = len(args.series) * args.origins
    print(f"{len(args.series)} series x {args.origins} origins = {fits} fits per side, horizon {args.horizon}")
    plain_time, plain = run_plain(args)
    print(f"plain Prophet loop: {plain_time:.1f} s")
    runs = [("tsbench", {}, w) for w in args.workers]
    if args.exact:
        runs.append(("tsbench, lbfgs_memory: null", {"lbfgs_memory": None}, 1))
    report = {"fits": fits, "plain_s": plain_time, "runs": []}
    print("\n| run | workers | wall (s) | x plain | max abs diff | mean abs diff | within 1e-3 |")
    print("|---|---|---|---|---|---|---|")
    print(f"| plain `Prophet().fit(); predict()` | 1 | {plain_time:.1f} | 1.00 | - | - | - |")
    for label, params, workers in runs:
        elapsed, ours = run_tsbench(args, workers, params)
        diff = compare(ours, plain)
        report["runs"].append({"label": label, "params": params, "workers": workers, "wall_s": elapsed, "diff": diff})
        print(f"| {label} | {workers} | {elapsed:.1f} | {elapsed / plain_time:.2f} | {diff['max']:.1e} | "
              f"{diff['mean']:.1e} | {100 * diff['share_within_1e-3']:.1f}% |", flush=True)
    for run in report["runs"]:
        print(f"\n{run['label']} ({run['workers']} worker(s)), max abs diff by series: "
              + ", ".join(f"{k} {v:.1e}" for k, v in run["diff"]["max_by_series"].items()))
    if args.diagnose:
        report["diagnosis"] = diagnose(args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
