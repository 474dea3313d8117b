"""The ``tune`` sections of an experiment file: named errors before any work, and a tuned run end to end."""

from __future__ import annotations

import json

import pytest

from tests.helpers import experiment, write_panel
from tsbench.config import config_hash
from tsbench.errors import ConfigError, DataError
from tsbench.experiment import parse_experiment, resolve_experiment

WINDOW = {"window": {"type": "int", "low": 2, "high": 30}}


def raw(tmp_path, tune: dict, model: str = "moving_average", shared: dict | None = None, params=None) -> dict:
    out = {
        "name": "tuned",
        "data": [{"source": f"csv:{write_panel(tmp_path, 2)}"}],
        "backtest": {"horizon": 3, "origins": 6, "step": 3, "refit_every": 3},
        "forecasters": [{"name": "rw", "model": "naive"},
                        {"name": "ma", "model": model, "params": params or {}, "tune": tune}],
        "output": str(tmp_path / "results"),
    }
    if shared is not None:
        out["tune"] = shared
    return out


@pytest.mark.parametrize(("tune", "message"), [
    ({"space": {"windw": WINDOW["window"]}, "budget": {"trials": 5}},
     r"forecasters\.1\.tune\.space\.windw \(ma\): model 'moving_average' has no parameter 'windw'; "
     r"its parameters are \['window'\]"),
    ({"space": {"window": {"type": "int", "low": 0, "high": 10}}, "budget": {"trials": 5}},
     r"forecasters\.1\.tune\.space\.window \(ma\): the search may try window=0, which the model refuses: .*"
     r"window must be a positive integer, got 0"),
    ({"space": {}, "budget": {"trials": 5}}, r"forecasters\.1\.tune\.space \(ma\): the search space is empty"),
    ({"space": {"window": {"type": "categorical", "choices": []}}, "budget": {"trials": 5}},
     r"the search space is empty"),
    ({"space": WINDOW, "budget": {"trials": 0}},
     r"forecasters\.1\.tune\.budget \(ma\): a budget of 0 trial\(s\) searches nothing"),
    ({"space": WINDOW, "budget": {"seconds": 0}}, r"a budget of 0 second\(s\) searches nothing"),
    ({"space": WINDOW}, r"forecasters\.1\.tune\.budget \(ma\): no budget"),
    ({"space": WINDOW, "budget": {"trials": 5}, "metric": "pinball"},
     r"forecasters\.1\.tune\.metric \(ma\): expected a point metric .* got 'pinball'"),
    ({"space": {"learning_rate": {"type": "float", "low": 0.01, "high": 0.1}}, "budget": {"trials": 5},
      "sampler": "grid"}, None),
    ({"space": WINDOW, "budget": {"trials": 5}, "sampler": "grid", "parallel": 2},
     r"forecasters\.1\.tune\.parallel \(ma\): the grid sampler walks one grid in one search"),
])
def test_bad_tune_sections_are_named_before_any_work(tmp_path, tune, message):
    if message is None:  # the grid sampler needs steps for floats (checked on lightgbm's learning_rate)
        pytest.importorskip("lightgbm")
        bad = raw(tmp_path, tune, model="lightgbm")
        message = r"forecasters\.1\.tune\.sampler \(ma\): the grid sampler needs a 'step' for float parameter"
    else:
        bad = raw(tmp_path, tune)
    with pytest.raises(ConfigError, match=message):
        parse_experiment(bad, where="exp.yaml")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(("space", "message"), [
    ({"window": {"type": "int", "low": 9, "high": 2}}, r"'low' \(9\) is above 'high' \(2\)"),
    ({"window": {"type": "categorical"}}, r"'categorical' needs 'choices'"),
    ({"window": {"type": "float", "low": 0, "high": 1, "log": True}}, r"'log: true' needs 'low' > 0"),
    ({"window": {"type": "int", "low": 1.5, "high": 4}}, r"'int' needs whole numbers"),
])
def test_malformed_ranges_are_schema_errors_naming_the_key(tmp_path, space, message):
    with pytest.raises(ConfigError, match=r"forecasters\.1\.tune\.space\.window: .*" + message):
        parse_experiment(raw(tmp_path, {"space": space, "budget": {"trials": 5}}), where="exp.yaml")


def test_same_budget_gives_every_tuned_forecaster_the_shared_budget_and_refuses_another(tmp_path):
    shared = {"budget": "same", "trials": 7}
    resolved = resolve_experiment(parse_experiment(raw(tmp_path, {"space": WINDOW}, shared=shared)))
    assert resolved.tuning["ma"][1].trials == 7
    with pytest.raises(ConfigError, match=r"5 trial\(s\) differs from the shared budget \(7 trial\(s\)\)"):
        parse_experiment(raw(tmp_path, {"space": WINDOW, "budget": {"trials": 5}}, shared=shared))
    two = raw(tmp_path, {"space": WINDOW, "budget": {"trials": 5}}, shared={"budget": "same"})
    two["forecasters"].append({"name": "ma2", "model": "moving_average", "tune": {"space": WINDOW,
                                                                                   "budget": {"seconds": 5}}})
    with pytest.raises(ConfigError, match=r"tune\.budget: 'same' asks every tuned forecaster .*'ma': '5 trial\(s\)'"):
        parse_experiment(two)


def test_tuning_changes_the_config_hash_and_untuned_files_keep_theirs(tmp_path):
    tuned = parse_experiment(raw(tmp_path, {"space": WINDOW, "budget": {"trials": 5}}))
    plain = raw(tmp_path, {"space": WINDOW})
    del plain["forecasters"][1]["tune"]
    assert config_hash(tuned) != config_hash(parse_experiment(plain))


def test_an_inner_validation_longer_than_the_training_data_stops_the_run_before_work(tmp_path):
    pytest.importorskip("optuna")
    from tsbench.runner import run_experiment

    exp = parse_experiment(raw(tmp_path, {"space": WINDOW, "budget": {"trials": 2},
                                          "validation": {"origins": 200}}))
    with pytest.raises(DataError, match=r"forecaster 'ma': its tuning validates on 200 inner origin\(s\)"):
        run_experiment(exp, progress=False, report=False)
    assert not list((tmp_path / "results").rglob("*.parquet"))


def test_a_tuned_run_records_its_trials_shows_their_cost_and_reuses_them(tmp_path):
    pytest.importorskip("optuna")
    from typer.testing import CliRunner

    from tsbench.cli import app
    from tsbench.runner import run_experiment

    tune = {"space": WINDOW, "budget": {"trials": 4}, "validation": {"origins": 6, "step": 2}, "pruner": "median"}
    exp = experiment(tmp_path, [{"name": "rw", "model": "naive"},
                                {"name": "ma", "model": "moving_average", "tune": tune}], origins=6, refit_every=3,
                     n_series=2)
    first = run_experiment(exp, progress=False, report=False)
    board = first.leaderboard.set_index("model")
    assert board.loc["ma", "tune_trials"] == 2 * 2 * 4 and board.loc["rw", "tune_trials"] == 0
    assert board.loc["ma", "tune_cpu_s"] > 0
    assert "tune_trials" in (first.run_dir / "leaderboard.md").read_text()
    manifest = json.loads((first.run_dir / "manifest.json").read_text())
    tuned = [c for c in manifest["cells"] if c["model"] == "ma"]
    blocks = [b for c in tuned for b in c["tuning"]["blocks"]]
    assert len(blocks) == 4 and all(len(b["trials"]) == 4 for b in blocks)
    assert {"number", "params", "score", "state", "pruned", "seconds"} <= set(blocks[0]["trials"][0])
    assert all(2 <= b["chosen"]["window"] <= 30 for b in blocks)
    again = run_experiment(exp, progress=False, report=False)
    assert again.computed == 0 and again.reused == first.computed
    result = CliRunner().invoke(app, ["tune-report", str(first.run_dir)])
    assert result.exit_code == 0, result.output
    assert "## ma" in result.output and "16 trials" in result.output and '{"window": ' in result.output


def test_split_searches_run_ahead_in_the_executor_and_choose_the_same_serially_and_in_processes(tmp_path):
    pytest.importorskip("optuna")
    from tsbench.runner import run_experiment

    tune = {"space": WINDOW, "budget": {"trials": 5}, "validation": {"origins": 5, "step": 2}, "parallel": 2}
    chosen = []
    for kind in ("serial", "processes"):
        folder = tmp_path / kind
        folder.mkdir()
        exp = experiment(folder, [{"name": "ma", "model": "moving_average", "tune": tune}], n_series=2,
                         executor={"kind": kind, "workers": 2} if kind == "processes" else None)
        run = run_experiment(exp, progress=False, report=False)
        manifest = json.loads((run.run_dir / "manifest.json").read_text())
        blocks = [b for c in manifest["cells"] for b in c["tuning"]["blocks"]]
        # the two shards (3 + 2 trials) ran before the cell, which found them all in its journal
        assert all(b["resumed_trials"] == 5 and [t["shard"] for t in b["trials"]] == [0, 0, 0, 1, 1] for b in blocks)
        assert all(b["cpu_time"] > 0 and b["default_score"] is not None for b in blocks)
        chosen.append(sorted((c["series"], [(b["chosen"], [t["params"] for t in b["trials"]])
                                            for b in c["tuning"]["blocks"]]) for c in manifest["cells"]))
    assert chosen[0] == chosen[1]
