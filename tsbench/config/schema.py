"""The experiment file's sections, the whole experiment, its validation with readable errors, and its hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal, Union

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from tsbench.config.covariates import CovariateSpec
from tsbench.config.fields import Int, Number, PositiveFloat, PositiveInt, StrictModel
from tsbench.config.tuning import ExperimentTuneSpec, TuneSpec
from tsbench.errors import ConfigError

__all__ = [
    "ColumnsSpec",
    "DataSpec",
    "BacktestSpec",
    "ForecasterSpec",
    "ExecutorSpec",
    "TradingSpec",
    "ReportSpec",
    "Experiment",
    "validate_experiment",
    "config_hash",
]

SOURCE_KINDS = ("builtin", "csv", "parquet")


class ColumnsSpec(StrictModel):
    """Column names of a user file: ``id``/``time``/``value`` for long files, ``time``/``value`` for wide."""

    id: str | None = None
    time: str | None = None
    value: str | list[str] | None = None


class DataSpec(StrictModel):
    """One data source and the target derived from it."""

    source: str
    target: Literal["price", "log_price", "return", "log_return", "variance"] = "price"
    #: The variance proxy of ``target: variance`` (see tsbench.data.variance); squared_return when unset.
    proxy: Literal["squared_return", "parkinson", "garman_klass"] | None = None
    last: PositiveInt | None = None
    columns: ColumnsSpec | None = None
    missing: Literal["drop", "ffill", "error"] | None = None
    #: ``inf``/``-inf`` values: refuse them (the default), or treat them as missing (then ``missing`` applies).
    infinite: Literal["error", "missing"] = "error"
    #: Covariate columns joined to every series of this entry (see tsbench.config.covariates).
    covariates: list[CovariateSpec] = Field(default_factory=list)

    @field_validator("covariates")
    @classmethod
    def _unique_covariates(cls, value: list[CovariateSpec]) -> list[CovariateSpec]:
        names = [c.name for c in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"covariate name(s) {twice} are declared twice; give each covariate its own name")
        return value

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        kind, sep, rest = value.partition(":")
        if not sep or kind not in SOURCE_KINDS or not rest:
            raise ValueError(
                f"expected 'builtin:NAME', 'csv:PATH' or 'parquet:PATH', got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _proxy_needs_variance(self) -> DataSpec:
        if self.proxy is not None and self.target != "variance":
            raise ValueError(f"'proxy' is for 'target: variance', got target {self.target!r}")
        return self


class BacktestSpec(StrictModel):
    """Where the forecast origins are and when models are refitted."""

    protocol: Literal["rolling", "split"] = "rolling"
    horizon: PositiveInt = 1
    origins: PositiveInt | None = None
    start: dt.date | Int | None = None
    step: PositiveInt = 1
    window: Literal["expanding"] | PositiveInt = "expanding"
    refit_every: PositiveInt | Literal["once"] = 1
    gap: Int = Field(0, ge=0)
    min_train: PositiveInt = 20
    # fixed-split protocol of published benchmarks: fractions of each series, or absolute row counts
    train: Int | Number | None = None
    val: Int | Number | None = None
    test: Int | Number | None = None
    input_size: PositiveInt | None = None
    scale: Literal["none", "standard"] = "none"
    #: ``all``: the series are the channels of one multivariate series (every column of a wide
    #: file), observed at the same times; checked, and channel-mixing models forecast them together.
    channels: Literal["each", "all"] = "each"
    #: Batch size of a test loader that drops its last partial batch, as older papers' code did: only
    #: the first ``drop_last * (n // drop_last)`` of the ``n`` test origins are scored. Off when unset.
    drop_last: PositiveInt | None = None

    @field_validator("drop_last", mode="before")
    @classmethod
    def _batch_size_not_flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("give the test batch size whose last partial batch is dropped (e.g. 32), not true/false")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BacktestSpec:
        parts = {"train": self.train, "val": self.val, "test": self.test}
        if self.protocol == "rolling":
            if (self.origins is None) == (self.start is None):
                raise ValueError("give exactly one of 'origins' (a count) or 'start' (a date or step)")
            if any(v is not None for v in parts.values()):
                raise ValueError("'train'/'val'/'test' belong to 'protocol: split'")
            if self.drop_last is not None:
                raise ValueError("'drop_last' belongs to 'protocol: split' (it drops test origins)")
        else:
            if self.train is None or self.test is None:
                raise ValueError("'protocol: split' needs 'train' and 'test' (and optionally 'val')")
            if self.origins is not None or self.start is not None:
                raise ValueError("'protocol: split' uses every origin of the test part; drop 'origins'/'start'")
            _check_split_parts({k: v for k, v in parts.items() if v is not None})
        return self

    def split_is_absolute(self) -> bool:
        """True when ``train``/``val``/``test`` are row counts rather than fractions."""
        return isinstance(self.train, int)


def _check_split_parts(parts: dict[str, int | float]) -> None:
    """All parts fractions summing to 1, or all row counts (``val`` may be 0)."""
    if all(isinstance(v, int) for v in parts.values()):
        bad = {k: v for k, v in parts.items() if v < (0 if k == "val" else 1)}
        if bad:
            raise ValueError(f"row counts of the split must be positive (val may be 0), got {bad}")
        return
    if not all(isinstance(v, float) for v in parts.values()):
        raise ValueError(
            f"give 'train'/'val'/'test' all as fractions (0.7, 0.1, 0.2) or all as row counts "
            f"(8640, 2880, 2880), got {parts}"
        )
    bad = {k: v for k, v in parts.items() if not (0 <= v < 1 if k == "val" else 0 < v < 1)}
    if bad:
        raise ValueError(f"split fractions must lie in (0, 1) (val in [0, 1)), got {bad}")
    if abs(sum(parts.values()) - 1.0) > 1e-9:
        raise ValueError(f"train + val + test must sum to 1, got {sum(parts.values()):g}")


class ForecasterSpec(StrictModel):
    """A forecaster of the experiment: its unique alias, model and parameters.

    ``fallback`` names a model (with default parameters, e.g. ``naive``) that
    forecasts wherever this one fails to fit or gives non-finite forecasts.
    ``refit_every`` overrides the backtest's for this forecaster only, so cheap
    models can refit at every origin while costly ones refit less often; the
    origins, and so the forecasts compared, stay the same.
    """

    name: str = Field(min_length=1)
    model: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    fallback: str | None = Field(None, min_length=1)
    refit_every: PositiveInt | Literal["once"] | None = None
    tune: TuneSpec | None = None
    #: The covariates this forecaster reads: ``all`` those the data declare, a list of their names, or none.
    covariates: Literal["all"] | list[str] | None = None


class ExecutorSpec(StrictModel):
    """How cells are executed: in this process, in a process pool, or on a Dask cluster."""

    kind: Literal["serial", "processes", "dask"] = "serial"
    workers: PositiveInt | None = None
    address: str | None = None
    #: Seconds one cell may run before it is stopped and counted as failed (no limit when unset).
    timeout: PositiveFloat | None = None

    @model_validator(mode="after")
    def _address_is_dask(self) -> ExecutorSpec:
        if self.address is not None and self.kind != "dask":
            raise ValueError(f"'address' is for 'kind: dask' (a Dask scheduler), got kind {self.kind!r}")
        return self


class ReportSpec(StrictModel):
    """The tables, significance tests and HTML report written at the end of a run."""

    enabled: bool = True
    alpha: Number = Field(0.05, gt=0, lt=1)
    mcs_alpha: Number = Field(0.1, gt=0, lt=1)
    last_origins: PositiveInt = 3
    max_series: Int = Field(12, ge=0)
    competitive: Number = Field(1.25, gt=1)


MetricItem = Union[str, dict[str, dict[str, Any]]]
ScoreScale = Literal["target", "price", "log_price", "return", "log_return"]


class TradingSpec(StrictModel):
    """The sign-following strategy behind the trading metrics (hit_rate, sharpe, ...)."""

    step: PositiveInt = 1
    cost_bps: Number = Field(0.0, ge=0)
    periods_per_year: Number | None = Field(None, gt=0)


class Experiment(StrictModel):
    """A whole experiment file."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    data: list[DataSpec] = Field(min_length=1)
    backtest: BacktestSpec
    forecasters: list[ForecasterSpec] = Field(min_length=1)
    metrics: list[MetricItem] = Field(default_factory=lambda: ["mae", "rmse", "mase"], min_length=1)
    baseline: str | None = None
    quantiles: list[Number] = Field(default_factory=list)
    output: str | None = None
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    seed: Int = 0
    tune: ExperimentTuneSpec = Field(default_factory=ExperimentTuneSpec)
    # financial evaluation: the scale metrics are scored on, the strategy, sub-periods
    score_on: ScoreScale = "target"
    percentage_on_returns: Literal["refuse", "replace"] = "refuse"
    trading: TradingSpec = Field(default_factory=TradingSpec)
    periods: dict[str, tuple[dt.date, dt.date]] = Field(default_factory=dict)

    @field_validator("periods")
    @classmethod
    def _ordered_periods(cls, value: dict[str, tuple[dt.date, dt.date]]) -> dict:
        for label, (start, end) in value.items():
            if start > end:
                raise ValueError(f"period {label!r} starts ({start}) after it ends ({end}); give [start, end]")
        return value
    report: ReportSpec = Field(default_factory=ReportSpec)

    @model_validator(mode="after")
    def _covariates(self) -> Experiment:
        declared = [[c.name for c in spec.covariates] for spec in self.data]
        everywhere = set(declared[0]).intersection(*declared[1:])
        partial = sorted(set().union(*declared) - everywhere)
        if partial:
            raise ValueError(f"covariate(s) {partial} are declared on some data entries but not all; every series "
                             "needs every covariate: declare them on each entry of 'data'")
        for i, f in enumerate(self.forecasters):
            if f.covariates in (None, "all"):
                if f.covariates == "all" and not everywhere:
                    raise ValueError(f"forecasters[{i}] ({f.name}) asks for 'covariates: all', but no data entry "
                                     "declares covariates; declare them under data[].covariates")
                continue
            unknown = [c for c in f.covariates if c not in everywhere]
            if unknown:
                raise ValueError(f"forecasters[{i}] ({f.name}): unknown covariate(s) {unknown}; the data declare "
                                 f"{declared[0] or 'none'}")
        return self

    @model_validator(mode="after")
    def _aliases(self) -> Experiment:
        seen: dict[str, int] = {}
        for i, f in enumerate(self.forecasters):
            if f.name in seen:
                raise ValueError(
                    f"forecaster name {f.name!r} is used by forecasters[{seen[f.name]}] and "
                    f"forecasters[{i}]; give each forecaster a unique 'name'"
                )
            seen[f.name] = i
        if self.baseline is not None and self.baseline not in seen:
            raise ValueError(f"baseline {self.baseline!r} is not a forecaster name; expected one of {list(seen)}")
        bad = [q for q in self.quantiles if not 0 < q < 1]
        if bad:
            raise ValueError(f"quantiles must lie strictly between 0 and 1, got {bad}")
        return self

    def metric_names(self) -> list[str]:
        """The metric names, in the order given."""
        return [m if isinstance(m, str) else next(iter(m)) for m in self.metrics]

    def metric_params(self) -> dict[str, dict[str, Any]]:
        """Options given to metrics, e.g. ``{"mase": {"season_length": 5}}``."""
        return {next(iter(m)): dict(next(iter(m.values())) or {}) for m in self.metrics if isinstance(m, dict)}


def config_hash(experiment: Experiment) -> str:
    """Hash of everything that changes results; the output folder, executor and report are left out."""
    content = experiment.model_dump(mode="json", exclude={"output", "executor", "report"})
    # untuned experiments keep the hash they had before tuning existed, so their stored runs resume
    if experiment.tune == ExperimentTuneSpec():
        del content["tune"]
    for forecaster in content["forecasters"]:
        for key in ("tune", "covariates"):  # unset keys leave the hash of older experiments as it was
            if forecaster[key] is None:
                del forecaster[key]
    for data in content["data"]:
        if not data["covariates"]:
            del data["covariates"]
    blob = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def validate_experiment(raw: Any, where: str = "<experiment>") -> Experiment:
    """Validate a parsed experiment mapping against the schema alone.

    Raises
    ------
    ConfigError
        One line per problem, each naming ``where`` and the key path.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of keys (name, data, backtest, ...), got {type(raw).__name__}.")
    try:
        return Experiment.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, where)) from None


def _format_errors(exc: ValidationError, where: str) -> str:
    """One line per key path; the alternatives of a union are merged into one 'expected' list."""
    by_loc: dict[str, list[dict]] = {}
    for err in exc.errors():
        loc = _tidy(".".join(str(p) for p in err["loc"] if not str(p).startswith("function-after")))
        by_loc.setdefault(loc, []).append(err)
    lines = []
    for loc, errs in by_loc.items():
        err = errs[0]
        if err["type"] == "extra_forbidden":
            parent = _model_at(err["loc"][:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see the documentation"
            lines.append(f"{where}: {loc}: unknown key; allowed keys here: {allowed}")
        elif err["type"] == "missing":
            lines.append(f"{where}: {loc}: required key is missing")
        else:
            got = err.get("input")
            shown = "" if isinstance(got, dict) or got is None else f" (got {got!r})"
            if isinstance(got, bool):
                shown += "; YAML reads yes/no/on/off/true/false as booleans: write the number"
            msgs = [e["msg"].removeprefix("Value error, ") for e in errs]
            if len(msgs) > 1 and all(m.startswith("Input should be ") for m in msgs):
                msgs = ["Input should be " + " or ".join(m.removeprefix("Input should be ").split(",")[0] for m in msgs)]
            lines.append(f"{where}: {loc or '(top level)'}: {'; '.join(dict.fromkeys(msgs))}{shown}")
    return "\n".join(lines)


def _tidy(loc: str) -> str:
    # pydantic names union branches in locations (e.g. "window.literal['expanding']"); drop them
    parts = [p for p in loc.split(".") if not (p.startswith(("literal[", "constrained-", "int", "str", "date", "dict[", "list[")) and p not in ("",))]
    return ".".join(parts)


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = Experiment
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part)) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        inner = [a for a in getattr(ann, "__args__", (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner and getattr(ann, "__args__", None):
            inner = [a for arg in ann.__args__ for a in getattr(arg, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = inner[0] if inner else None
    return model
