"""Covariates as a forecaster sees them: which columns of the panel are past, known or static.

A forecaster that declares covariate support (its ``covariates`` tag lists the
kinds it takes) is given a :class:`Covariates` in its ``covariates`` attribute
before it is fitted. The panel frames it receives then carry those columns
next to ``unique_id, ds, y``, and every value in them is what was *available*
at that row's time:

- ``past`` columns are already shifted by their publication lag, so the value
  in the row of time ``t`` was published at or before ``t``. A model may read
  them at the rows of a context (up to the cutoff) and never after it.
- ``known`` columns are known in advance for the whole horizon (calendar,
  scheduled events). Their values for the ``horizon`` rows after a context come
  in ``predict(..., future=...)``: a frame of ``unique_id, ds`` and the known
  columns.
- ``static`` columns hold one value per series, repeated on its rows.

Per-series models (:class:`~tsbench.forecasters.base.LocalForecaster`) receive
the same values as arrays: ``X`` of shape ``(n, C)`` aligned with ``y`` and
``X_future`` of shape ``(horizon, C)`` with the known and static columns
filled and the past ones NaN. Columns are in :attr:`Covariates.columns` order.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "TRANSFORMS", "Covariates"]

#: The kinds of covariate, in the order their columns are laid out.
KINDS = ("past", "known", "static")
#: Transforms a covariate may be given in the experiment file, computed per series on its own past.
TRANSFORMS = ("level", "return", "log_return", "difference")


@dataclass(frozen=True)
class Covariates:
    """The covariate columns a forecaster is given, by kind; ``categorical`` ones hold integer codes."""

    past: tuple[str, ...] = ()
    known: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every covariate column: past, then known, then static."""
        return (*self.past, *self.known, *self.static)

    def kinds(self) -> tuple[str, ...]:
        """The kinds that have at least one column."""
        return tuple(kind for kind in KINDS if getattr(self, kind))

    def kind_of(self, column: str) -> str:
        """The kind of one covariate column."""
        for kind in KINDS:
            if column in getattr(self, kind):
                return kind
        raise KeyError(f"{column!r} is not a covariate column; the covariates are {list(self.columns)}")

    def only(self, columns: tuple[str, ...] | list[str]) -> Covariates:
        """The same declaration restricted to ``columns`` (kept in declaration order)."""
        keep = set(columns)
        return Covariates(*(tuple(c for c in getattr(self, kind) if c in keep) for kind in KINDS),
                          categorical=tuple(c for c in self.categorical if c in keep))

    def known_mask(self) -> list[bool]:
        """For each column of :attr:`columns`: True where its values are known for the horizon (known, static)."""
        return [kind != "past" for kind in KINDS for _ in getattr(self, kind)]

    def describe(self) -> dict[str, list[str]]:
        """The declaration as plain lists (for manifests and logs)."""
        return {kind: list(getattr(self, kind)) for kind in (*KINDS, "categorical") if getattr(self, kind)}
