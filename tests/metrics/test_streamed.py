"""Scoring a forecasts file a few series at a time gives the tables of scoring it all at once."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tests.helpers import experiment
from tsbench.data.loader import load_panel_levels
from tsbench.experiment import resolve_experiment
from tsbench.metrics.scoring import metrics_by_period, score
from tsbench.metrics.streamed import score_file, series_groups
from tsbench.runner import run_experiment


def test_scoring_by_groups_of_series_equals_scoring_everything(tmp_path):
    exp = experiment(tmp_path, [{"name": "rw", "model": "naive"}, {"name": "nd", "model": "tests.helpers:NoisyDrift"}],
                     n_series=5, origins=8)
    exp = exp.model_copy(update={"metrics": ["mae", "mase", "directional_accuracy", "hit_rate"]})
    result = run_experiment(exp, base_dir=tmp_path, progress=False, report=False)
    path = result.run_dir / "forecasts.parquet"
    panel, levels, infos = load_panel_levels(exp.data, tmp_path)
    targets = {i.unique_id: i.target for i in infos}
    plans = resolve_experiment(exp).metric_plans
    assert [len(g) for g in series_groups(path, max_rows=60)] == [1, 1, 1, 1, 1]
    periods = {"june": [dt.date(2020, 6, 1), dt.date(2020, 6, 30)], "may": [dt.date(2020, 5, 1), dt.date(2020, 5, 31)]}
    metrics, by_period = score_file(path, panel, levels, targets, plans, periods, max_rows=60)
    forecasts = pd.read_parquet(path)
    pd.testing.assert_frame_equal(metrics, score(forecasts, panel, levels, targets, plans))
    whole = metrics_by_period(forecasts, panel, levels, targets, plans, periods).reset_index(drop=True)
    assert by_period["period"].nunique() == 3  # 2020, june, may
    pd.testing.assert_frame_equal(by_period, whole, check_dtype=False)
