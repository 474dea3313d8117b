"""Soft per-cell time limits: interrupt a cell's Python code when it runs past its timeout."""

from __future__ import annotations

import ctypes
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["CellTimeout", "time_limit", "limited_call"]


class CellTimeout(BaseException):
    """Raised inside a cell that ran past its time limit.

    It derives from ``BaseException`` so that a forecaster's own
    ``except Exception`` fallbacks cannot swallow it.
    """


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CellTimeout` in the code of this block after ``seconds``.

    In the main thread a POSIX interval timer raises it (this also wakes
    sleeps); in other threads (Dask workers) it is set as an asynchronous
    exception of the thread. Either way it takes effect at the next Python
    instruction: a single C call that does not return is not interrupted.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _async_raise_after(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def _raise(signum, frame):
        raise CellTimeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


@contextmanager
def _async_raise_after(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False}

    def _fire() -> None:
        with lock:
            if not state["done"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(CellTimeout))

    timer = threading.Timer(seconds, _fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
        timer.cancel()


def limited_call(fn: Callable, item: object, seconds: float | None) -> tuple[bool, object]:
    """``(True, fn(item))``, or ``(False, (error, traceback))`` when it ran past ``seconds``.

    Executors call this in the process (or thread) that runs the cell, so the
    limit is measured where the work happens.
    """
    try:
        with time_limit(seconds):
            return True, fn(item)
    except CellTimeout:
        return False, (f"CellTimeout: the cell ran past its {seconds:g} s timeout (executor.timeout)",
                       traceback.format_exc())
