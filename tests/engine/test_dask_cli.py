"""An experiment run against a scheduler and two workers started with Dask's own command-line tools."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import experiment
from tsbench.runner import run_experiment

pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[2]
MODELS = [{"name": "nd", "model": "tests.helpers:NoisyDrift"}, {"name": "rw", "model": "naive"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cli(tmp_path):
    """``tcp://127.0.0.1:PORT`` of a `dask scheduler` with two `dask worker` processes (one thread each)."""
    from dask.distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=log, stderr=log)]
    procs += [subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard"],
                               env=env, stdout=log, stderr=log) for _ in range(2)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def test_dask_cli_cluster_gives_the_forecasts_of_the_process_pool(tmp_path, dask_cli):
    procs = run_experiment(experiment(tmp_path, MODELS, {"kind": "processes", "workers": 2}),
                           output=tmp_path / "processes", progress=False)
    dask = run_experiment(experiment(tmp_path, MODELS, {"kind": "dask", "address": dask_cli}),
                          output=tmp_path / "dask", progress=False)
    assert procs.ok and dask.ok and procs.computed == dask.computed > 0
    pd.testing.assert_frame_equal(procs.forecasts, dask.forecasts)
    pd.testing.assert_frame_equal(procs.metrics, dask.metrics)
