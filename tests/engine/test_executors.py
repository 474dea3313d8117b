"""Serial, process-pool and Dask execution give the same forecasts; time limits work in any thread."""

from __future__ import annotations

import json
import threading
import time

import pandas as pd
import pytest

from tsbench.config import ExecutorSpec
from tsbench.errors import ConfigError
from tsbench.engine.executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from tsbench.runner import run_experiment
from tsbench.engine.timeouts import limited_call
from tests.helpers import experiment

MODELS = [
    {"name": "nd", "model": "tests.helpers:NoisyDrift"},  # draws from the global random state
    {"name": "rw", "model": "naive"},
]


def _run(folder, executor):
    result = run_experiment(experiment(folder, MODELS, executor), output=folder / executor["kind"], progress=False)
    assert result.ok and result.computed == 8
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["executor"]["kind"] == executor["kind"]
    assert len(manifest["cells"]) == 8 and all(c["wall_time"] > 0 for c in manifest["cells"])
    return result


def test_serial_and_processes_give_identical_forecasts(tmp_path):
    serial = _run(tmp_path, {"kind": "serial"})
    pool = _run(tmp_path, {"kind": "processes", "workers": 2})
    pd.testing.assert_frame_equal(serial.forecasts, pool.forecasts)
    pd.testing.assert_frame_equal(serial.metrics, pool.metrics)


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_forecasts(tmp_path):
    pytest.importorskip("dask.distributed")
    serial = _run(tmp_path, {"kind": "serial"})
    dask = _run(tmp_path, {"kind": "dask", "workers": 2})
    pd.testing.assert_frame_equal(serial.forecasts, dask.forecasts)
    pd.testing.assert_frame_equal(serial.metrics, dask.metrics)


def _spin(seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # pure Python work, as in most forecasters' loops
        pass
    return "finished"


def test_time_limit_in_main_thread_and_in_a_worker_thread():
    assert limited_call(_spin, 0.01, 5.0) == (True, "finished")
    ok, (error, trace) = limited_call(_spin, 30.0, 0.2)
    assert not ok and error.startswith("CellTimeout") and "_spin" in trace
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(limited_call(_spin, 30.0, 0.2)))
    thread.start()
    thread.join(20)
    assert outcome and outcome[0][0] is False and outcome[0][1][0].startswith("CellTimeout")


def test_executors_yield_every_item_and_report_errors():
    def on_error(item, error, trace):
        return ("error", item, error)

    assert list(SerialExecutor().map_unordered(abs, [-1, -2], on_error)) == [1, 2]
    pool = ProcessExecutor(workers=2)
    try:
        assert sorted(pool.map_unordered(abs, range(-5, 0), on_error)) == [1, 2, 3, 4, 5]
    finally:
        pool.close()


def test_make_executor_and_spec_checks():
    assert isinstance(make_executor(ExecutorSpec(kind="dask", address="tcp://127.0.0.1:1")), DaskExecutor)
    assert make_executor(ExecutorSpec(kind="processes")).workers >= 1
    assert make_executor(ExecutorSpec(kind="serial", timeout=2.5)).describe()["timeout"] == 2.5
    with pytest.raises(ValueError, match="address"):
        ExecutorSpec(kind="processes", address="tcp://127.0.0.1:8786")
    with pytest.raises(ConfigError, match="timeout"):
        from tsbench.experiment import parse_experiment

        parse_experiment({"name": "x", "data": [{"source": "builtin:sp500"}], "backtest": {"origins": 2},
                          "forecasters": [{"name": "rw", "model": "naive"}],
                          "executor": {"kind": "serial", "timeout": -1}}, check_models=False)
