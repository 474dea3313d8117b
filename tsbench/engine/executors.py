"""Executors run cells and yield results as they finish: in this process, in a process pool, or on Dask.

Every executor has the same small interface, ``map_unordered(fn, items, on_error)``:
it yields ``fn(item)`` for each item as soon as that item finishes, and
``on_error(item, error, traceback)`` for an item that could not finish (it ran
past the per-cell ``timeout``, or the process running it died). Items are
submitted a few at a time, so results stream back and memory stays flat.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from concurrent.futures.process import BrokenProcessPool  # loky's broken-pool errors derive from it

from tsbench.errors import ConfigError
from tsbench.engine.timeouts import CellTimeout, limited_call

__all__ = [
    "make_executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "default_workers",
    "hard_deadline",
    "CellTimeout",
]

log = logging.getLogger("tsbench")

OnError = Callable[[object, str, str], object]


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def hard_deadline(timeout: float) -> float:
    """Seconds after which a cell that ignored its soft time limit is stopped from outside.

    The soft limit runs inside the worker from the moment the cell starts; this
    backstop runs from submission, so it leaves room for what the worker does
    before (unpickling the cell and a first import of its model's modules,
    seconds on a loaded machine), which must not cost a well-behaved cell its result.
    """
    return timeout + 10.0 + 0.1 * timeout


#: Seconds between a worker's checks that the process that started it is still alive.
PARENT_CHECK_INTERVAL = 0.25


def _init_worker(parent_pid: int, log_path: str | None = None) -> None:
    """Set up a worker process: leave Ctrl-C to the parent, log to the run's log, exit when the parent is gone.

    A worker is a fresh interpreter, so tsbench's logger has no handler there:
    without one, Python would print warnings (a library's import-time message,
    say) on the console. They go to the run's log instead (``log_path``), or nowhere.

    loky's workers exit by themselves once idle after their parent died, but a
    worker busy in a long cell would finish it first; this thread ends the
    worker within :data:`PARENT_CHECK_INTERVAL` seconds of the parent's death
    (even ``kill -9``), busy or not.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logger = logging.getLogger("tsbench")
    if log_path:
        handler: logging.Handler = logging.FileHandler(log_path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [worker %(process)d]: %(message)s"))
    else:
        handler = logging.NullHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), name="tsbench-parent-watch",
                     daemon=True).start()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:  # an orphan is handed to another parent (init or a subreaper)
        time.sleep(PARENT_CHECK_INTERVAL)
    os._exit(1)


def _warm_up(module: str | None) -> int:
    """Import the module the cells' function lives in; return this worker's pid."""
    if module:
        importlib.import_module(module)
    time.sleep(0.05)  # hold this worker briefly, so each warm-up task lands on a worker of its own
    return os.getpid()


def _unpack(item, outcome, on_error: OnError):
    ok, payload = outcome
    return payload if ok else on_error(item, *payload)


class SerialExecutor:
    """Runs cells one after another in this process.

    A ``timeout`` interrupts the cell's Python code (a signal in the main thread);
    code stuck inside one long C call is stopped only when that call returns.
    Use the ``processes`` executor for a hard limit.
    """

    kind = "serial"
    workers = 1

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout

    def map_unordered(self, fn: Callable, items: Iterable, on_error: OnError) -> Iterator:
        """Yield ``fn(item)`` for each item, in order."""
        for item in items:
            yield _unpack(item, limited_call(fn, item, self.timeout), on_error)

    def close(self, cancel: bool = False) -> None:
        """Nothing to release."""

    def describe(self) -> dict:
        """What the manifest records about this executor."""
        return {"kind": self.kind, "workers": self.workers, "timeout": self.timeout}


class ProcessExecutor:
    """Runs cells in a pool of worker processes (loky's), yielding results as they finish.

    loky starts each worker as a fresh interpreter (fork then exec), so workers
    inherit none of this process's open files and pipes, and it detects dead
    workers and stops whole process trees; each worker also watches its parent
    and exits when it dies (see :func:`_init_worker`), so no worker outlives a
    killed run.

    The workers are started (and the cells' module imported) before the first
    cell is submitted; at most ``workers`` cells are in flight, so each
    submitted cell starts at once. A cell that ignores its soft time limit
    for :func:`hard_deadline` seconds after its submission has its worker
    killed; the pool is replaced and the other cells in flight are started
    again. When a worker dies (a crash, the OOM killer), the cells that were
    running are tried again one at a time, so the one that kills its worker
    alone is reported as failed and the others complete.
    """

    kind = "processes"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 log_path: str | None = None) -> None:
        self.workers = workers or default_workers()
        self.timeout = timeout
        self.log_path = log_path  # the run's log, where the workers' log records go
        self._pool = None
        self._warming: list = []  # warm-up tasks of a pool started ahead (see start)
        self._module: str | None = None  # where the cells' function lives, imported by each new worker

    def start(self, fn: Callable) -> None:
        """Start the workers and their import of ``fn``'s module now, without waiting for them.

        The run reads and plans its data meanwhile; :meth:`map_unordered`
        then waits for the workers to be ready, as it does for a pool it starts itself.
        """
        if self._pool is None:
            self._module = getattr(fn, "__module__", None)
            self._pool, self._warming = self._spawn()

    def map_unordered(self, fn: Callable, items: Iterable, on_error: OnError) -> Iterator:
        """Yield ``fn(item)`` (or ``on_error(...)``) for each item as soon as it completes."""
        pending = iter(items)
        restart: list[object] = []  # cut short by a hard stop of another cell: run again
        suspects: list[object] = []  # running when a worker died: run again, one at a time
        running: dict = {}  # future -> (item, submitted at, alone)
        self._module = getattr(fn, "__module__", None)
        if self._pool is None:
            self._pool = self._new_pool()
        for future in self._warming:  # started ahead: ready before any time limit runs
            future.result()
        self._warming = []

        def fill() -> None:
            if any(alone for _, _, alone in running.values()):
                return
            if suspects:
                if not running:
                    submit(suspects.pop(0), alone=True)
                return
            while len(running) < self.workers:
                item = restart.pop() if restart else next(pending, None)
                if item is None:
                    return
                submit(item, alone=False)

        def submit(item, alone: bool) -> None:
            try:
                future = self._pool.submit(limited_call, fn, item, self.timeout)
            except BrokenProcessPool:  # a worker died since the last check; its cells show up as broken
                self._replace_pool()
                future = self._pool.submit(limited_call, fn, item, self.timeout)
            running[future] = (item, time.monotonic(), alone)

        fill()
        while running:
            done, _ = wait(running, timeout=self._wait_time(running), return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                item, _, alone = running.pop(future)
                try:
                    yield _unpack(item, future.result(), on_error)
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        yield on_error(item, "WorkerCrashed: the worker process running this cell died "
                                       "(twice, the second time running alone); it may have run out of memory", "")
                    else:
                        suspects.append(item)
                except Exception as exc:  # e.g. a result that cannot be pickled
                    yield on_error(item, f"{type(exc).__name__}: {exc}", "")
            overdue = self._overdue(running)
            for future in overdue:
                item, _, _ = running.pop(future)
                yield on_error(item, f"CellTimeout: the cell ran past its {self.timeout:g} s timeout "
                               "and its worker process was stopped", "")
            if overdue or broken:
                (suspects if broken else restart).extend(item for item, _, _ in running.values())
                running.clear()
                self._replace_pool()
            fill()

    def _wait_time(self, running) -> float | None:
        if not self.timeout:
            return None
        first = min(started for _, started, _ in running.values())
        return max(0.0, first + hard_deadline(self.timeout) - time.monotonic()) + 0.05

    def _overdue(self, running) -> list:
        if not self.timeout:
            return []
        now = time.monotonic()
        return [f for f, (_, started, _) in running.items() if now - started > hard_deadline(self.timeout)]

    def _spawn(self) -> tuple[object, list]:
        from loky import ProcessPoolExecutor

        # loky replaces a worker whose memory grew by 300 MB (torch does) and says so: harmless, and off the console
        warnings.filterwarnings("ignore", message="A worker was restarted", category=UserWarning, module="loky")
        pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                   initargs=(os.getpid(), self.log_path))
        return pool, [pool.submit(_warm_up, self._module) for _ in range(self.workers)]

    def _new_pool(self):
        # start the workers and import the cells' code before any time limit runs: a fresh interpreter
        # takes seconds to import pandas on a loaded machine, which must not count as a cell's time
        pool, warming = self._spawn()
        for future in warming:
            future.result()
        return pool

    def _replace_pool(self) -> None:
        self._kill()
        self._pool = self._new_pool()

    def _kill(self) -> None:
        pool, self._pool, self._warming = self._pool, None, []
        if pool is not None:  # a running task cannot be stopped; loky stops its worker processes instead
            pool.shutdown(wait=True, kill_workers=True)

    def close(self, cancel: bool = False) -> None:
        """Release the pool; ``cancel`` stops cells still running (Ctrl-C) instead of waiting.

        Without ``cancel`` no cell is running any more (every result has been
        read): the idle workers are told to exit and do so while the run goes on.
        """
        if cancel or self._warming:
            self._kill()
        elif self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def describe(self) -> dict:
        """What the manifest records about this executor."""
        return {"kind": self.kind, "workers": self.workers, "timeout": self.timeout}


class DaskExecutor:
    """Submits cells to a Dask distributed cluster and streams results back as they complete.

    With ``address`` it connects to a running scheduler (``tcp://host:8786``);
    without, it starts a local cluster of ``workers`` single-threaded worker
    processes (one thread each, so seeding the global random state stays
    per cell). tsbench, and the packages of every forecaster used, must be
    importable on the workers. A ``timeout`` interrupts the cell's Python code
    inside the worker; a cell still running :func:`hard_deadline` seconds
    later is reported as failed and its future cancelled, but Dask cannot
    stop a running task, so that worker stays busy until the task returns.
    """

    kind = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 timeout: float | None = None) -> None:
        self.address = address
        self.workers = workers
        self.timeout = timeout
        self._client = None
        self._cluster = None

    def _connect(self):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(
                "executor kind 'dask' needs dask.distributed, which is not installed; "
                "install it with: pip install 'tsbench[dask]'"
            ) from exc
        if self.address:
            self._client = Client(self.address)
        else:
            self.workers = self.workers or default_workers()
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        return self._client

    def map_unordered(self, fn: Callable, items: Iterable, on_error: OnError) -> Iterator:
        """Yield ``fn(item)`` (or ``on_error(...)``) for each item as soon as it completes."""
        from dask.distributed import TimeoutError as DaskTimeout, wait

        client = self._client or self._connect()
        threads = max(1, sum(client.nthreads().values()))
        # with a time limit, submit no more than can start at once, so a limit counts from the start
        slots = threads if self.timeout else 2 * threads
        pending = iter(items)
        running: dict = {}  # future -> (item, submitted at)

        def fill() -> None:
            while len(running) < slots:
                item = next(pending, None)
                if item is None:
                    return
                future = client.submit(limited_call, fn, item, self.timeout, pure=False)
                running[future] = (item, time.monotonic())

        fill()
        while running:
            limit = None
            if self.timeout:
                first = min(started for _, started in running.values())
                limit = max(0.0, first + hard_deadline(self.timeout) - time.monotonic()) + 0.05
            try:
                done = wait(list(running), timeout=limit, return_when="FIRST_COMPLETED").done
            except DaskTimeout:  # dask raises where concurrent.futures returns an empty set
                done = set()
            for future in done:
                item, _ = running.pop(future)
                try:
                    yield _unpack(item, future.result(), on_error)
                except Exception as exc:  # the task failed outside the cell, e.g. a worker died
                    yield on_error(item, f"{type(exc).__name__}: {exc}", "")
            if self.timeout:
                now = time.monotonic()
                for future in [f for f, (_, s) in running.items() if now - s > hard_deadline(self.timeout)]:
                    item, _ = running.pop(future)
                    future.cancel()
                    yield on_error(item, f"CellTimeout: the cell ran past its {self.timeout:g} s timeout; "
                                   "its Dask task was cancelled", "")
            fill()

    def close(self, cancel: bool = False) -> None:
        """Disconnect, and stop the local cluster when this executor started one."""
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def describe(self) -> dict:
        """What the manifest records about this executor."""
        return {"kind": self.kind, "workers": self.workers, "timeout": self.timeout,
                "address": self.address or "local cluster"}


def make_executor(spec, log_path: str | Path | None = None):
    """The executor described by an ``executor:`` entry of the experiment (process workers log to ``log_path``)."""
    if spec.kind == "serial":
        return SerialExecutor(spec.timeout)
    if spec.kind == "processes":
        return ProcessExecutor(spec.workers, spec.timeout, str(log_path) if log_path else None)
    if spec.kind == "dask":
        return DaskExecutor(spec.address, spec.workers, spec.timeout)
    raise ConfigError(f"executor kind {spec.kind!r} is unknown; expected 'serial', 'processes' or 'dask'.")
