"""``import tsbench`` stays light: no torch, prophet, lightgbm, statsmodels or matplotlib."""

from __future__ import annotations

import subprocess
import sys


def test_import_is_light():
    code = (
        "import sys, tsbench; tsbench.Forecaster; tsbench.load_experiment;"
        "heavy = {'torch', 'prophet', 'lightgbm', 'statsmodels', 'matplotlib', 'dask', 'cmdstanpy'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_resolve():
    import tsbench

    for name in tsbench.__all__:
        assert getattr(tsbench, name) is not None
