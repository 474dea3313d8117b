"""Shared fixtures: small experiment files and hand-made data written to a temporary folder."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

# Plugin test fixtures are loaded by dotted path ("plugin_fixtures:Class"), as a user's module would be.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def write_experiment(tmp_path: Path):
    """Write YAML text to ``tmp_path/exp.yaml`` and return its path."""

    def write(text: str, name: str = "exp.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write


@pytest.fixture
def hand_csv(tmp_path: Path) -> Path:
    """A 12-step price series in a long CSV with integer time steps."""
    y = [10.0, 11.0, 10.5, 12.0, 12.5, 12.0, 13.0, 14.0, 13.5, 15.0, 16.0, 15.0]
    frame = pd.DataFrame({"id": "toy", "t": range(len(y)), "price": y})
    path = tmp_path / "toy.csv"
    frame.to_csv(path, index=False)
    return path
