"""The run manifest: everything needed to reproduce a run and to know what it was."""

from __future__ import annotations

import platform
import sys
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_versions", "build_manifest", "covariates_manifest"]

_PACKAGES = ("tsbench", "numpy", "pandas", "scipy", "statsmodels", "pyarrow", "pydantic",
             "arch", "pmdarima", "lightgbm", "prophet", "cmdstanpy", "torch", "dask", "distributed")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can change results (None when absent)."""
    out: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def build_manifest(experiment, config_hash, series_infos, records, failures, executor, timing) -> dict:
    """Assemble the manifest dictionary written to ``manifest.json``."""
    return {
        "experiment": experiment.name,
        "config_hash": config_hash,
        "config": experiment.model_dump(mode="json"),
        "seed": experiment.seed,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "executor": executor.describe() if hasattr(executor, "describe") else {"kind": executor.kind},
        "data": [asdict(info) for info in series_infos],
        "timing": timing,
        "cells": records,
        "failed_cells": [f["key"] for f in failures],
    }


def covariates_manifest(resolved) -> dict:
    """The covariates of a run: those the data declare, by kind, and those each forecaster read."""
    def of(forecaster) -> dict:
        found = getattr(forecaster, "covariates", None)
        return found.describe() if found else {}

    declared = getattr(resolved, "covariates", None)
    return {"declared": declared.describe() if declared else {},
            "forecasters": {f.name: of(f) for f in resolved.forecasters}}
