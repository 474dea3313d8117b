"""Validation of the LightGBM forecaster's parameters and the booster parameters they imply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


from tsbench.forecasters._checks import check_bool, check_choice, check_int, check_number
from tsbench.forecasters.lightgbm.features import parse_calendar, parse_lags, parse_rolling
from tsbench.forecasters.lightgbm.transforms import check_transform

__all__ = ["check_forecaster_params", "booster_params", "lightgbm_aliases"]

#: LightGBM parameters that the forecaster sets from its own arguments.
RESERVED = {
    "num_iterations": "n_estimators",
    "learning_rate": "learning_rate",
    "num_leaves": "num_leaves",
    "min_data_in_leaf": "min_data_in_leaf",
    "num_threads": "num_threads",
    "seed": "seed",
    "verbosity": "(fixed: -1, silent)",
}


def _names(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of column names, got {value!r}")
    return tuple(value)


def check_forecaster_params(p: Mapping[str, object]) -> None:
    """Raise ``ValueError`` naming the first parameter of ``p`` that cannot work."""
    parse_lags(p["lags"])
    parse_rolling(p["rolling"])
    parse_calendar(p["calendar"])
    check_transform(p["transform"])
    check_choice("scale", p["scale"], ("none", "std"))
    check_choice("strategy", p["strategy"], ("recursive", "direct"))
    check_bool("reuse_bins", p["reuse_bins"])
    check_bool("global (global_model)", p["global_model"])
    check_int("horizon", p["horizon"], low=1, optional=True)
    known = _names(p["known_covariates"], "known_covariates")
    past = _names(p["past_covariates"], "past_covariates")
    clash = sorted(set(known) & set(past) | ({"unique_id", "ds", "y"} & (set(known) | set(past))))
    if clash:
        raise ValueError(f"covariate columns {clash} are listed twice or name a panel column (unique_id, ds, y)")
    parse_lags(p["covariate_lags"])
    for key, low in (("n_estimators", 1), ("num_leaves", 2), ("min_data_in_leaf", 0), ("num_threads", 0)):
        check_int(key, p[key], low=low)
    check_number("learning_rate", p["learning_rate"], low=0, low_open=True)
    check_int("seed", p["seed"], low=0, optional=True)
    _check_lgb_params(p["lgb_params"])


def lightgbm_aliases() -> dict[str, str] | None:
    """Every LightGBM parameter name and alias mapped to its main name; None if unknown."""
    try:
        from lightgbm.basic import _ConfigAliases

        table = _ConfigAliases._get_all_param_aliases()
    except (ImportError, AttributeError):  # an old or future lightgbm: skip the name check
        return None
    return {alias: main for main, aliases in table.items() for alias in [main, *aliases]}


def _check_lgb_params(extra: object) -> None:
    if extra is None:
        return
    if not isinstance(extra, Mapping):
        raise ValueError(f"lgb_params must be a mapping of LightGBM parameter names to values, got {extra!r}")
    aliases = lightgbm_aliases()
    if aliases is None:
        return
    unknown = sorted(k for k in extra if k not in aliases)
    if unknown:
        raise ValueError(
            f"lgb_params has unknown LightGBM parameter(s) {unknown}; see "
            "https://lightgbm.readthedocs.io/en/latest/Parameters.html for the names."
        )
    for key in extra:
        main = aliases[key]
        if main in RESERVED:
            raise ValueError(
                f"lgb_params sets {key!r} (LightGBM's {main!r}); set the forecaster parameter "
                f"{RESERVED[main]} instead."
            )


def booster_params(p: Mapping[str, object]) -> dict[str, object]:
    """The ``params`` dictionary handed to ``lightgbm.train``."""
    extra = dict(p["lgb_params"] or {})
    aliases = lightgbm_aliases() or {}
    mains = {aliases.get(k, k) for k in extra}
    params: dict[str, object] = {
        "objective": "regression",
        "learning_rate": float(p["learning_rate"]),
        "num_leaves": int(p["num_leaves"]),
        "min_data_in_leaf": int(p["min_data_in_leaf"]),
        "num_threads": int(p["num_threads"]),
        "seed": 0 if p["seed"] is None else int(p["seed"]),
        "deterministic": True,
        "verbosity": -1,
    }
    if "force_col_wise" not in mains:
        params["force_row_wise"] = True  # skips LightGBM's timing-based choice, which is not reproducible
    params = {k: v for k, v in params.items() if k not in mains}  # the user's value wins, under any alias
    params.update(extra)
    return params
