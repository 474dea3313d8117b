"""Covariates from the experiment file to the run: resolved per forecaster, named errors, manifest, plugin audit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

import tsbench.runner as runner_module
from tsbench.cli import main
from tsbench.covariates import Covariates
from tsbench.errors import ConfigError, PluginError
from tsbench.experiment import parse_experiment, resolve_experiment
from tsbench.panel import ID
from tests.helpers import experiment

COVARIATES = [{"name": "vol", "kind": "past", "column": "y", "lag": 1},
              {"name": "dow", "kind": "known", "source": "calendar", "column": "day_of_week"},
              {"name": "size", "kind": "static", "value": 2.0}]
REG = {"name": "reg", "model": "covariate_fixtures:LaggedRegression", "covariates": "all"}


def raw_experiment(tmp_path, forecasters, covariates=COVARIATES):
    raw = yaml.safe_load(experiment(tmp_path, forecasters, write=True).read_text())
    raw["data"][0]["covariates"] = covariates
    return raw


def test_each_forecaster_gets_the_covariates_it_names_and_fallbacks_get_none(tmp_path):
    raw = raw_experiment(tmp_path, [REG, {"name": "past", "model": "covariate_fixtures:LaggedRegression",
                                          "covariates": ["vol"], "fallback": "naive"},
                                    {"name": "rw", "model": "naive"}])
    resolved = resolve_experiment(parse_experiment(raw, check_models=False))
    assert resolved.covariates == Covariates(past=("vol",), known=("dow",), static=("size",))
    assert [f.covariates for f in resolved.forecasters] == [resolved.covariates, Covariates(past=("vol",)),
                                                            Covariates()]
    assert resolved.fallbacks["past"].covariates == Covariates()


def test_covariates_given_to_a_model_that_cannot_use_them_are_a_config_error_naming_the_key(tmp_path):
    raw = raw_experiment(tmp_path, [REG, {"name": "rw", "model": "naive", "covariates": ["dow"]}])
    with pytest.raises(ConfigError, match=r"forecasters\.1\.covariates \(rw\): Naive takes no covariates .*"
                                          r"\{'known': \['dow'\]\}"):
        parse_experiment(raw, where="exp.yaml")
    raw["forecasters"][1] = {"name": "peek", "model": "covariate_fixtures:PeekingCovariate", "covariates": "all"}
    with pytest.raises(ConfigError, match=r"forecasters\.1\.covariates \(peek\): PeekingCovariate takes only past "
                                          r"covariates .*'known': \['dow'\], 'static': \['size'\]"):
        parse_experiment(raw, where="exp.yaml")


def test_bad_covariates_reach_the_command_line_as_one_error_line(tmp_path, capsys):
    for forecaster, message in [({"name": "rw", "model": "naive", "covariates": ["dow"]}, "Naive takes no covariates"),
                                ({**REG, "covariates": ["vix"]}, "unknown covariate(s) ['vix']")]:
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(raw_experiment(tmp_path, [forecaster])))
        with pytest.raises(SystemExit) as exit_:
            main(["validate", str(path)])
        out = capsys.readouterr()
        text = out.out + out.err
        assert exit_.value.code == 2 and text.startswith("error: ") and message in text, text
        assert "Traceback" not in text


def test_a_run_with_covariates_records_them_and_resumes_its_cells(tmp_path):
    raw = raw_experiment(tmp_path, [REG, {"name": "bare", "model": "covariate_fixtures:LaggedRegression"},
                                    {"name": "rw", "model": "naive"}])
    result = runner_module.run_experiment(parse_experiment(raw), progress=False, report=False)
    assert result.ok, result.failures
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["covariates"] == {
        "declared": {"past": ["vol"], "known": ["dow"], "static": ["size"]},
        "forecasters": {"reg": {"past": ["vol"], "known": ["dow"], "static": ["size"]}, "bare": {}, "rw": {}}}
    out = result.forecasts
    reg, bare = (out[out["model"] == m].sort_values([ID, "cutoff", "h"])["y_pred"].to_numpy() for m in ("reg", "bare"))
    assert len(reg) == len(bare) == 4 * 6 * 3 and not np.allclose(reg, bare)  # the covariates were read
    again = runner_module.run_experiment(parse_experiment(raw), progress=False, report=False)
    assert again.computed == 0 and again.reused == result.computed


def test_a_plugin_given_covariates_gets_the_leakage_audit_before_work(tmp_path):
    peek = {"name": "peek", "model": "covariate_fixtures:PeekingCovariate", "covariates": ["vol"]}
    exp = parse_experiment(raw_experiment(tmp_path, [peek]))
    with pytest.raises(PluginError, match=r"'peek' .*failed the covariate leakage check: predict_origins: perturbing "
                                          r"the past covariate .*--no-plugin-check"):
        runner_module.run_experiment(exp, progress=False, report=False)
    assert not list((tmp_path / "results").rglob("cells/*.json"))  # nothing was computed
    honest = parse_experiment(raw_experiment(tmp_path, [REG]))
    assert runner_module.run_experiment(honest, progress=False, report=False).ok
    without = parse_experiment(raw_experiment(tmp_path, [{**peek, "covariates": None}]))
    assert runner_module.run_experiment(without, progress=False, report=False).ok  # honest without covariates
