"""Financial series shipped inside installed packages, described by manifests in ``datasets/``."""

from __future__ import annotations

import importlib
import importlib.util
import tarfile
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
    #: Data file inside the package, read directly so the package itself need not be imported.
    file: str | None = None
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


def _missing_package(m: DatasetManifest, exc: Exception | None = None) -> DataError:
    return DataError(
        f"built-in dataset {m.name!r} is shipped by the package {m.package!r}, which is not "
        f"installed{f' ({exc})' if exc else ''}. Install it with: pip install {m.package}"
    )


def _call_loader(m: DatasetManifest) -> pd.DataFrame:
    module_name, _, func = m.loader.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _missing_package(m, exc) from exc
    return getattr(module, func)()


def _read_packaged_file(m: DatasetManifest) -> pd.DataFrame:
    """Read a CSV (optionally inside a tar archive) that a package ships, without importing it."""
    spec = importlib.util.find_spec(m.package)
    if spec is None or not spec.submodule_search_locations:
        raise _missing_package(m)
    path = Path(spec.submodule_search_locations[0]) / m.file
    if not path.name.endswith((".tar.gz", ".tgz")):
        return pd.read_csv(path)
    with tarfile.open(path) as archive:
        member = next(x for x in archive.getmembers() if x.isfile() and x.name.endswith(".csv"))
        return pd.read_csv(archive.extractfile(member))


def load_builtin_wide(name: str) -> pd.DataFrame:
    """Load a built-in dataset as a wide frame indexed by timestamp (all its columns)."""
    manifests = builtin_manifests()
    if name not in manifests:
        raise DataError(f"unknown built-in dataset {name!r}; available: {sorted(manifests)}.")
    m = manifests[name]
    frame = _read_packaged_file(m) if m.file else _call_loader(m)
    if m.time_column:
        frame = frame.set_index(pd.to_datetime(frame.pop(m.time_column)))
    frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
    frame.index.name = "ds"
    return frame
