"""Bad covariates get named errors before any work: the entry, the covariate, what was expected and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsbench.config import DataSpec, validate_experiment
from tsbench.data.loader import experiment_covariates, load_panel_levels
from tsbench.errors import ConfigError, DataError


def load(folder, *entries):
    raw = {"name": "t", "backtest": {"origins": 2}, "forecasters": [{"name": "n", "model": "naive"}],
           "data": list(entries)}
    return load_panel_levels(validate_experiment(raw).data, folder)


@pytest.fixture
def folder(tmp_path):
    """Two business-day series (2020-01-01 on) in a long CSV, and a covariate on the same days."""
    ds = pd.bdate_range("2020-01-01", periods=20)
    pd.concat([pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(20.0) + 10}) for uid in ("a", "b")]
              ).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"ds": ds, "x": np.arange(20.0)}).to_csv(tmp_path / "cov.csv", index=False)
    return tmp_path


def entry(**cov):
    return {"source": "csv:t.csv", "covariates": [{"name": "x", "kind": "past", "source": "csv:cov.csv", **cov}]}


def write_cov(folder, frame, name="cov.csv"):
    frame.to_csv(folder / name, index=False)


def test_unknown_column_lists_the_available_ones(folder):
    with pytest.raises(DataError, match=r"data entry 'csv:t.csv', covariate 'x' \(column 'vix' of 'csv:cov.csv'\): "
                                        r"expected a value column 'vix'.*available columns: \['ds', 'x'\]"):
        load(folder, entry(column="vix"))
    with pytest.raises(DataError, match=r"available columns: \['vix'\]; set 'column'"):
        load(folder, {"source": "builtin:sp500", "covariates": [
            {"name": "v", "kind": "past", "source": "builtin:vix", "column": "VIX"}]})
    with pytest.raises(DataError, match=r"expected a time column 'when'.*set 'time_column'"):
        load(folder, entry(time_column="when"))


def test_covariate_starting_after_the_first_row_names_both_dates_and_the_last_that_fits(folder):
    ds = pd.bdate_range("2020-01-08", periods=15)  # five business days after the series start
    write_cov(folder, pd.DataFrame({"ds": ds, "x": np.arange(15.0)}))
    with pytest.raises(DataError, match=r"covariate 'x'.*first row of series 'a' \(2020-01-01.*first observation "
                                        r"is at 2020-01-08.*set 'last: 15'"):
        load(folder, entry())
    with pytest.raises(DataError, match=r"first row of series 'a' \(2020-01-09\) \(with lag 2, its value is the one "
                                        r"published by 2020-01-07.*first observation is at 2020-01-08.*set 'last: 13'"):
        load(folder, {**entry(lag=2), "last": 14})
    panel, _, _ = load(folder, {**entry(lag=2), "last": 13})  # the suggestion works
    assert panel.groupby("unique_id").size().tolist() == [13, 13]


def test_ended_covariate_is_stale(folder):
    write_cov(folder, pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=12), "x": np.arange(12.0)}))
    with pytest.raises(DataError, match=r"covariate 'x'.*ends at 2020-01-16.*series 'a' goes on to 2020-01-28.*"
                                        r"4 day\(s\) old.*\(3 day\(s\)\), so it is stale; extend the covariate's data"):
        load(folder, entry())


def test_known_covariate_missing_names_series_and_first_time(folder):
    ds = pd.bdate_range("2020-01-01", periods=20).delete([6, 9])
    write_cov(folder, pd.DataFrame({"ds": ds, "x": 1.0}))
    with pytest.raises(DataError, match=r"covariate 'x'.*series 'a' has none at 2020-01-09.*\(2 time\(s\)"):
        load(folder, entry(kind="known"))
    write_cov(folder, pd.DataFrame({"sid": ["a"] * 20, "ds": pd.bdate_range("2020-01-01", periods=20), "x": 1.0}))
    with pytest.raises(DataError, match=r"none for \['b'\]; ids there: \['a'\]"):
        load(folder, entry(kind="known", id_column="sid"))


def test_non_numeric_values_need_categorical(folder):
    write_cov(folder, pd.DataFrame({"ds": pd.bdate_range("2020-01-01", periods=20), "x": ["lo", "hi"] * 10}))
    with pytest.raises(DataError, match=r"covariate 'x'.*non-numeric value 'lo' at 2020-01-01.*categorical: true"):
        load(folder, entry())
    assert load(folder, entry(categorical=True))[0]["x"].tolist()[:3] == [0.0, 1.0, 0.0]
    with pytest.raises(DataError, match=r"covariate 's' \(value 'tech'\): expected a number.*categorical: true"):
        load(folder, {"source": "csv:t.csv", "covariates": [{"name": "s", "kind": "static", "value": "tech"}]})


def test_static_column_must_be_constant_per_id(folder):
    frame = pd.read_csv(folder / "t.csv")
    frame.assign(sector=np.where(frame.index == 25, 2.0, 1.0)).to_csv(folder / "t.csv", index=False)
    with pytest.raises(DataError, match=r"covariate 'sector'.*one value per series, but series 'b' has 2 "
                                        r"different values \(e.g. \[1.0, 2.0\]\)"):
        load(folder, {"source": "csv:t.csv", "covariates": [{"name": "sector", "kind": "static"}]})
    write_cov(folder, pd.DataFrame({"x": [1.0, 2.0]}), "meta.csv")
    with pytest.raises(DataError, match=r"without an id column needs one value.*'id_column'"):
        load(folder, {"source": "csv:t.csv", "covariates": [{"name": "x", "kind": "static", "source": "csv:meta.csv"}]})


def test_calendar_on_integer_time(tmp_path, hand_csv):
    spec = {"source": f"csv:{hand_csv}", "columns": {"id": "id", "time": "t", "value": "price"},
            "covariates": [{"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week"}]}
    with pytest.raises(DataError, match=r"covariate 'dow'.*calendar covariates need dates.*integer steps"):
        load(tmp_path, spec)


def test_time_kinds_must_agree(folder):
    write_cov(folder, pd.DataFrame({"ds": range(20), "x": 1.0}))
    with pytest.raises(DataError, match=r"covariate 'x'.*holds integer steps, but the series of this entry are "
                                        r"indexed by dates"):
        load(folder, entry())


def test_same_name_with_different_kinds_is_a_config_error(folder):
    a = DataSpec(source="csv:t.csv", covariates=[{"name": "x", "kind": "past", "source": "csv:cov.csv"}])
    b = DataSpec(source="builtin:sp500", covariates=[{"name": "x", "kind": "known", "source": "csv:cov.csv"}])
    with pytest.raises(ConfigError, match=r"covariate 'x': expected the same 'kind'.*'past' on 'csv:t.csv' and "
                                          r"'known' on 'builtin:sp500'"):
        load_panel_levels([a, b], folder)
    with pytest.raises(ConfigError, match=r"declare different covariates \(\['x'\]"):
        experiment_covariates([a, DataSpec(source="builtin:sp500")])


def test_missing_values_follow_the_entry_policy(folder):
    values = np.arange(20.0)
    values[[0, 4]] = np.nan  # the first is before any value: dropped; the next keeps the last published one
    write_cov(folder, pd.DataFrame({"ds": pd.bdate_range("2019-12-31", periods=20), "x": values}))
    with pytest.raises(DataError, match=r"covariate 'x'.*missing policy is 'error'.*got 2, the first at 2019-12-31"):
        load(folder, {**entry(), "missing": "error"})
    panel, _, _ = load(folder, entry())
    assert panel["x"].tolist()[:5] == [1.0, 2.0, 3.0, 3.0, 5.0]  # 2020-01-06 (NaN) keeps 2020-01-03's value
    ffill, _, _ = load(folder, {**entry(), "missing": "ffill"})
    assert ffill["x"].tolist()[:5] == [1.0, 2.0, 3.0, 3.0, 5.0]


def test_infinite_and_non_positive_values(folder):
    write_cov(folder, pd.DataFrame({"ds": pd.bdate_range("2019-12-31", periods=21), "x": [np.inf] + [1.0] * 20}))
    with pytest.raises(DataError, match=r"covariate 'x'.*infinite.*'infinite: missing'"):
        load(folder, entry())
    assert (load(folder, {**entry(), "infinite": "missing"})[0]["x"] == 1.0).all()
    write_cov(folder, pd.DataFrame({"ds": pd.bdate_range("2019-12-31", periods=21), "x": [1.0, 0.0] * 10 + [1.0]}))
    with pytest.raises(DataError, match=r"covariate 'x'.*'log_return' needs positive values, got 0.0 at 2020-01-01"):
        load(folder, entry(transform="log_return"))
    with pytest.raises(DataError, match=r"covariate 'x'.*transform 'return' gives a non-finite value.*difference"):
        load(folder, entry(transform="return"))


def test_empty_time_cells(folder):
    (folder / "cov.csv").write_text("ds,x\n2020-01-01,1\n,2\n2020-01-03,3\n")
    with pytest.raises(DataError, match=r"covariate 'x'.*expected a time in every row of column 'ds', got 1 empty"):
        load(folder, entry())


def test_duplicate_times_without_an_id_column(folder):
    ds = pd.bdate_range("2020-01-01", periods=20)
    write_cov(folder, pd.DataFrame({"ds": np.r_[ds, ds], "x": 1.0, "sid": ["a"] * 20 + ["b"] * 20}))
    with pytest.raises(DataError, match=r"covariate 'x'.*one value per time, got several at 2020-01-01.*'id_column'"):
        load(folder, entry())
    assert load(folder, entry(id_column="sid"))[0].groupby("unique_id").size().tolist() == [20, 20]


def test_declaration_errors(folder):
    with pytest.raises(ConfigError, match=r"covariate 'v'.*built-in datasets are wide tables.*drop 'id_column'"):
        load(folder, {"source": "csv:t.csv", "covariates": [
            {"name": "v", "kind": "past", "source": "builtin:vix", "column": "vix", "id_column": "sid"}]})
    with pytest.raises(DataError, match=r"covariate 'x'.*lag of 25 row\(s\).*series 'a' has only 20"):
        load(folder, entry(lag=25))
