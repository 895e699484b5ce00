"""CSV formula injection: values a spreadsheet would run as a formula (`=HYPERLINK(...)`).

A cell starting with `=`, `+`, `-`, `@`, a tab or a CR is formula-like, unless it is a plain
number (`-5`, `+819012345678`), which a spreadsheet reads as a number and nothing else.
Preflight names the customers and fields carrying one in every CSV/TSV file; presets meant to
be opened in a spreadsheet (`formula_guard`) neutralise them with a leading `'`.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from queries.campaigns.findings import Finding
from queries.campaigns.model import Campaign
from queries.campaigns.presets import PRESETS, OutColumn, columns_for
from queries.core.cells import FORMULA_START, formula_like
from queries.engines.jobs import Job

_SCANNED = ("field", "consent", "customer_id")  # values that come from the snapshot


def spreadsheet_columns(c: Campaign, fields: list[str]) -> list[OutColumn]:
    """The snapshot-valued columns of the campaign's CSV/TSV file ([] for other formats)."""
    preset = PRESETS[c.how.destination]
    if preset.format not in ("csv", "tsv"):
        return []
    return [col for col in columns_for(preset, c, fields, False) if col.kind in _SCANNED]


def may_start_a_formula(value: exp.Expr) -> exp.Expr:
    """The engine keeps only rows whose text starts like a formula (a superset: `formula_like`
    decides on the values fetched), so a clean audience is never fetched into Python."""
    text = exp.cast(value.copy(), exp.DataType.build("VARCHAR"))
    first = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Literal.number(1))
    return first.isin(*map(exp.Literal.string, FORMULA_START))


def scan(session: Any, c: Campaign, q: Any, job: Job | None = None) -> list[Finding]:
    """One `formula` finding per column holding formula-like values, naming the customers.

    `q` is the policy CampaignQuery (its recipients are the file's rows)."""
    from queries.campaigns.columns import column_sql

    cols = spreadsheet_columns(c, q.fields)
    if not cols:
        return []
    values = [column_sql(q, col) for col in cols]
    exprs = [exp.alias_(v, f"kz_v{i}", quoted=True) for i, v in enumerate(values)]
    query = (
        q.comp.base_from(exp.select(exp.alias_(q.cid.copy(), "kz_id", quoted=True), *exprs))
        .where(exp.and_(q.recipients(), exp.or_(*map(may_start_a_formula, values))))
        .order_by(q.cid.copy())
    )
    return formula_findings(c, cols, session.runner.stream(query, job, 50_000))


def formula_findings(c: Campaign, cols: list[OutColumn], batches: Any) -> list[Finding]:
    """The `formula` findings among rows of (customer id, value per column), in id order."""
    preset = PRESETS[c.how.destination]
    fix = "neutralised with a leading '" if preset.formula_guard else "written as is"
    found: dict[str, Finding] = {}
    for rows in batches:
        for row in rows:
            for col, value in zip(cols, row[1:]):
                if formula_like(value):
                    f = found.get(col.header)
                    if f is None:
                        detail = (
                            f"column `{col.header}` starts with = + - @ TAB or CR "
                            f"(a spreadsheet runs it as a formula; {preset.name}: {fix})"
                        )
                        f = found[col.header] = Finding("formula", detail)
                    f.hit(row[0])
    return list(found.values())
