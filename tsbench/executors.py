"""Executors run cells and yield results as they finish: serially or in a process pool."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

__all__ = ["make_executor", "SerialExecutor", "ProcessExecutor", "default_workers"]


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SerialExecutor:
    """Runs cells one after another in this process."""

    kind = "serial"
    workers = 1

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        """Yield ``fn(item)`` for each item, in order."""
        for item in items:
            yield fn(item)

    def close(self) -> None:
        """Nothing to release."""


class ProcessExecutor:
    """Runs cells in a pool of worker processes, yielding results as they finish."""

    kind = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._pool: ProcessPoolExecutor | None = None

    def map_unordered(self, fn: Callable, items: Iterable) -> Iterator:
        """Yield ``fn(item)`` for each item as soon as it completes."""
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        futures = [self._pool.submit(fn, item) for item in items]
        for future in as_completed(futures):
            yield future.result()

    def close(self) -> None:
        """Stop the pool, cancelling cells that have not started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def make_executor(spec):
    """The executor described by an ``executor:`` entry of the experiment."""
    if spec.kind == "serial":
        return SerialExecutor()
    if spec.kind == "processes":
        return ProcessExecutor(spec.workers)
    from tsbench.errors import ConfigError

    raise ConfigError(f"executor kind {spec.kind!r} is not available in this version.")
