"""The example plugin passes tsbench's conformance suite and beats a random walk on a trend."""

import numpy as np
import pandas as pd
import pytest

from tsbench.errors import DataError
from tsbench.testing import check_forecaster, synthetic_panel
from tsbench_dlinear import DLinear


def test_dlinear_passes_the_conformance_suite():
    report = check_forecaster(DLinear(window=20, horizon=5, kernel_size=7))
    assert report.passed, str(report)


def test_dlinear_learns_a_linear_trend_and_a_cycle():
    t = np.arange(300)
    y = 0.05 * t + np.sin(2 * np.pi * t / 10)
    panel = pd.DataFrame({"unique_id": "a", "ds": t, "y": y})
    model = DLinear(window=30, horizon=5, kernel_size=5, alpha=1e-6).fit(panel.iloc[:280])
    out = model.predict(panel.iloc[:280], 12)
    truth = y[280:292]
    assert np.abs(out["y_pred"].to_numpy() - truth).max() < 1e-3  # also past H, recursively
    naive_error = np.abs(y[279] - truth).mean()
    assert np.abs(out["y_pred"].to_numpy() - truth).mean() < naive_error / 100


def test_dlinear_says_when_history_is_too_short():
    with pytest.raises(DataError, match="window \\+ horizon"):
        DLinear(window=50, horizon=10).fit(synthetic_panel(1, 40))
