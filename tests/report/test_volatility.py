"""The report's volatility tables, computed from a small seeded backtest on a variance panel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsbench.forecasters.registry import make_forecaster
from tsbench.report.volatility import is_volatility_run, qlike_dm_table, var_levels, var_test_table
from tsbench.stats.var_tests import kupiec_pof


class _Run:
    def __init__(self, targets):
        self.config = {"data": [{"target": t} for t in targets]}


def _forecasts():
    rng = np.random.default_rng(2)
    n = 700
    r = rng.standard_normal(n) * np.where(np.arange(n) % 200 < 100, 1.0, 2.0)
    ds = pd.bdate_range("2010-01-01", periods=n)
    panel = pd.DataFrame({"unique_id": "a", "ds": ds, "y": r**2, "return": r})
    cutoffs = pd.DataFrame({"unique_id": "a", "cutoff": ds[299:n - 2]})
    frames = [make_forecaster(m, m, {}).fit(panel.iloc[:300]).predict_origins(panel, cutoffs, 2, (0.05,))
              for m in ("ewma", "rolling_variance")]
    return pd.concat(frames).merge(panel[["unique_id", "ds", "y"]]), panel


def test_var_test_table_counts_one_step_breaches():
    forecasts, panel = _forecasts()
    table = var_test_table(forecasts, panel, [0.05]).set_index("model")
    one = forecasts[(forecasts["model"] == "ewma") & (forecasts["h"] == 1)].merge(panel[["ds", "return"]])
    breaches = int((one["return"] < one["q_0.05"]).sum())
    assert table.loc["ewma", "breaches"] == breaches and table.loc["ewma", "n"] == len(one)
    assert table.loc["ewma", "kupiec_p"] == kupiec_pof(np.r_[np.ones(breaches), np.zeros(len(one) - breaches)], 0.05).pvalue


def test_qlike_dm_table_tests_against_the_baseline():
    forecasts, _ = _forecasts()
    table = qlike_dm_table(forecasts, "rolling_variance").set_index("model")
    assert np.isnan(table.loc["rolling_variance", "dm_p"])
    assert 0 <= table.loc["ewma", "dm_p"] <= 1
    assert table.loc["ewma", "qlike"] > 0


def test_only_variance_runs_get_the_section_and_levels_come_from_metric_names():
    assert is_volatility_run(_Run(["variance"])) and not is_volatility_run(_Run(["log_return"]))
    assert var_levels(["qlike", "kupiec_1", "var_breaches_5", "fz0_1"]) == [0.01, 0.05]
    assert var_levels(["qlike"]) == [0.01, 0.05]
