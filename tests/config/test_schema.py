"""The experiment schema: every mistake is reported with the file, the key path and what is allowed."""

from __future__ import annotations

import pytest

from tsbench.config import config_hash
from tsbench.experiment import load_experiment, parse_experiment
from tsbench.errors import ConfigError

GOOD = """
name: t
data: [{source: "builtin:vix", target: log_price}]
backtest: {horizon: 5, origins: 3, step: 5}
forecasters:
  - {name: rw, model: naive}
  - {name: ma, model: moving_average, params: {window: 10}}
metrics: [mae, {mase: {season_length: 5}}]
baseline: rw
"""


def test_a_good_file_parses(write_experiment):
    exp = load_experiment(write_experiment(GOOD))
    assert exp.metric_names() == ["mae", "mase"]
    assert exp.metric_params() == {"mase": {"season_length": 5}}
    assert exp.backtest.window == "expanding" and exp.backtest.refit_every == 1


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("name: t", "name: t\ncolour: red", r"exp.yaml: colour: unknown key; allowed keys here: name, data, backtest"),
        ("{horizon: 5,", "{horizon: 5, horizn: 2,", r"backtest.horizn: unknown key; allowed keys here: protocol, horizon"),
        ("horizon: 5", "horizon: -1", r"backtest.horizon: Input should be greater than 0 \(got -1\)"),
        ("horizon: 5", "horizon: five", r"backtest.horizon: Input should be a valid integer"),
        ("target: log_price", "target: logprice", r"data.0.target: Input should be 'price', 'log_price', 'return', 'log_return' or 'variance'"),
        ('"builtin:vix"', '"vix"', r"data.0.source: expected 'builtin:NAME', 'csv:PATH' or 'parquet:PATH', got 'vix'"),
        ("model: naive", "model: naieve", r"forecasters.0.model \(rw\): unknown model 'naieve'; expected one of \[.*'naive'"),
        ("{window: 10}", "{windw: 10}", r"forecasters.1.params \(ma\): model 'moving_average' has no parameter\(s\) \['windw'\]; its parameters are \['window'\]"),
        ("{window: 10}", "{window: 0}", r"forecasters.1.params \(ma\).*window must be a positive integer, got 0"),
        ("[mae,", "[mea,", r"metrics.0: unknown metric 'mea'; expected one of \["),
        ("baseline: rw", "baseline: rx", r"baseline 'rx' is not a forecaster name; expected one of \['rw', 'ma'\]"),
        ("name: ma,", "name: rw,", r"forecaster name 'rw' is used by forecasters\[0\] and forecasters\[1\]; give each forecaster a unique 'name'"),
        ("step: 5}", "step: 5, window: sliding}", r"backtest.window: Input should be 'expanding' or a valid integer \(got 'sliding'\)"),
        ("origins: 3, ", "", r"give exactly one of 'origins' \(a count\) or 'start'"),
    ],
)
def test_mistakes_are_named(write_experiment, old, new, message):
    assert old in GOOD
    path = write_experiment(GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


def test_not_yaml_and_not_a_mapping(write_experiment):
    with pytest.raises(ConfigError, match=r"exp.yaml: not valid YAML"):
        load_experiment(write_experiment("name: [unclosed"))
    with pytest.raises(ConfigError, match=r"expected a mapping of keys"):
        load_experiment(write_experiment("- just\n- a list\n"))
    with pytest.raises(ConfigError, match=r"does not exist"):
        load_experiment("no/such/file.yaml")


def test_split_protocol_fractions_must_sum_to_one(write_experiment):
    text = GOOD.replace("{horizon: 5, origins: 3, step: 5}", "{protocol: split, horizon: 5, train: 0.6, val: 0.2, test: 0.3}")
    with pytest.raises(ConfigError, match=r"train \+ val \+ test must sum to 1, got 1.1"):
        load_experiment(write_experiment(text))


def test_hash_ignores_output_and_executor_but_not_parameters(write_experiment):
    base = load_experiment(write_experiment(GOOD))
    moved = load_experiment(write_experiment(GOOD + "output: elsewhere\nexecutor: {kind: processes, workers: 2}\n", "b.yaml"))
    changed = load_experiment(write_experiment(GOOD.replace("window: 10", "window: 11"), "c.yaml"))
    assert config_hash(base) == config_hash(moved)
    assert config_hash(base) != config_hash(changed)


def test_dotted_path_model_that_does_not_exist_is_a_plugin_error():
    raw = {"name": "t", "data": [{"source": "builtin:vix"}], "backtest": {"horizon": 1, "origins": 1},
           "forecasters": [{"name": "x", "model": "no_such_pkg.mod:Model"}]}
    with pytest.raises(ConfigError, match=r"forecasters.0.model \(x\): model 'no_such_pkg.mod:Model' \(dotted path\): cannot import module 'no_such_pkg.mod'"):
        parse_experiment(raw)


@pytest.mark.parametrize(("key", "value"), [("horizon", "yes"), ("horizon", "2.5"), ("gap", "on"),
                                            ("min_train", "true")])
def test_integers_must_be_integers_not_yaml_booleans(key, value):
    text = GOOD.replace("backtest: {horizon: 5,", f"backtest: {{{key}: {value}, horizon: 5,") if key != "horizon" \
        else GOOD.replace("horizon: 5", f"horizon: {value}")
    with pytest.raises(ConfigError, match=rf"backtest.{key}: Input should be a valid integer"):
        parse_experiment(__import__("yaml").safe_load(text))


def test_a_boolean_for_a_number_names_yaml():
    text = GOOD + "trading: {cost_bps: yes}\n"
    with pytest.raises(ConfigError, match="trading.cost_bps: Input should be a number, not a boolean .*YAML reads "
                                          "yes/no/on/off/true/false as booleans"):
        parse_experiment(__import__("yaml").safe_load(text))


def test_experiment_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("name: t", "name: t  # prévision").encode("latin-1"))
    with pytest.raises(ConfigError, match="latin1.yaml: not UTF-8 text .*save the experiment file as UTF-8"):
        load_experiment(path)
