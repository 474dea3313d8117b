"""The report's covariates section: what each covariate is, when it was known, and which models read it."""

from __future__ import annotations

import pandas as pd

from tsbench.report.html import paragraph, table_html

__all__ = ["covariate_tables", "covariates_section"]


def covariate_tables(manifest: dict) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The declared covariates (one row each) and the forecasters' use of them, or None without covariates."""
    used = (manifest.get("covariates") or {}).get("forecasters") or {}
    records: dict[str, dict[str, set]] = {}
    for entry in manifest.get("data") or []:
        for name, record in (entry.get("covariates") or {}).items():
            seen = records.setdefault(name, {})
            for key in ("kind", "source", "column", "lag", "transform"):
                seen.setdefault(key, set()).add(str(record.get(key, "")))
            seen.setdefault("rows_dropped", set()).add(str(record.get("rows_dropped", 0)))
    if not records:
        return None
    declared = pd.DataFrame([{"covariate": name, **{k: " / ".join(sorted(v)) for k, v in fields.items()}}
                             for name, fields in records.items()])
    columns = list(records)
    rows = []
    for model, kinds in used.items():
        reads = {c for names in kinds.values() for c in names}
        rows.append({"model": model, **{c: ("yes" if c in reads else "-") for c in columns}})
    return declared, pd.DataFrame(rows, columns=["model", *columns])


def covariates_section(manifest: dict) -> str | None:
    """HTML of the section, or None when the run declared no covariates."""
    tables = covariate_tables(manifest)
    if tables is None:
        return None
    declared, used = tables
    note = ("Past covariates are joined point in time: each row holds the latest value published at or before "
            "its time, shifted by the publication lag (rows of the series' own calendar); a forecast never reads "
            "one after its cutoff. Known covariates are given for the horizon; static ones once per series.")
    return table_html(declared) + paragraph(note) + table_html(used) + paragraph(
        "Which covariates each model read: a model listed with and without covariates shows what they are worth.")
