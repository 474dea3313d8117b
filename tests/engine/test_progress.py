"""The progress bar's time estimate weighs each model's cells by what that model's cells have cost."""

from __future__ import annotations

import pytest

from tsbench.engine.progress import CellEta, format_eta


def test_eta_uses_the_cost_of_each_models_cells():
    eta = CellEta(["fast"] * 10 + ["slow"] * 10)
    assert eta.remaining() is None
    eta.finished("fast", 0.1)
    # nothing known of 'slow' yet: charged what 'fast' costs
    assert eta.remaining() == pytest.approx(19 * 0.1)
    eta.finished("slow", 2.0)
    assert eta.remaining() == pytest.approx(9 * 0.1 + 9 * 2.0)  # not 18 cells x the mean of 1.05 s


def test_eta_divides_by_the_cells_running_at_once():
    eta = CellEta(["m"] * 9, parallel=4)
    eta.finished("m", 4.0)
    assert eta.remaining() == pytest.approx(8 * 4.0 / 4)


def test_format_eta():
    assert (format_eta(None), format_eta(65), format_eta(3723)) == ("-:--", "1:05", "1:02:03")
