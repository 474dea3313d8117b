"""The ``covariates`` of a data entry: what each covariate column is, where it comes from, when it is known."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from tsbench.config.fields import Int, StrictModel

__all__ = ["CovariateSpec", "CALENDAR_COLUMNS", "RESERVED_NAMES"]

#: Columns the ``calendar`` source computes from each series' own time stamps.
CALENDAR_COLUMNS = ("day_of_week", "day_of_month", "day_of_year", "week_of_year", "month", "quarter",
                    "is_month_start", "is_month_end", "is_quarter_end")
#: Names a covariate cannot take: the panel's own columns and those of forecast frames.
RESERVED_NAMES = ("unique_id", "ds", "y", "cutoff", "h", "model", "y_pred", "fallback")


class CovariateSpec(StrictModel):
    """One covariate column of a data entry.

    ``kind`` says when its values are known: ``past`` up to the time they were
    published (``lag`` rows of the series' calendar after their time stamp),
    ``known`` for the whole horizon in advance, ``static`` once per series.
    ``source`` is another ``builtin:``/``csv:``/``parquet:`` source or
    ``calendar`` (this entry's source when unset); ``column`` its column
    (``name`` when unset). ``transform`` is applied to the covariate's own
    observations, per series, before the join.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: Literal["past", "known", "static"]
    source: str | None = None
    column: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    lag: Int = Field(0, ge=0)
    transform: Literal["level", "return", "log_return", "difference"] = "level"
    categorical: bool = False
    value: str | int | float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CovariateSpec:
        if self.name in RESERVED_NAMES:
            raise ValueError(f"covariate name {self.name!r} is a column tsbench uses itself; pick another name")
        if self.lag and self.kind != "past":
            raise ValueError(f"'lag' is the publication lag of a past covariate; a {self.kind} covariate is "
                             "known without delay: drop 'lag' or declare kind: past")
        if self.value is not None and self.kind != "static":
            raise ValueError("'value' gives a static covariate one value for every series; use it with kind: static")
        if self.value is not None and (self.source is not None or self.column is not None):
            raise ValueError("give a static covariate either 'value' or a 'source'/'column' to read it from")
        if self.source is not None and self.source != "calendar":
            kind, sep, rest = self.source.partition(":")
            if not sep or kind not in ("builtin", "csv", "parquet") or not rest:
                raise ValueError(f"expected source 'builtin:NAME', 'csv:PATH', 'parquet:PATH' or 'calendar', "
                                 f"got {self.source!r}")
        if self.source == "calendar":
            if self.kind != "known":
                raise ValueError("calendar covariates are known in advance: declare kind: known")
            column = self.column or self.name
            if column not in CALENDAR_COLUMNS:
                raise ValueError(f"the calendar source has no column {column!r}; expected one of "
                                 f"{list(CALENDAR_COLUMNS)}")
            if self.transform != "level":
                raise ValueError("calendar covariates take no transform")
        if self.kind == "static" and self.transform != "level":
            raise ValueError("a static covariate has one value per series: it takes no transform")
        if self.categorical and self.transform != "level":
            raise ValueError(f"a categorical covariate holds categories, not amounts: transform "
                             f"{self.transform!r} cannot apply; drop 'transform' or 'categorical'")
        if (self.value is not None or self.source == "calendar") and (self.id_column or self.time_column):
            what = "'value'" if self.value is not None else "the calendar source"
            raise ValueError(f"{what} reads no file: drop 'id_column'/'time_column'")
        return self

    def source_column(self) -> str:
        """The column read from the source."""
        return self.column or self.name
