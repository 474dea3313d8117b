"""The ready deep-model experiments validate and pit every neural built-in against the random walk and ARIMA."""

from pathlib import Path

import pytest

from tsbench.experiment import load_experiment
from tsbench.forecasters.registry import BUILTINS

HERE = Path(__file__).resolve().parent.parent / "experiments"
NEURAL = {name for name, target in BUILTINS.items() if ".neural." in target}


@pytest.mark.parametrize("file, target", [("deep.yaml", "log_price"), ("deep_returns.yaml", "log_return")])
def test_deep_experiment_uses_every_neural_builtin_with_defaults(file, target):
    experiment = load_experiment(HERE / file)
    models = {f.model: f for f in experiment.forecasters}
    assert NEURAL == {"lstm", "transformer", "dlinear", "nlinear", "patchtst", "nhits", "itransformer"}
    assert NEURAL | {"naive", "arima"} <= set(models)
    assert all(models[m].params == {} for m in NEURAL)  # the defaults are what is being judged
    assert {d.target for d in experiment.data} == {target} and len(experiment.data) == 5
    assert experiment.baseline == "random_walk"
