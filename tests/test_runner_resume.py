"""A run killed with SIGKILL resumes from its stored cells and ends with the same forecasts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tsbench.experiment import load_experiment
from tsbench.runner import run_dir_for, run_experiment
from tests.helpers import experiment

ROOT = Path(__file__).resolve().parents[1]
SLOW = [{"name": "slow", "model": "tests.helpers:SlowForecaster", "params": {"delay": 0.1}}]


def _wait_for_cells(cells_dir: Path, n: int, process: subprocess.Popen, limit: float = 120.0) -> None:
    """Poll until ``n`` cells are stored; fail if the run ends or the limit passes first."""
    deadline = time.monotonic() + limit
    while len(list(cells_dir.glob("*.json"))) < n:
        if process.poll() is not None:
            pytest.fail(f"the run ended (code {process.returncode}) before {n} cells were stored")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"fewer than {n} cells stored after {limit:.0f} s")
        time.sleep(0.02)


@pytest.mark.slow
def test_kill_9_then_resume_gives_same_forecasts_and_recomputes_nothing(tmp_path):
    path = experiment(tmp_path, SLOW, n_series=8, origins=4, refit_every=2, write=True)
    exp = load_experiment(path)
    cells_dir = run_dir_for(exp) / "cells"
    process = subprocess.Popen([sys.executable, "-m", "tsbench", "run", str(path), "-q"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_cells(cells_dir, 2, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    survivors = {p.name: p.stat().st_mtime_ns for p in cells_dir.glob("*.json")}
    assert 2 <= len(survivors) < 8, "the kill must land midway for this test to mean anything"

    resumed = run_experiment(exp, progress=False)

    assert resumed.reused == len(survivors)
    assert resumed.computed == 8 - len(survivors)
    assert {p.name: p.stat().st_mtime_ns for p in cells_dir.glob("*.json") if p.name in survivors} == survivors
    assert not list(cells_dir.glob(".*.tmp"))
    reference = run_experiment(exp, output=tmp_path / "uninterrupted", progress=False)
    assert reference.computed == 8
    pd.testing.assert_frame_equal(resumed.forecasts, reference.forecasts)
    pd.testing.assert_frame_equal(resumed.metrics, reference.metrics)


def test_second_run_reuses_every_cell(tmp_path):
    exp = experiment(tmp_path, [{"name": "nd", "model": "tests.helpers:NoisyDrift"}])
    first = run_experiment(exp, progress=False)
    again = run_experiment(exp, progress=False)
    assert (first.computed, first.reused) == (4, 0)
    assert (again.computed, again.reused) == (0, 4)
    pd.testing.assert_frame_equal(first.forecasts, again.forecasts)
    fresh = run_experiment(exp, fresh=True, progress=False)
    assert (fresh.computed, fresh.reused) == (4, 0)


def test_changed_parameter_does_not_reuse_old_cells(tmp_path):
    base = experiment(tmp_path, [{"name": "nd", "model": "tests.helpers:NoisyDrift", "params": {"scale": 0.01}}])
    changed = experiment(tmp_path, [{"name": "nd", "model": "tests.helpers:NoisyDrift", "params": {"scale": 0.02}}])
    out = tmp_path / "same_output"
    first = run_experiment(base, output=out, progress=False)
    second = run_experiment(changed, output=out, progress=False)
    assert first.run_dir != second.run_dir
    assert (second.computed, second.reused) == (4, 0)
    assert not second.forecasts["y_pred"].equals(first.forecasts["y_pred"])


def test_changed_executor_reuses_cells(tmp_path):
    fs = [{"name": "nd", "model": "tests.helpers:NoisyDrift"}]
    first = run_experiment(experiment(tmp_path, fs, {"kind": "serial"}), progress=False)
    second = run_experiment(experiment(tmp_path, fs, {"kind": "processes", "workers": 2, "timeout": 60}),
                            progress=False)
    assert first.run_dir == second.run_dir
    assert (second.computed, second.reused) == (0, 4)


def test_half_written_cell_is_recomputed(tmp_path):
    exp = experiment(tmp_path, [{"name": "nd", "model": "tests.helpers:NoisyDrift"}])
    first = run_experiment(exp, progress=False)
    cells = first.run_dir / "cells"
    victim = sorted(cells.glob("*.json"))[0]
    victim.unlink()  # as if killed between writing the forecasts and the record
    (cells / ".leftover.parquet.abc.tmp").write_bytes(b"partial")
    again = run_experiment(exp, progress=False)
    assert (again.computed, again.reused) == (1, 3)
    assert not list(cells.glob(".*.tmp"))
    pd.testing.assert_frame_equal(first.forecasts, again.forecasts)


def _default_sigint() -> None:
    # A test runner started as a background job inherits SIGINT as ignored, and Python then never
    # turns it into KeyboardInterrupt; a terminal's Ctrl-C reaches a process with the default action.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_ctrl_c_stops_cleanly_and_keeps_finished_cells(tmp_path, kind):
    executor = {"kind": kind, **({"workers": 2} if kind == "processes" else {})}
    path = experiment(tmp_path, SLOW, executor, n_series=8, origins=4, refit_every=2, write=True)
    exp = load_experiment(path)
    cells_dir = run_dir_for(exp) / "cells"
    process = subprocess.Popen([sys.executable, "-m", "tsbench", "run", str(path), "-q"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, preexec_fn=_default_sigint)
    _wait_for_cells(cells_dir, 2, process)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the run and its workers get Ctrl-C
    _, err = process.communicate(timeout=120)

    assert process.returncode == 130
    assert "finished cells are kept" in err and "Traceback" not in err
    kept = {p.stem for p in cells_dir.glob("*.json")}
    assert 2 <= len(kept) < 8
    assert "interrupted after" in (cells_dir.parent / "run.log").read_text()
    resumed = run_experiment(exp, progress=False)
    assert (resumed.reused, resumed.computed) == (len(kept), 8 - len(kept))
