"""Financial series shipped inside installed packages, described by manifests in ``datasets/``."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from tsbench.errors import DataError

__all__ = ["DatasetManifest", "manifest_dir", "builtin_manifests", "load_builtin_wide", "series_id"]


@dataclass(frozen=True)
class DatasetManifest:
    """What a built-in dataset is and how to load it."""

    name: str
    description: str
    package: str
    loader: str
    frequency: str
    columns: list[str]
    available_columns: list[str]
    missing: str = "drop"
    time_column: str | None = None
    extra: dict = field(default_factory=dict)


def manifest_dir() -> Path:
    """Folder of the dataset manifests: inside the installed package, or the source tree's ``datasets/``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_datasets", here.parent / "datasets"):
        if candidate.is_dir():
            return candidate
    raise DataError("the built-in dataset manifests are missing; reinstall tsbench.")


@lru_cache(maxsize=1)
def builtin_manifests() -> dict[str, DatasetManifest]:
    """Every built-in dataset manifest, by name."""
    out = {}
    for path in sorted(manifest_dir().glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        known = {k: raw.pop(k) for k in list(raw) if k in DatasetManifest.__dataclass_fields__}
        out[known["name"]] = DatasetManifest(**known, extra=raw)
    return out


def series_id(dataset: str, column: str, n_columns: int) -> str:
    """The ``unique_id`` of one column of a dataset: the dataset name, suffixed when it has several."""
    if n_columns == 1:
        return dataset
    return f"{dataset}_{re.sub(r'[^0-9a-zA-Z]+', '_', column).strip('_').lower()}"


def load_builtin_wide(name: str) -> pd.DataFrame:
    """Load a built-in dataset as a wide frame indexed by timestamp (all its columns)."""
    manifests = builtin_manifests()
    if name not in manifests:
        raise DataError(f"unknown built-in dataset {name!r}; available: {sorted(manifests)}.")
    m = manifests[name]
    module_name, _, func = m.loader.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DataError(
            f"built-in dataset {name!r} is shipped by the package {m.package!r}, which is not "
            f"installed ({exc}). Install it with: pip install {m.package}"
        ) from exc
    frame = getattr(module, func)()
    if m.time_column:
        frame = frame.set_index(pd.to_datetime(frame.pop(m.time_column)))
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "ds"
    return frame
