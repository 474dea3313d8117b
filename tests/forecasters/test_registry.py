"""Forecasters from entry points and dotted paths: listing, validation on load, and use in experiments."""

import pickle
import sys
import textwrap
from importlib.metadata import entry_points

import pytest
from typer.testing import CliRunner

import plugin_fixtures as fx
from tsbench.cli import app
from tsbench.experiment import parse_experiment
from tsbench.errors import ConfigError, PluginError
from tsbench.forecasters.base import clone
from tsbench.forecasters.registry import describe_models, make_forecaster
from tsbench.runner import run_experiment
from tsbench.testing import synthetic_panel

runner = CliRunner()
PLUGIN_INSTALL = "pip install --no-deps --no-build-isolation -e examples/plugin"


def _experiment(tmp_path, forecasters, **extra):
    path = tmp_path / "panel.csv"
    synthetic_panel(2, 80, seed=1).to_csv(path, index=False)
    raw = {
        "name": "plugins",
        "data": [{"source": f"csv:{path}", "target": "price"}],
        "backtest": {"horizon": 3, "origins": 4, "step": 3, "min_train": 30},
        "forecasters": forecasters,
        "metrics": ["mae"],
        "output": str(tmp_path / "out"),
        "executor": {"kind": "serial"},
        **extra,
    }
    return raw


def _run(tmp_path, forecasters):
    experiment = parse_experiment(_experiment(tmp_path, forecasters))
    return run_experiment(experiment, base_dir=tmp_path, progress=False)


@pytest.fixture
def fake_distribution(tmp_path, monkeypatch):
    """An installed distribution (a .dist-info on sys.path) with a good, a broken and a clashing entry point."""
    site = tmp_path / "site"
    dist = site / "acme_forecasters-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-forecasters\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(textwrap.dedent("""\
        [tsbench.forecasters]
        acme_last = acme_good:LastValue
        acme_broken = acme_broken:Model
        naive = acme_good:LastValue
        """))
    (site / "acme_good.py").write_text(textwrap.dedent('''\
        """A protocol-only plugin."""
        import pandas as pd

        class LastValue:
            """Repeats the last value, shifted by offset."""
            name = "last"
            tags = {"quantiles": False}

            def __init__(self, offset=0.0):
                self.offset = offset

            def fit(self, train):
                return self

            def predict(self, context, horizon, quantiles=()):
                last = context.groupby("unique_id", sort=False)["y"].last()
                return pd.DataFrame([{"unique_id": u, "h": h, "y_pred": v + self.offset}
                                     for u, v in last.items() for h in range(1, horizon + 1)])
        '''))
    (site / "acme_broken.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_models_lists_builtins_with_origin_tags_and_parameters():
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "moving_average  [builtin]" in result.output
    assert "parameters: window=20" in result.output
    assert "tags: quantiles" in result.output  # naive forecasts quantiles


def test_broken_entry_point_is_listed_with_its_error_and_the_others_still_work(fake_distribution, tmp_path):
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "acme_last [entry point (acme-forecasters): acme_good:LastValue]" in out
    assert "parameters: offset=0.0" in out
    assert "acme_broken [entry point (acme-forecasters): acme_broken:Model]" in out
    assert "error: model 'acme_broken'" in out and "a_dependency_that_is_not_installed" in out
    assert "the name 'naive' is already taken" in out
    assert "seasonal_naive [builtin]" in out
    with pytest.raises(PluginError, match=r"'acme_broken' \(entry point \(acme-forecasters\)"):
        make_forecaster("b", "acme_broken")
    # a plugin cannot shadow a built-in
    assert type(make_forecaster("n", "naive")).__module__ == "tsbench.forecasters.baselines"


def test_entry_point_plugin_runs_in_an_experiment_by_its_name(fake_distribution, tmp_path):
    result = _run(tmp_path, [{"name": "rw", "model": "naive"},
                             {"name": "acme", "model": "acme_last", "params": {"offset": 0.0}}])
    assert result.ok, result.failures
    board = result.leaderboard.set_index("model")
    assert board.loc["acme", "mae"] == pytest.approx(board.loc["rw", "mae"])  # same forecasts as the random walk


def test_example_plugin_appears_in_models_and_runs_by_entry_point_name(tmp_path):
    if "ridge_dlinear" not in entry_points(group="tsbench.forecasters").names:
        pytest.skip(f"the example plugin is not installed (or installed before its entry point was renamed "
                    f"ridge_dlinear); run `{PLUGIN_INSTALL}`")
    result = runner.invoke(app, ["models"])
    assert "ridge_dlinear  [entry point (tsbench-dlinear): tsbench_dlinear.dlinear:DLinear]" in result.output
    run = _run(tmp_path, [{"name": "dl", "model": "ridge_dlinear", "params": {"window": 10, "kernel_size": 5}}])
    assert run.ok, run.failures
    assert set(run.forecasts["model"]) == {"dl"} and len(run.forecasts) == 2 * 4 * 3


def test_dotted_path_forecaster_runs_from_the_current_folder_without_installation(tmp_path, monkeypatch):
    (tmp_path / "my_local_models.py").write_text(textwrap.dedent('''\
        from tsbench.forecasters.base import LocalForecaster
        import numpy as np

        class Last(LocalForecaster):
            def __init__(self, bump=0.0):
                self.bump = bump

            def _predict_one(self, state, y, horizon):
                return np.full(horizon, y[-1] + self.bump)
        '''))
    raw = _experiment(tmp_path, [{"name": "mine", "model": "my_local_models:Last", "params": {"bump": 1.0}}])
    import yaml

    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI adds the current folder; undo it afterwards
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "exp.yaml", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "mine" in result.output


def test_protocol_only_plugin_is_adapted_for_the_engine():
    model = make_forecaster("pm", "plugin_fixtures:PlainMean", {"window": 3})
    assert model.get_params() == {"window": 3, "seed": None}
    assert model.all_tags()["global"] is False and model.name == "pm"
    model.seed = 7  # what the engine does with an unset seed
    panel = synthetic_panel(2, 40)
    model.fit(panel)
    assert model.plugin_.seed == 7 and model.plugin_.window == 3
    restored = pickle.loads(pickle.dumps(model))  # cells travel to worker processes
    assert restored.predict(panel, 2).equals(model.predict(panel, 2))
    twin = clone(model)
    assert twin.get_params() == {"window": 3, "seed": 7} and not hasattr(twin, "plugin_")
    with pytest.raises(ConfigError, match=r"no parameter\(s\) \['size'\].*\['window', 'seed'\]"):
        make_forecaster("pm", "plugin_fixtures:PlainMean", {"size": 3})
    with pytest.raises(ConfigError, match="window must be a positive integer, got 0"):
        make_forecaster("pm", "plugin_fixtures:PlainMean", {"window": 0})


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("plugin_fixtures:MissingPredict", r"MissingPredict lacks method\(s\) \['predict'\]"),
        ("plugin_fixtures:AbstractLocal", r"lacks method\(s\) \['_predict_one'\]"),
        ("plugin_fixtures:not_a_class", r"is a function, not a class"),
        ("plugin_fixtures:TakesKwargs", r"constructor takes \*kwargs"),
        ("plugin_fixtures:RenamesParams", r"get_params\(\) failed.*self.window = window"),
        ("plugin_fixtures:BadTags", r"'tags' must be a mapping"),
        ("plugin_fixtures:ExplodingConstructor", r"constructor raised RuntimeError: cannot reach the licence"),
        ("plugin_fixtures:Missing", r"has no attribute 'Missing'"),
        ("no_such_module_xyz:Model", r"cannot import module 'no_such_module_xyz'"),
    ],
)
def test_broken_plugin_gives_an_error_naming_it(target, message):
    with pytest.raises(PluginError, match=message) as info:
        make_forecaster("alias", target)
    assert f"model {target!r} (dotted path)" in str(info.value)


def test_plugin_module_that_raises_on_import_is_named(tmp_path, monkeypatch):
    (tmp_path / "explodes_on_import.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="explodes_on_import.*raised RuntimeError: boom"):
        make_forecaster("x", "explodes_on_import:Model")
    infos = {i.spec.name: i for i in describe_models(("explodes_on_import:Model",))}
    assert "boom" in infos["explodes_on_import:Model"].error and infos["naive"].error is None


def test_experiment_file_names_the_broken_plugin(tmp_path):
    raw = _experiment(tmp_path, [{"name": "bad", "model": "plugin_fixtures:MissingPredict"}])
    with pytest.raises(ConfigError, match=r"forecasters\.0\.model \(bad\):.*MissingPredict lacks"):
        parse_experiment(raw, where="exp.yaml")


def test_wrong_output_at_run_time_fails_only_its_cells_and_names_the_plugin(tmp_path):
    result = _run(tmp_path, [{"name": "rw", "model": "naive"},
                             {"name": "short", "model": "plugin_fixtures:PlainWrongShape"}])
    assert {f["model"] for f in result.failures} == {"short"}
    error = result.failures[0]["error"]
    assert error.startswith("PluginError") and "plugin_fixtures:PlainWrongShape" in error and "rows" in error
    assert set(result.forecasts["model"]) == {"rw"}
