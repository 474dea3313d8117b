"""The ``covariates`` of data entries and forecasters in the experiment file: declaration errors, the hash."""

from __future__ import annotations

import pytest

from tsbench.config import config_hash, validate_experiment
from tsbench.errors import ConfigError


def experiment(covariates, forecaster=None, more_data=()):
    return {"name": "t", "backtest": {"origins": 2},
            "forecasters": [{"name": "n", "model": "naive", **(forecaster or {})}],
            "data": [{"source": "builtin:sp500", "covariates": covariates}, *more_data]}


def test_a_full_declaration_parses():
    exp = validate_experiment(experiment([
        {"name": "vix", "kind": "past", "source": "builtin:vix", "lag": 1, "transform": "log_return"},
        {"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week"},
        {"name": "beta", "kind": "static", "source": "csv:meta.csv", "id_column": "ticker"},
        {"name": "cls", "kind": "static", "value": "equity", "categorical": True}], {"covariates": "all"}))
    vix, dow, beta, cls = exp.data[0].covariates
    assert (vix.lag, vix.source_column(), dow.source_column(), beta.id_column, cls.value) == (1, "vix", "day_of_week",
                                                                                             "ticker", "equity")
    assert exp.forecasters[0].covariates == "all"


@pytest.mark.parametrize("cov, message", [
    ({"name": "x", "kind": "past", "lag": -1}, r"lag: Input should be greater than or equal to 0"),
    ({"name": "x", "kind": "known", "lag": 1}, r"'lag' is the publication lag of a past covariate"),
    ({"name": "y", "kind": "past"}, r"covariate name 'y' is a column tsbench uses itself"),
    ({"name": "x", "kind": "sometimes"}, r"kind: Input should be 'past', 'known' or 'static'"),
    ({"name": "x", "kind": "past", "source": "calendar"}, r"calendar covariates are known in advance"),
    ({"name": "x", "kind": "known", "source": "calendar"}, r"the calendar source has no column 'x'"),
    ({"name": "x", "kind": "past", "source": "http://x"}, r"expected source 'builtin:NAME'"),
    ({"name": "x", "kind": "past", "value": 1}, r"'value' gives a static covariate one value"),
    ({"name": "x", "kind": "static", "transform": "return"}, r"a static covariate has one value per series"),
    ({"name": "x", "kind": "past", "categorical": True, "transform": "difference"},
     r"a categorical covariate holds categories.*transform 'difference' cannot apply"),
    ({"name": "x", "kind": "static", "value": 1, "id_column": "sid"}, r"'value' reads no file: drop 'id_column'"),
    ({"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week", "time_column": "t"},
     r"the calendar source reads no file"),
])
def test_declaration_mistakes_are_named(cov, message):
    with pytest.raises(ConfigError, match=rf"data.0.covariates.0.*{message}"):
        validate_experiment(experiment([cov]))


def test_names_must_be_unique_declared_everywhere_and_known_to_forecasters():
    vix = {"name": "vix", "kind": "past", "source": "builtin:vix"}
    with pytest.raises(ConfigError, match=r"covariate name\(s\) \['vix'\] are declared twice"):
        validate_experiment(experiment([vix, vix]))
    with pytest.raises(ConfigError, match=r"covariate\(s\) \['vix'\] are declared on some data entries but not all"):
        validate_experiment(experiment([vix], more_data=[{"source": "builtin:nasdaq"}]))
    with pytest.raises(ConfigError, match=r"forecasters\[0\] \(n\): unknown covariate\(s\) \['vox'\]"):
        validate_experiment(experiment([vix], {"covariates": ["vox"]}))


def test_hash_of_an_experiment_without_covariates_is_unchanged_by_the_new_keys():
    plain = validate_experiment(experiment([]))
    without = experiment([])
    del without["data"][0]["covariates"]
    assert config_hash(plain) == config_hash(validate_experiment(without))
    assert config_hash(plain) != config_hash(validate_experiment(experiment(
        [{"name": "vix", "kind": "past", "source": "builtin:vix"}])))
