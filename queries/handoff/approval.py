"""Approval: review a campaign (funnel, preflight, who entered and left), then record who approved.

Approvals are readable JSON in `.kizuna/approvals/<campaign>.json` (`approval_record.Approval`):
approver, time, funnel counts and the fingerprint of every definition file. `check_unchanged`
is what the export worker checks first.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.findings import PreflightReport
from queries.campaigns.funnel import Funnel, FunnelSQL, count_funnel, policy_query, workspace_rel
from queries.campaigns.model import Campaign
from queries.campaigns.presets import PRESETS, columns_for, mask_for
from queries.core.private_fs import private_dir, write_private
from queries.engines.jobs import Job
from queries.handoff import audit, ledger, preflight_sql
from queries.handoff.approval_record import Approval, approval_path, load_approval
from queries.handoff.export.distinct import Unsure, drop_tables
from queries.handoff.export.rows import Rows
from queries.handoff.fingerprint import Fingerprint, fingerprint
from queries.handoff.refusals import (
    ChangedSinceApproval,
    NotApproved,
    PreflightFailed,
    SendTimePassed,
)
from queries.measure.measurability import Measurability, measurability
from queries.query import contacts
from queries.query.condcache import MEM_DB
from queries.query.session import Session

SHOW = 10  # customer ids shown per list


def check_unchanged(session: Session, c: Campaign, rec: Approval) -> Fingerprint:
    """The definitions now; refuse, naming each changed file, when they differ from `rec`."""
    now = fingerprint(session, c)
    changes = rec.fingerprint.changes(now)
    if changes:
        raise ChangedSinceApproval(
            f"`{c.stem}` changed since it was approved by {rec.approved_by} "
            f"({rec.approved_at}): "
            + "; ".join(changes)
            + f". Review it and approve again: kizuna approve {c.stem} --by NAME",
            {"changes": changes},
        )
    return now


@dataclass
class AudienceChanges:
    """Who entered and who left the recipients since the campaign's last export."""

    last_export: str | None
    previous: int
    entered: int = 0
    left: int = 0
    left_by_step: dict[str, int] = field(default_factory=dict)
    entered_ids: list[str] = field(default_factory=list)
    left_ids: list[str] = field(default_factory=list)

    def to_dict(self, ids: bool = True) -> dict[str, Any]:
        d = dict(vars(self))
        if not ids:
            d.pop("entered_ids")
            d.pop("left_ids")
        return d


@dataclass
class Review:
    """What an approver looks at: the funnel, the preflight, changes since the last export."""

    campaign: Campaign
    funnel: Funnel
    fingerprint: Fingerprint
    preflight: PreflightReport
    changes: AudienceChanges | None
    previous: Approval | None
    definition_changes: list[str]
    measurability: Measurability | None = None  # what the holdout can detect (MDE)


LAST_EXPORT = "kizuna_last_export"  # the campaign's own ledger file, loaded into other engines


def audience_changes(
    session: Session, c: Campaign, status: exp.Expr, job: Job
) -> AudienceChanges | None:
    """Compare the final recipients with the last export's (from the campaign's ledger file)."""
    path = ledger.file_for(session.ws, c.stem)
    if not path.is_file():
        return None
    last = contacts.on_engine(session.engine, [path], "l", LAST_EXPORT)
    assert last is not None
    run = lambda q: session.runner.fetch(q, job)  # noqa: E731
    lid = exp.column("customer_id", "l", quoted=True)
    sid = exp.cast(exp.column("customer_id", "s", quoted=True), exp.DataType.build("VARCHAR"))
    step, arm = exp.column("kz_step", "s", quoted=True), exp.column("kz_arm", "s", quoted=True)
    recipient = exp.and_(
        exp.Is(this=step.copy(), expression=exp.Null()),
        exp.NEQ(this=arm.copy(), expression=exp.Literal.string(HOLDOUT)),
    )
    s_rel = status.copy()
    s_rel.set("alias", exp.TableAlias(this=exp.to_identifier("s")))
    ((prev, export_id),) = run(
        exp.select(exp.func("count", exp.Star()), exp.Max(this=exp.column("export_id", "l"))).from_(
            last.copy()
        )
    )
    out = AudienceChanges(export_id, int(prev))
    seen = exp.Exists(
        this=exp.select(exp.Literal.number(1))
        .from_(last.copy())
        .where(exp.EQ(this=lid.copy(), expression=sid.copy()))
    )
    entered = (
        exp.select(sid.copy()).from_(s_rel.copy()).where(exp.and_(recipient.copy(), exp.not_(seen)))
    )
    # the first few ids and the total in one query: the list stays on the engine
    total = exp.Window(this=exp.func("count", exp.Star()))  # over every row, before LIMIT
    rows = run(entered.select(total).order_by(sid.copy()).limit(SHOW))
    out.entered, out.entered_ids = (int(rows[0][1]) if rows else 0), [str(r[0]) for r in rows]
    why = exp.Case(
        ifs=[
            exp.If(
                this=exp.Is(
                    this=exp.column("customer_id", "s", quoted=True), expression=exp.Null()
                ),
                true=exp.Literal.string("segment"),
            ),
            exp.If(
                this=exp.not_(exp.Is(this=step.copy(), expression=exp.Null())), true=step.copy()
            ),
        ],
        default=exp.Literal.string(HOLDOUT),
    )
    left = (
        exp.select(exp.alias_(lid.copy(), "id", quoted=True), exp.alias_(why, "why", quoted=True))
        .from_(last.copy())
        .join(s_rel.copy(), on=exp.EQ(this=sid.copy(), expression=lid.copy()), join_type="left")
        .where(exp.not_(exp.func("COALESCE", exp.paren(recipient.copy(), copy=False), exp.false())))
    )
    why_col = exp.column("why", "g", quoted=True)
    by_step = (
        exp.select(why_col.copy(), exp.func("count", exp.Star()))
        .from_(left.subquery("g"))
        .group_by(why_col.copy())
    )
    out.left_by_step = {str(w): int(n) for w, n in sorted(run(by_step))}
    out.left = sum(out.left_by_step.values())
    first = exp.column("id", "g", quoted=True)
    listed = exp.select(first.copy()).from_(left.subquery("g")).order_by(first.copy()).limit(SHOW)
    out.left_ids = [str(r[0]) for r in run(listed)]
    return out


def policy_preflight(
    session: Session,
    c: Campaign,
    q: Any,
    funnel: Funnel,
    job: Job,
    progress: Any = None,
    status: exp.Expr | None = None,
    fast: bool = True,
) -> PreflightReport:
    """Render every final recipient's message with the preflight's checks (nothing written):
    in DuckDB when it can show the same report (given the funnel's `status`), else row by row."""
    start = time.perf_counter()
    preset = PRESETS[c.how.destination]
    cols = columns_for(preset, c, q.fields, True)
    rows = Rows(session, c, q, cols)
    needed = rows.checks_values(preset)  # else only the messages are checked: no rows built
    report = None
    if fast and status is not None and preflight_sql.usable(session, c, needed):
        try:
            report = preflight_sql.sql_preflight(session, c, q, status, job, funnel.recipients)
        except Unsure:
            report = None
    if report is None:
        report = _rows_preflight(rows, preset, cols, job, funnel, progress, session)
        from queries.campaigns.formula import scan

        report.warnings += scan(session, c, q, job)
    elif progress:
        progress(funnel.recipients, funnel.recipients)
    report.recipients, report.holdout = funnel.recipients, funnel.holdout
    report.by_variant = {k: v for k, v in funnel.arms.items() if k != HOLDOUT}
    report.elapsed = time.perf_counter() - start
    return report


def _rows_preflight(
    rows: Rows, preset: Any, cols: Any, job: Job, funnel: Funnel, progress: Any, session: Session
) -> PreflightReport:
    """The preflight row by row: every recipient streamed, rendered and checked in Python."""
    mask = mask_for(preset, cols, session.catalog)
    needed = rows.checks_values(preset)
    done = 0
    for ids, batch in rows.batches(job, preflight_sql.BATCH, True, rows_needed=needed):
        if needed:
            rows.check_values(ids, batch, mask, preset)
        done += len(ids)
        if progress:
            progress(done, funnel.recipients)
    try:
        return rows.finish()
    except PreflightFailed:
        return rows.report


def review(session: Session, c: Campaign, job: Job | None = None, progress: Any = None) -> Review:
    """Everything to look at before approving (the funnel, preflight and audience changes)."""
    job = job or Job()
    ledger.recover(session.ws)
    fs = FunnelSQL(session, c)
    status, table = _status(session, fs, job)
    try:
        funnel = count_funnel(session, c, fs, status, job)
        q = policy_query(session, c, status.copy())
        funnel.query = q
        report = policy_preflight(session, c, q, funnel, job, progress, status=status)
        report.notes += review_notes(session, c)
        changes = audience_changes(session, c, status, job)
        prev = load_approval(session.ws, c.stem)
        fp = fingerprint(session, c)
        diff = prev.fingerprint.changes(fp) if prev else []
        power = measurability(session, funnel.arms, status, job)
    finally:
        if table is not None:
            drop_tables(session, [table])
    if table is not None:  # a query that outlives the table
        funnel.query = policy_query(session, c, fs.status().subquery("kz_f"))
    return Review(c, funnel, fp, report, changes, prev, diff, power)


_REVIEWS = itertools.count()


def _status(session: Session, fs: FunnelSQL, job: Job) -> tuple[exp.Expr, exp.Table | None]:
    """The funnel's status relation; on local DuckDB computed once into a table that the
    funnel counts, the preflight, audience changes and measurability all read."""
    query = fs.status()
    if not session.engine.local:
        return query.subquery("kz_f"), None
    table = exp.Table(
        this=exp.to_identifier(f"kz_review_{next(_REVIEWS)}", quoted=True),
        db=exp.to_identifier(MEM_DB, quoted=True),
    )
    job.run(
        session.snapshot.cursor,
        f"CREATE OR REPLACE TABLE {table.sql('duckdb')} AS {query.sql('duckdb')}",
    )
    return exp.select(exp.Star()).from_(table.copy()).subquery("kz_f"), table


def review_notes(session: Session, c: Campaign) -> list[str]:
    """What the approver should know before signing: stale snapshot, past send time, file shape."""
    from queries.campaigns.presets import attributes_note
    from queries.handoff.checks import send_time_passed, stale_warning

    past = send_time_passed(c, step="approve")
    notes = [stale_warning(session), attributes_note(c)]
    if past:
        notes.append(
            past.split("; ")[0] + ": approval and export refuse it unless forced (--force)"
        )
    return [n for n in notes if n]


def approve(session: Session, rv: Review, by: str, force: bool = False) -> Approval:
    """Record the approval; refused, unless forced, when the preflight failed or when the
    send time is already past on the wall clock (what the export refuses too)."""
    from queries.handoff.checks import check_send_time

    c, f = rv.campaign, rv.funnel
    findings = [
        {k: getattr(x, k) for k in ("kind", "detail", "variant", "part", "count")}
        for x in rv.preflight.findings
    ]
    base = {"fingerprint": rv.fingerprint.sha256, "funnel": _counts(f)}
    if not by.strip():
        raise NotApproved("an approval needs the approver's name: --by NAME")
    try:
        past_send = check_send_time(c, force, step="approve")
    except SendTimePassed as exc:
        audit.record(
            session.ws, "approve", c.stem, "refused", reason=exc.reason, by=by, **exc.audit, **base
        )
        raise
    if findings and not force:
        audit.record(session.ws, "approve", c.stem, "refused", reason="preflight", by=by, **base)
        raise PreflightFailed(
            f"preflight found {len(findings)} problem(s) in `{c.stem}`; fix them before approving "
            "(or approve with --force to record the override)",
            {"findings": [{"kind": x["kind"], "count": x["count"]} for x in findings]},
        )
    rec = Approval(
        campaign=c.stem,
        name=c.name,
        file=workspace_rel(session.ws.root, c.path) if c.path else None,
        approved_by=by.strip(),
        approved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        who=audit.who(),
        fingerprint=rv.fingerprint,
        recipients=f.recipients,
        holdout=f.holdout,
        arms=f.arms,
        funnel=f.to_dict(),
        policies_off=f.policies_off,
        as_of=f.as_of.isoformat(),
        snapshot={"path": str(session.snapshot.path), **_ident(session)},
        preflight={"ok": not findings, "findings": findings, "overridden": bool(findings)},
        send_at_passed=past_send,  # approved with --force past a send time already past
        audience_changes=rv.changes.to_dict(ids=False) if rv.changes else None,
        measurability=rv.measurability.to_dict() if rv.measurability else None,
    )
    path = approval_path(session.ws, c.stem)
    private_dir(path.parent, anchor=session.ws.root)
    write_private(path, rec.to_json())
    audit.record(
        session.ws,
        "approve",
        c.stem,
        "ok",
        by=rec.approved_by,
        forced=bool(findings) or past_send or None,
        files=rv.fingerprint.files,
        **base,
    )
    return rec


def _counts(f: Funnel) -> dict[str, Any]:
    return {"steps": {s.key: s.count for s in f.steps}, "arms": f.arms, "off": f.policies_off}


def _ident(session: Session) -> dict[str, Any]:
    i = session.snapshot.identity
    return {"size": i.size, "mtime_ns": i.mtime_ns}
