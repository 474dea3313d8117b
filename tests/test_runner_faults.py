"""Faults of the machine: kill -9 of a run leaves no worker behind; concurrent runs compute each cell once."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import experiment

ROOT = Path(__file__).resolve().parents[1]


def _start(path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "tsbench", "run", str(path), "--quiet", "--no-report"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _poll(condition, deadline_s: float, what: str):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {deadline_s} s waiting for {what}")


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_kill_9_of_a_run_leaves_no_worker_process(tmp_path):
    slow = {"name": "slow", "model": "tests.helpers:SlowForecaster", "params": {"delay": 5.0}}
    path = experiment(tmp_path, [slow], executor={"kind": "processes", "workers": 2}, write=True)
    run = _start(path)
    try:
        parent = psutil.Process(run.pid)
        # both workers started and busy in a cell (each fit sleeps 5 s, so they are mid-cell when killed)
        workers = _poll(lambda: [p for p in parent.children(recursive=True) if "python" in p.name().lower()]
                        if len(parent.children(recursive=True)) >= 2 else None, 60, "two worker processes")
        _poll(lambda: (tmp_path / "results").exists() and any((tmp_path / "results").rglob("run.log")), 30, "run.log")
        time.sleep(0.5)  # let the workers take their first cells
        run.kill()
        run.wait(timeout=10)
        survivors = lambda: [w.pid for w in workers if _alive(w)]  # noqa: E731
        _poll(lambda: not survivors(), 10, f"the worker processes {survivors()} to exit")
    finally:
        if run.poll() is None:
            run.kill()


@pytest.mark.slow
def test_two_concurrent_runs_compute_each_cell_once(tmp_path):
    slow = {"name": "slow", "model": "tests.helpers:SlowForecaster", "params": {"delay": 0.05}}
    path = experiment(tmp_path, [slow, {"name": "nd", "model": "tests.helpers:NoisyDrift"}], write=True)
    first, second = _start(path), _start(path)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    counts = [re.search(r"\((\d+) cells computed, (\d+) reused\)", out).groups() for out, _ in outs]
    computed = sorted(int(c) for c, _ in counts)
    run_dir = next((tmp_path / "results").iterdir())
    total = len(json.loads((run_dir / "manifest.json").read_text())["cells"])
    assert total == 8  # 2 models x 4 series
    assert computed == [0, total]  # the run that waited reused every cell of the other
    log = (run_dir / "run.log").read_text()
    assert len(re.findall(r"cell \S+ done in", log)) == total
    waited = next(err for (out, err), (c, _) in zip(outs, counts) if int(c) == 0)
    assert "another run (pid" in waited and "waiting for it to finish" in waited


def test_result_files_respect_the_umask(tmp_path):
    from tsbench.runner import run_experiment

    old = os.umask(0o022)
    try:
        result = run_experiment(experiment(tmp_path, [{"name": "nd", "model": "tests.helpers:NoisyDrift"}]),
                                progress=False, report=False)
    finally:
        os.umask(old)
    files = [result.run_dir / n for n in ("forecasts.parquet", "manifest.json", "leaderboard.csv")]
    files += sorted((result.run_dir / "cells").iterdir())[:2]
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {oct(0o644)}
