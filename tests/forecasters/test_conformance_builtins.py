"""Every built-in forecaster passes the same conformance suite that plugin authors run."""

import pytest

from tsbench.errors import PluginError
from tsbench.forecasters.registry import BUILTINS, make_forecaster, resolve
from tsbench.testing import check_forecaster

#: Cheap parameters per built-in, so the suite stays fast; models not listed use their defaults.
#: Names a model does not accept are dropped, so a guess here never breaks a model's test.
CHEAP_PARAMS: dict[str, dict] = {
    "moving_average": {"window": 5},
    "seasonal_naive": {"season_length": 5},
    "arima": {"order": [1, 1, 0]},
    "auto_arima": {"max_p": 1, "max_q": 1, "seasonal": False},
    "ets": {},
    "auto_ets": {"season_length": 1},
    "garch": {},
    "har": {"monthly": 10},
    "log_variance": {"model": "lightgbm", "params": {"lags": 5, "n_estimators": 20, "transform": "none"}},
    "prophet": {"n_changepoints": 5},
    "lightgbm": {"lags": 5, "n_estimators": 20},
    "lstm": {"input_size": 10, "hidden_size": 8, "max_steps": 20, "batch_size": 32},
    "transformer": {"input_size": 10, "hidden_size": 8, "num_heads": 2, "patch_len": 5, "max_steps": 20, "batch_size": 32},
    "dlinear": {"input_size": 10, "kernel_size": 5, "max_steps": 20, "batch_size": 32},
    "nlinear": {"input_size": 10, "max_steps": 20, "batch_size": 32},
    "patchtst": {"input_size": 10, "patch_len": 4, "stride": 2, "hidden_size": 8, "num_heads": 2, "num_layers": 1,
                 "d_ff": 16, "max_steps": 20, "batch_size": 32},
    "nhits": {"input_size": 10, "hidden_size": 16, "pool_sizes": [2, 1], "downsample": [2, 1], "max_steps": 20,
              "batch_size": 32},
    "itransformer": {"input_size": 10, "hidden_size": 8, "num_heads": 2, "num_layers": 1, "d_ff": 16,
                     "max_steps": 20, "batch_size": 32},
}
#: Models whose checks take more than a few seconds even with cheap parameters.
SLOW = {"prophet", "lstm", "transformer", "auto_arima", "patchtst", "nhits", "itransformer"}


def _params(name: str, cls: type) -> dict:
    accepted = set(cls.param_names()) if hasattr(cls, "param_names") else set()
    return {k: v for k, v in CHEAP_PARAMS.get(name, {}).items() if k in accepted}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(BUILTINS)]
)
def test_builtin_passes_conformance(name):
    try:
        cls = resolve(name)
    except PluginError as exc:
        missing = getattr(exc.__cause__, "name", None) or ""
        if isinstance(exc.__cause__, ImportError) and missing and missing.split(".")[0] != "tsbench":
            pytest.skip(f"optional dependency {missing!r} missing: {exc}")
        raise
    report = check_forecaster(make_forecaster(name, name, _params(name, cls)))
    assert report.passed, str(report)
