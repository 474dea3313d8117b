"""``<library>:<Class>`` names: routed to the library's adapter, with an install hint when it is missing."""

import sys

import pytest

from tsbench.errors import ConfigError, PluginError
from tsbench.forecasters.external import is_library_model
from tsbench.forecasters.registry import make_forecaster

MODULES = {
    "statsforecast": ("statsforecast", "statsforecast.models"),
    "sktime": ("sktime", "sktime.registry", "sktime.forecasting", "sktime.forecasting.base"),
    "darts": ("darts", "darts.models"),
}
EXAMPLE = {"statsforecast": "AutoARIMA", "sktime": "ThetaForecaster", "darts": "NBEATSModel"}


@pytest.mark.parametrize("library", sorted(MODULES))
def test_a_missing_library_gives_the_extra_to_install(library, monkeypatch):
    for module in MODULES[library]:
        monkeypatch.setitem(sys.modules, module, None)  # importing it now raises ImportError
    with pytest.raises(PluginError, match=f'pip install "tsbench\\[{library}\\]"'):
        make_forecaster("m", f"{library}:{EXAMPLE[library]}")


def test_only_known_library_prefixes_route_to_an_adapter():
    assert is_library_model("statsforecast:AutoARIMA")
    assert is_library_model("darts:NBEATSModel")
    assert not is_library_model("statsforecast")
    assert not is_library_model("my_package.models:Mine")
    with pytest.raises(PluginError, match="cannot import module 'nolib'"):
        make_forecaster("m", "nolib:Model")  # any other prefix is still a dotted path


def test_an_empty_class_name_is_a_config_error():
    with pytest.raises(ConfigError, match="expected '<library>:<Class>'"):
        make_forecaster("m", "statsforecast:")
