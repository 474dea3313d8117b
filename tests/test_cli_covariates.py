"""`tsbench models` says which kinds of covariate each model takes."""

from __future__ import annotations

from typer.testing import CliRunner

from tsbench.cli import app
from tsbench.forecasters.registry import describe_models


def test_models_show_the_covariate_kinds_of_each_model():
    result = CliRunner().invoke(app, ["models", "covariate_fixtures:LaggedRegression"])
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\n")
    naive = blocks.index(next(line for line in blocks if line.startswith("naive  [builtin]")))
    assert blocks[naive + 2] == "    covariates: -"
    plugin = blocks.index(next(line for line in blocks if line.startswith("covariate_fixtures:LaggedRegression")))
    assert "    covariates: past, known, static" in blocks[plugin: plugin + 4]
    assert not any(line.startswith("    tags:") and "covariates" in line for line in blocks)  # not among the tags
    (info,) = describe_models(("covariate_fixtures:ColumnCounter",), installed=False)
    assert info.covariates == ("past", "known", "static") and info.covariates_text() == "past, known, static"
