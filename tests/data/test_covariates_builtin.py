"""Covariates on the built-in series: S&P 500 and NASDAQ with the VIX, each other, volume and the calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import validate_experiment
from tsbench.covariates import Covariates
from tsbench.data.loader import experiment_covariates, load_panel, load_panel_levels
from tsbench.data.targets import to_target
from tsbench.errors import DataError


def specs(*entries):
    raw = {"name": "t", "backtest": {"origins": 2}, "forecasters": [{"name": "n", "model": "naive"}],
           "data": list(entries)}
    return validate_experiment(raw).data


def raw(name: str) -> pd.DataFrame:
    module = __import__(f"arch.data.{name}", fromlist=["load"])
    frame = module.load()
    frame.index = pd.DatetimeIndex(frame.index)
    return frame


def entry(source, other, **extra):
    return {"source": f"builtin:{source}", "target": "log_return", "last": 750, **extra, "covariates": [
        {"name": "vix", "kind": "past", "source": "builtin:vix", "lag": 1},
        {"name": "other", "kind": "past", "source": f"builtin:{other}", "column": "Adj Close",
         "transform": "log_return"},
        {"name": "volume", "kind": "past", "column": "Volume", "lag": 2},
        {"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week"},
        {"name": "asset", "kind": "static", "value": source, "categorical": True}]}


@pytest.fixture(scope="module")
def loaded():
    return load_panel_levels(specs(entry("sp500", "nasdaq"), entry("nasdaq", "sp500")))


def test_columns_follow_the_declaration(loaded):
    panel, levels, infos = loaded
    assert list(panel.columns) == ["unique_id", "ds", "y", "vix", "other", "volume", "dow", "asset"]
    assert all(panel[c].dtype == "float64" for c in panel.columns[2:])
    assert panel.groupby("unique_id").size().to_dict() == {"nasdaq": 750, "sp500": 750}
    assert levels.groupby("unique_id").size().to_dict() == {"nasdaq": 751, "sp500": 751}
    assert [i.length for i in infos] == [750, 750]
    assert infos[0].covariates["vix"] == {"kind": "past", "source": "builtin:vix", "column": "vix", "lag": 1,
                                          "transform": "level", "rows_dropped": 0}
    assert experiment_covariates(specs(entry("sp500", "nasdaq"))) == Covariates(
        past=("vix", "other", "volume"), known=("dow",), static=("asset",), categorical=("asset",))


def test_vix_is_the_close_published_by_the_previous_trading_day(loaded):
    panel = loaded[0].query("unique_id == 'sp500'").reset_index(drop=True)
    sp = raw("sp500")
    vix = raw("vix")["vix"].dropna()
    previous = sp.index[sp.index.get_indexer(pd.DatetimeIndex(panel["ds"])) - 1]  # one row of the S&P calendar
    expected = [vix[vix.index <= t].iloc[-1] for t in previous]
    np.testing.assert_array_equal(panel["vix"].to_numpy(), expected)
    # on 2018-12-26 (after the Christmas close) the previous S&P day is 2018-12-24
    row = panel[panel["ds"] == pd.Timestamp("2018-12-26")]
    assert row["vix"].item() == vix[pd.Timestamp("2018-12-24")]


def test_own_volume_and_the_other_index_return(loaded):
    panel = loaded[0].query("unique_id == 'sp500'").reset_index(drop=True)
    sp, nq = raw("sp500"), raw("nasdaq")
    at = sp.index.get_indexer(pd.DatetimeIndex(panel["ds"]))
    np.testing.assert_array_equal(panel["volume"].to_numpy(), sp["Volume"].to_numpy()[at - 2].astype(float))
    nq_ret = np.log(nq["Adj Close"]).diff()
    np.testing.assert_allclose(panel["other"].to_numpy(), nq_ret.loc[pd.DatetimeIndex(panel["ds"])].to_numpy())
    np.testing.assert_array_equal(panel["dow"].to_numpy(), pd.DatetimeIndex(panel["ds"]).day_of_week)
    assert loaded[0].groupby("unique_id")["asset"].unique().map(list).to_dict() == {"nasdaq": [1.0], "sp500": [0.0]}


def test_target_and_levels_are_those_without_covariates(loaded):
    panel, levels, _ = loaded
    plain, plain_levels, _ = load_panel_levels(specs({"source": "builtin:sp500", "target": "log_return",
                                                      "last": 750}))
    got = panel.query("unique_id == 'sp500'").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[["unique_id", "ds", "y"]], plain)
    lv = levels.query("unique_id == 'sp500'").reset_index(drop=True)
    pd.testing.assert_frame_equal(lv, plain_levels)
    np.testing.assert_allclose(to_target(lv, "log_return")["y"], got["y"])


def test_sp500_from_1999_is_not_covered_by_the_vix(loaded):
    with pytest.raises(DataError, match=r"data entry 'builtin:sp500', covariate 'vix' \(column 'vix' of "
                                        r"'builtin:vix'\): expected the covariate to start at or before the first row "
                                        r"of series 'sp500' \(1999-01-07\) \(with lag 1, its value is the one "
                                        r"published by 1999-01-06.*first observation is at 2014-01-03; "
                                        r"set 'last: 1256'"):
        load_panel(specs({k: v for k, v in entry("sp500", "nasdaq").items() if k != "last"}))


def test_vix_holidays_follow_the_missing_policy():
    with pytest.raises(DataError, match=r"covariate 'vix'.*missing policy is 'error'.*got 46, the first at 2014-01-20"):
        load_panel(specs(entry("sp500", "nasdaq", missing="error")))


def test_the_suggested_last_fits():
    panel, _ = load_panel(specs({**entry("sp500", "nasdaq"), "last": 1256}))
    assert len(panel) == 1256 and str(panel["ds"].iloc[0].date()) == "2014-01-06"
    with pytest.raises(DataError, match=r"set 'last: 1256'"):
        load_panel(specs({**entry("sp500", "nasdaq"), "last": 1257}))
