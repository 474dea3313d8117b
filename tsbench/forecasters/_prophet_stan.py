"""Quiet, lean Stan fits for Prophet: library logs routed to tsbench's log, data passed as JSON files.

Imported only by :mod:`tsbench.forecasters.prophet` when a Prophet model is
fitted, so ``import tsbench`` never loads prophet or cmdstanpy.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

__all__ = ["route_library_logs", "import_prophet", "lean_backend"]

#: The loggers of the wrapped libraries, and the tsbench logger their records are handed to.
LIBRARY_LOGGERS = ("prophet", "cmdstanpy")
TARGET_LOGGER = "tsbench.forecasters.prophet"

log = logging.getLogger(TARGET_LOGGER)


class _ToTsbench(logging.Handler):
    """Hands every record of a library logger to the tsbench logger (and so to the run's log file)."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(TARGET_LOGGER).handle(record)


def route_library_logs() -> None:
    """Send prophet's and cmdstanpy's log records to tsbench's log instead of the console.

    Call it before prophet or cmdstanpy is imported: cmdstanpy adds its own
    console handler on first use unless its logger already has a handler, and
    prophet logs at import time. Console handlers added earlier are removed.
    Safe to call many times.
    """
    for name in LIBRARY_LOGGERS:
        lib = logging.getLogger(name)
        for handler in list(lib.handlers):
            if type(handler) is logging.StreamHandler and handler.stream in (
                sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__,
            ):
                lib.removeHandler(handler)
        if not any(isinstance(h, _ToTsbench) for h in lib.handlers):
            lib.addHandler(_ToTsbench())
        lib.setLevel(logging.INFO)  # cmdstanpy's DEBUG lines (command lines, temp paths) are noise
        lib.propagate = False


def import_prophet():
    """Import and return the ``Prophet`` class, with the library logs routed first.

    Raises
    ------
    PluginError
        If prophet (or its Stan backend, cmdstanpy) is not installed.
    """
    route_library_logs()
    try:
        from prophet import Prophet
        import cmdstanpy  # noqa: F401  (the backend the lean fit drives)
    except ImportError as exc:
        from tsbench.errors import PluginError

        raise PluginError(
            f"the 'prophet' model needs the prophet package with its cmdstanpy backend, but "
            f"importing it failed ({exc}). Install it with: pip install 'tsbench[prophet]'"
        ) from exc
    return Prophet


@contextlib.contextmanager
def _json_files(*objects: dict) -> Iterator[list[str]]:
    """Write each object to a temporary JSON file; yield the paths and delete the files after."""
    paths = []
    try:
        for obj in objects:
            fd, path = tempfile.mkstemp(prefix="tsbench-prophet-", suffix=".json")
            paths.append(path)
            with os.fdopen(fd, "w") as handle:
                # json.dumps, not json.dump: only the one-shot path uses the C encoder
                handle.write(json.dumps(obj, default=_to_builtin))
        yield paths
    finally:
        for path in paths:
            with contextlib.suppress(OSError):
                os.remove(path)


def _to_builtin(value: Any) -> Any:
    """numpy scalars and arrays as plain Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to Stan's JSON data file")


@functools.lru_cache(maxsize=1)
def _backend_class() -> type:
    from prophet.models import CmdStanPyBackend

    class _LeanBackend(CmdStanPyBackend):
        """Prophet's cmdstanpy backend with cheaper data files and a settable L-BFGS memory.

        The Stan program, its data, the initial values and every optimizer
        setting are Prophet's, except L-BFGS's ``history_size`` when
        ``lbfgs_memory`` is set. The data and initial values are written with
        the standard library's C JSON encoder (the same digits as cmdstanpy's
        writer, several times faster on a (T, K) feature matrix), and the
        output files are removed after the parameters are read.
        """

        lbfgs_memory: int | None = None

        def fit(self, stan_init: dict, stan_data: dict, **kwargs: Any) -> dict:
            if "init" in kwargs:
                stan_init = self.sanitize_custom_inits(stan_init, kwargs.pop("init"))
            inits, data = self.prepare_data(stan_init, stan_data)
            args: dict[str, Any] = {"algorithm": "Newton" if data["T"] < 100 else "LBFGS", "iter": 10_000}
            if args["algorithm"] == "LBFGS" and self.lbfgs_memory is not None:
                args["history_size"] = int(self.lbfgs_memory)
            args.update(kwargs)
            with _json_files(data, inits) as (data_path, init_path):
                try:
                    self.stan_fit = self.model.optimize(data=data_path, inits=init_path, **args)
                except RuntimeError:
                    if not self.newton_fallback or args["algorithm"] == "Newton":
                        raise
                    log.warning("L-BFGS stopped abnormally; refitting with Newton's method, as Prophet does.")
                    args["algorithm"] = "Newton"
                    args.pop("history_size", None)
                    self.stan_fit = self.model.optimize(data=data_path, inits=init_path, **args)
            params = self.stan_to_dict_numpy(self.stan_fit.column_names, self.stan_fit.optimized_params_np)
            self.cleanup()
            return {name: value.reshape((1, -1)) for name, value in params.items()}

    return _LeanBackend


def lean_backend(lbfgs_memory: int | None):
    """A lean Stan backend for Prophet fits; ``lbfgs_memory=None`` keeps Stan's L-BFGS default.

    The class derives from prophet's backend, so it is built on first use.
    """
    backend = _backend_class()()
    backend.lbfgs_memory = lbfgs_memory
    return backend
