"""Whole `tsbench run --no-report` processes on cheap models, from a few long series to many short ones.

Run from the repository root::

    python benchmarks/engine_scale.py                 # shapes a, b, c and the overhead run
    python benchmarks/engine_scale.py --shapes a b    # some of them
    python benchmarks/engine_scale.py --shapes d --series-d 100000   # on a Dask CLI cluster
    python benchmarks/engine_scale.py --statsforecast # also time statsforecast's cross_validation on a and b

Shapes (random walk, drift and a 20-observation moving average on every series):

a. the fixed split of published benchmarks: 8 series x 7,588 business days, train/val/test
   0.7/0.1/0.2, input_size 96, horizon 96, step 1 (1,422 origins per series);
b. 1,000 series x 600 observations, 50 origins 5 apart, horizon 5, refit at every origin;
c. 10,000 series of shape b;
d. shape b on ``--series-d`` series, run against a scheduler and two workers started with
   Dask's own command-line tools on 127.0.0.1.

The data are seeded geometric random walks on a business-day calendar, written as long parquet
files. Each run is a fresh ``tsbench run`` process under ``/usr/bin/time -v``: wall time and peak
resident memory (the largest single process of the run: GNU time reports the biggest of the
children it waited for). "Model time" is the sum over cells of the time spent inside the models'
own fit and predict (from ``manifest.json``); overhead = (wall - model time) / wall, with one worker.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
MODELS = [{"name": "naive", "model": "naive"}, {"name": "drift", "model": "drift"},
          {"name": "moving_average", "model": "moving_average", "params": {"window": 20}}]
ROLLING = {"horizon": 5, "origins": 50, "step": 5, "refit_every": 1}
SPLIT = {"protocol": "split", "train": 0.7, "val": 0.1, "test": 0.2, "input_size": 96, "horizon": 96}


def walks(n_series: int, n_obs: int, seed: int = 0) -> pd.DataFrame:
    """Long panel ``unique_id, ds, price`` of seeded geometric random walks on business days."""
    rng = np.random.default_rng(seed)
    ds = pd.bdate_range("1990-01-02", periods=n_obs)
    steps = rng.normal(0.0002, 0.01, (n_series, n_obs)).astype(np.float64)
    prices = 100.0 * np.exp(np.cumsum(steps, axis=1))
    width = len(str(n_series - 1))
    ids = np.repeat(np.array([f"s{i:0{width}d}" for i in range(n_series)], dtype=object), n_obs)
    return pd.DataFrame({"unique_id": ids, "ds": np.tile(ds.to_numpy(), n_series), "price": prices.reshape(-1)})


def write_experiment(folder: Path, shape: str, n_series: int, n_obs: int, backtest: dict, executor: dict) -> Path:
    data = folder / f"{shape}.parquet"
    if not data.exists():
        walks(n_series, n_obs).to_parquet(data, index=False)
    exp = {"name": f"scale_{shape}", "data": [{"source": f"parquet:{data.name}", "target": "price",
                                               "columns": {"id": "unique_id", "time": "ds", "value": "price"}}],
           "backtest": backtest, "forecasters": MODELS, "metrics": ["mae"], "baseline": "naive",
           "output": str(folder / f"out_{shape}"), "executor": executor, "seed": 0}
    path = folder / f"{shape}-{executor['kind']}-{executor.get('workers', 'x')}.yaml"
    path.write_text(json.dumps(exp))  # JSON is YAML
    return path


def run(path: Path) -> dict:
    """One fresh `tsbench run --no-report` process: wall, peak RSS, and the models' own time."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "tsbench", "run", str(path), "--no-report", "--fresh"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=path.parent)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{path.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    manifest = json.loads(next((path.parent / json.loads(path.read_text())["output"]).glob("*/manifest.json")).read_text())
    model = sum(c.get("fit_time", 0.0) + c.get("predict_time", 0.0) for c in manifest["cells"])
    timing = manifest.get("timing", {})
    return {"wall_s": wall, "peak_rss_mb": rss_kb / 1024, "model_s": model, "cells": len(manifest["cells"]),
            "execute_s": timing.get("execute_time")}


def statsforecast_cv(folder: Path, shape: str, backtest: dict) -> float:
    """Seconds of a fresh process running statsforecast's cross_validation on the same data and origins."""
    data = folder / f"{shape}.parquet"
    code = f"""
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import Naive, RandomWalkWithDrift, WindowAverage
df = pd.read_parquet({str(data)!r}).rename(columns={{'price': 'y'}})
n = df.groupby('unique_id').size().iloc[0]
h = {backtest['horizon']}
if {backtest.get('protocol') == 'split'}:
    windows, step = n - h - int((0.7 + 0.1) * n) + 1, 1
else:
    windows, step = {backtest.get('origins', 0)}, {backtest.get('step', 1)}
sf = StatsForecast(models=[Naive(), RandomWalkWithDrift(), WindowAverage(window_size=20)], freq='B', n_jobs=2)
cv = sf.cross_validation(df=df, h=h, n_windows=windows, step_size=step, refit=True)
print(len(cv))
"""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dask_cluster(folder: Path):
    """A scheduler and two single-threaded workers started with Dask's CLI on 127.0.0.1."""
    from dask.distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(folder / "dask.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=log, stderr=log)]
    procs += [subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                                "--memory-limit", "0"], env=env, stdout=log, stderr=log) for _ in range(2)]
    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["a", "b", "c", "overhead"])
    parser.add_argument("--series-d", type=int, default=100_000)
    parser.add_argument("--statsforecast", action="store_true")
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="tsbench-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load: {os.getloadavg()}  folder: {folder}")
    two = {"kind": "processes", "workers": 2}
    shapes = {
        "a": (8, 7588, SPLIT, two),
        "b": (1000, 600, ROLLING, two),
        "overhead": (1000, 600, ROLLING, {"kind": "processes", "workers": 1}),
        "c": (10_000, 600, ROLLING, two),
    }
    rows = []
    for shape in args.shapes:
        if shape == "d":
            address, procs = dask_cluster(folder)
            try:
                path = write_experiment(folder, f"d{args.series_d}", args.series_d, 600, ROLLING,
                                        {"kind": "dask", "address": address})
                rows.append({"shape": f"d ({args.series_d} series, Dask CLI)", **run(path)})
            finally:
                for p in reversed(procs):
                    p.terminate()
                    p.wait(timeout=30)
        else:
            n, obs, backtest, executor = shapes[shape]
            data_shape = "b" if shape == "overhead" else shape
            path = write_experiment(folder, data_shape, n, obs, backtest, executor)
            row = {"shape": shape, **run(path)}
            if shape == "overhead":
                row["overhead"] = (row["wall_s"] - row["model_s"]) / row["wall_s"]
                row["overhead_execute"] = (row["execute_s"] - row["model_s"]) / row["execute_s"]
            if args.statsforecast and shape in ("a", "b"):
                row["statsforecast_s"] = statsforecast_cv(folder, shape, backtest)
                row["ratio"] = row["wall_s"] / row["statsforecast_s"]
            rows.append(row)
        print(json.dumps(rows[-1]), flush=True)
    print(f"load after: {os.getloadavg()}")
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
