"""Forecasters and experiment builders used by the runner tests (slow, failing, hanging, crashing)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import yaml

from tsbench.experiment import parse_experiment
from tsbench.forecasters.base import LocalForecaster
from tsbench.panel import ID
from tsbench.testing import synthetic_panel

__all__ = ["NoisyDrift", "NonFinite", "FlatHater", "FlatCrasher", "SlowForecaster", "FlakyForecaster", "HangingForecaster", "CrashingForecaster",
           "write_panel", "experiment"]


class NoisyDrift(LocalForecaster):
    """Last value plus a drift drawn from the global NumPy random state at each fit.

    Its forecasts depend on the seed the runner sets per cell, so equal
    forecasts across executors show that seeding is per cell, not per process.
    """

    name = "noisy_drift"

    def __init__(self, scale: float = 0.01) -> None:
        self.scale = scale

    def _fit_one(self, y):
        return float(np.random.normal(0.0, self.scale))

    def _predict_one(self, state, y, horizon):
        return y[-1] + state * np.arange(1, horizon + 1)


class NonFinite(NoisyDrift):
    """:class:`NoisyDrift` that forecasts ``value`` (NaN or inf) at every origin whose context length is odd."""

    name = "non_finite"

    def __init__(self, scale: float = 0.01, value: float = float("nan")) -> None:
        self.scale = scale
        self.value = value

    def _predict_one(self, state, y, horizon):
        out = super()._predict_one(state, y, horizon)
        if len(y) % 2:
            out[-1] = self.value
        return out


class FlatHater(NoisyDrift):
    """:class:`NoisyDrift` on its per-series hooks that raises ``ValueError`` on a constant training series.

    It runs on the engine's array path, so many series share one cell; the
    series that makes it fail must fail alone.
    """

    name = "flat_hater"

    def _fit_one(self, y):
        if np.ptp(y) == 0:
            raise ValueError("deliberate failure on a constant series")
        return super()._fit_one(y)


class FlatCrasher(NoisyDrift):
    """:class:`NoisyDrift` on its per-series hooks that kills its worker process on a constant series.

    In the main process it raises instead, so a misconfigured test cannot kill pytest.
    """

    name = "flat_crasher"

    def _fit_one(self, y):
        if np.ptp(y) == 0:
            if multiprocessing.parent_process() is None:
                raise RuntimeError("FlatCrasher refuses to kill the main process")
            os._exit(3)
        return super()._fit_one(y)


class SlowForecaster(NoisyDrift):
    """:class:`NoisyDrift` that waits ``delay`` seconds in every fit of every series."""

    name = "slow"

    def __init__(self, scale: float = 0.01, delay: float = 0.1) -> None:
        self.scale = scale
        self.delay = delay

    def _fit_one(self, y):
        time.sleep(self.delay)
        return super()._fit_one(y)


class FlakyForecaster(NoisyDrift):
    """:class:`NoisyDrift` that raises ``ValueError`` when fitted on a series in ``fail_on``."""

    name = "flaky"

    def __init__(self, scale: float = 0.01, fail_on: tuple = ()) -> None:
        self.scale = scale
        self.fail_on = fail_on

    def _fit(self, train):
        bad = sorted(set(train[ID]) & set(self.fail_on))
        if bad:
            raise ValueError(f"deliberate failure on series {bad[0]}")
        super()._fit(train)


class HangingForecaster(NoisyDrift):
    """Sleeps ``seconds`` when fitted on a series in ``hang_on``; with ``deaf`` it blocks SIGALRM first.

    A deaf hang cannot be interrupted from inside the process, so only a hard
    stop from outside (the process executor killing its worker) ends it.
    """

    name = "hanging"
    tags: ClassVar = {}

    def __init__(self, scale: float = 0.01, hang_on: tuple = (), seconds: float = 60.0, deaf: bool = False) -> None:
        self.scale = scale
        self.hang_on = hang_on
        self.seconds = seconds
        self.deaf = deaf

    def _fit(self, train):
        if set(train[ID]) & set(self.hang_on):
            if self.deaf:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(self.seconds)
        super()._fit(train)


class CrashingForecaster(NoisyDrift):
    """Kills its own process when fitted on a series in ``crash_on`` inside a worker process.

    In the main process it raises instead, so a misconfigured test cannot kill pytest.
    """

    name = "crashing"

    def __init__(self, scale: float = 0.01, crash_on: tuple = ()) -> None:
        self.scale = scale
        self.crash_on = crash_on

    def _fit(self, train):
        if set(train[ID]) & set(self.crash_on):
            if multiprocessing.parent_process() is None:
                raise RuntimeError("CrashingForecaster refuses to kill the main process")
            os._exit(3)
        super()._fit(train)


def write_panel(folder: Path, n_series: int = 4, length: int = 120, seed: int = 0) -> Path:
    """A seeded synthetic panel as a long CSV file; returns its path."""
    path = Path(folder) / "panel.csv"
    synthetic_panel(n_series, length, seed=seed).to_csv(path, index=False)
    return path


def experiment(folder: Path, forecasters: list[dict], executor: dict | None = None, origins: int = 6,
               refit_every: int = 2, n_series: int = 4, name: str = "runner_test", write: bool = False):
    """An experiment over a synthetic panel in ``folder``; with ``write`` also saved as YAML (returns the path)."""
    data = write_panel(folder, n_series)
    raw = {
        "name": name,
        "data": [{"source": f"csv:{data}", "target": "price"}],
        "backtest": {"horizon": 3, "origins": origins, "step": 3, "refit_every": refit_every},
        "forecasters": forecasters,
        "metrics": ["mae", "rmse", "mase"],
        "output": str(Path(folder) / "results"),
        "executor": executor or {"kind": "serial"},
        "seed": 7,
    }
    if write:
        path = Path(folder) / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return path
    return parse_experiment(raw)
