"""The report's covariates section, from a run manifest."""

from tsbench.report.covariates import covariate_tables, covariates_section

MANIFEST = {
    "data": [
        {"unique_id": "sp500", "covariates": {
            "vix": {"kind": "past", "source": "builtin:vix", "column": "vix", "lag": 1, "transform": "log_return",
                    "rows_dropped": 0},
            "other": {"kind": "past", "source": "builtin:nasdaq", "column": "Adj Close", "lag": 0,
                      "transform": "log_return", "rows_dropped": 0}}},
        {"unique_id": "nasdaq", "covariates": {
            "vix": {"kind": "past", "source": "builtin:vix", "column": "vix", "lag": 1, "transform": "log_return",
                    "rows_dropped": 0},
            "other": {"kind": "past", "source": "builtin:sp500", "column": "Adj Close", "lag": 0,
                      "transform": "log_return", "rows_dropped": 0}}},
    ],
    "covariates": {"declared": {"past": ["vix", "other"]},
                   "forecasters": {"lgbm": {}, "lgbm_cov": {"past": ["vix", "other"]}, "arima_vix": {"past": ["vix"]}}},
}


def test_each_covariate_is_one_row_with_every_source_it_came_from():
    declared, used = covariate_tables(MANIFEST)
    row = declared.set_index("covariate").loc["other"]
    assert row["source"] == "builtin:nasdaq / builtin:sp500"
    assert declared.set_index("covariate").loc["vix", "lag"] == "1"
    assert used.set_index("model").to_dict("index") == {
        "lgbm": {"vix": "-", "other": "-"}, "lgbm_cov": {"vix": "yes", "other": "yes"},
        "arima_vix": {"vix": "yes", "other": "-"}}


def test_a_run_without_covariates_has_no_section():
    assert covariates_section({"data": [{"unique_id": "a", "covariates": {}}]}) is None
    assert covariates_section({"data": [{"unique_id": "a"}]}) is None
    html = covariates_section(MANIFEST)
    assert "builtin:nasdaq / builtin:sp500" in html and "publication lag" in html
