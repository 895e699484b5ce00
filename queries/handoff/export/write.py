"""Write one export folder atomically: audience, holdout, campaign.json, manifest.json.

Everything goes into a hidden `.<id>.<pid>.partial/` folder as `.partial` files; each is
fsynced, renamed, the folder fsynced and renamed to `<id>/`, so a folder without the dot only
ever holds a complete export. The funnel is materialised once and every file reads it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.campaigns.audience import CampaignQuery
from queries.campaigns.columns import column_sql
from queries.campaigns.funnel import Funnel, FunnelSQL, count_funnel, dialect_sql, policy_query
from queries.campaigns.model import Campaign
from queries.campaigns.presets import (
    PRESETS,
    OutColumn,
    Preset,
    attributes_note,
    carries_messages,
    columns_for,
    holdout_header,
    mask_for,
)
from queries.core.private_fs import private_dir
from queries.engines.jobs import Job
from queries.handoff import ledger, snapshot_guard
from queries.handoff.approval import check_unchanged
from queries.handoff.approval_record import Approval
from queries.handoff.export import fast as export_fast
from queries.handoff.export import lookup as export_lookup
from queries.handoff.export.formats import Sink, Writer, file_info
from queries.handoff.export.manifest import ExportFile, Manifest
from queries.handoff.export.plan import AudiencePlan
from queries.handoff.export.request import ExportRequest, Handoff
from queries.handoff.export.rows import Rows, holdout_select
from queries.handoff.fingerprint import Fingerprint
from queries.handoff.locks import export_lock
from queries.handoff.refusals import DriftExceeded
from queries.query.session import Session

Emit = Callable[[dict[str, Any]], None]


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def drift(approved: int, now: int) -> float:
    """How far the final count moved from the approved count, in percent."""
    if approved == 0:
        return 0.0 if now == 0 else float("inf")
    return abs(now - approved) * 100.0 / approved


def _folder_name(root: Path, export_id: str) -> str:
    name, n = export_id, 1
    while (root / name).exists():
        n += 1
        name = f"{export_id}-{n}"
    return name


def write_export(
    session: Session,
    c: Campaign,
    approval: Approval,
    out_root: Path,
    export_id: str,
    force: bool = False,
    messages: bool | None = None,
    emit: Emit | None = None,
    job: Job | None = None,
    batch_size: int = 50_000,
    fast: bool = True,
    pause: float = 0.0,
    handoff: Handoff | None = None,
) -> dict[str, Any]:
    """`write_request` for a campaign and approval at hand (tests, benchmarks): the request
    built in place; `handoff` is what the checks decided (a first export, on time: None)."""
    req = ExportRequest(
        workspace=session.ws.root,
        db=session.ws.db_path,
        campaign=c.path or Path(c.stem),
        approval=approval,
        out=out_root,
        export_id=export_id,
        force=force,
        messages=messages,
        batch_size=batch_size,
        fast=fast,
        pause=pause,
    )
    return write_request(session, c, req, handoff or Handoff(), emit, job)


def write_request(
    session: Session,
    c: Campaign,
    req: ExportRequest,
    handoff: Handoff,
    emit: Emit | None = None,
    job: Job | None = None,
) -> dict[str, Any]:
    """Produce `<req.out>/<campaign>/<id>/` and commit the ledger; returns the manifest.

    Holds the workspace export lock from the funnel (which reads the ledger) to the ledger
    commit, so two exports at once still respect every frequency cap."""
    job, say = job or Job(), emit or (lambda _e: None)
    with export_lock(
        session.ws,
        c.stem,
        waiting=lambda text: say({"phase": "waiting", "message": text}),
        cancelled=lambda: job.cancelled,
    ):
        ledger.recover(session.ws, locked=True)
        return _write_locked(session, c, req, handoff, say, job)


def _write_locked(
    session: Session, c: Campaign, req: ExportRequest, handoff: Handoff, emit: Emit, job: Job
) -> dict[str, Any]:
    """`write_request`'s work, under the workspace export lock."""
    approval, out_root, export_id, force = req.approval, req.out, req.export_id, req.force
    messages = req.messages
    start = time.perf_counter()
    laps: dict[str, float] = {}

    def lap(name: str) -> None:
        laps[name] = round(time.perf_counter() - start - sum(laps.values()), 3)

    say = emit
    ws, stem, preset = session.ws, c.stem, PRESETS[c.how.destination]
    fp = check_unchanged(session, c, approval)
    carried = carries_messages(preset, c)
    with_messages = carried if messages is None else (messages and carried)
    say({"phase": "funnel"})
    engine = session.engine
    fs = FunnelSQL(session, c)
    # the funnel computed once where the engine keeps results; every file reads it
    table = engine.materialise(f"kz_export_{os.getpid()}", fs.status(), job)
    funnel = count_funnel(session, c, fs, table.copy(), job)
    approved = approval.recipients
    moved = drift(approved, funnel.recipients)
    if moved > c.drift_limit and not force:
        raise DriftExceeded(
            f"the final count moved from {approved:,} (approved) to {funnel.recipients:,} "
            f"({moved:.1f}%, over the campaign's drift_limit of {c.drift_limit:g}%); "
            "check the funnel with kizuna preview, approve again, or export with --force",
            {"approved": approved, "now": funnel.recipients, "percent": round(moved, 2)},
        )
    q = policy_query(session, c, table.copy())
    # campaign.json's SQL for every engine is Python only: built while DuckDB writes (another
    # engine may load the ledger while building its own SQL, so there it is built in turn)
    engine_sql = _beside(dialect_sql, session, c, thread=engine.local)
    lap("funnel")
    root = out_root / stem
    in_ws = out_root.resolve() == (ws.root / "exports").resolve()
    private_dir(root, anchor=ws.root if in_ws else out_root)  # (`--out DIR` itself is yours)
    final_name = _folder_name(root, export_id)
    partial = root / f".{final_name}.{os.getpid()}.partial"
    partial.mkdir(mode=0o700)
    private_dir(partial)  # 0700 even under a umask that strips the owner's bits
    say({"partial": str(partial)})
    created = datetime.now(timezone.utc)
    contacted = c.when.send_at.astimezone(timezone.utc) if c.when.send_at else created
    select = ledger.rows_select(table.copy(), stem, c.how.channel, contacted, final_name)
    note = {"export_id": final_name, "folder": str(root / final_name)}
    # a local engine stages the ledger rows while the audience is written (the database
    # has cores to spare while Python renders); put in force only after the folder's rename
    staged = _beside(_stage_local, session, select, stem, note) if engine.local else None
    try:
        cols = columns_for(preset, c, q.fields, with_messages)
        plan = AudiencePlan(q, cols, preset, partial, funnel.recipients, table, with_messages)
        files, fast_used = _audience(session, c, plan, req, job, say)
        lap("audience")
        files += _holdout(session, q, preset, c.encoding, partial, job)
        spec = _campaign_json(session, c, funnel, approval, fp, export_id, engine_sql.result())
        files.append(_json_file(partial, "campaign.json", spec))
        manifest = Manifest(
            campaign=stem,
            name=c.name,
            export_id=final_name,
            created_at=created.isoformat(timespec="seconds"),
            preset=preset.name,
            format=preset.format,
            encoding=preset.text_encoding(c.encoding),
            messages=with_messages,
            as_of=funnel.as_of.isoformat(),
            snapshot=_identity(session),
            counts={
                "recipients": funnel.recipients,
                "holdout": funnel.holdout,
                "arms": funnel.arms,
            },
            funnel=funnel.to_dict(),
            policies_off=funnel.policies_off,
            forced=bool(force and (moved > c.drift_limit or handoff.past_send)),
            send_at_passed=handoff.past_send,
            replaces=handoff.replaces_dict(),
            messages_note=attributes_note(c, str) if not with_messages else None,  # English
            drift={
                "approved": approved,
                "now": funnel.recipients,
                "percent": round(min(moved, 1e9), 2),
                "limit": c.drift_limit,
            },
            approval={
                "approved_by": approval.approved_by,
                "approved_at": approval.approved_at,
                "fingerprint": fp.sha256,
            },
            fast_path=fast_used,
            files=tuple(ExportFile(**f) for f in files),
        )
        _json_file(partial, "manifest.json", manifest.to_dict())
        lap("holdout_and_json")
        if staged is not None:
            staged.result()
        else:
            ledger.stage_rows(session.runner.stream(select, job), ws, stem, note)
        for f in [*files, {"name": "manifest.json"}]:
            os.replace(partial / f"{f['name']}.partial", partial / f["name"])
        fsync_dir(partial)
        # a snapshot refreshed under the export aborts it: nothing published, no ledger rows
        snapshot_guard.check_unchanged(session.snapshot)
        os.replace(partial, root / final_name)
        fsync_dir(root)
        ledger.commit(ws, stem)
        lap("ledger_and_rename")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        if staged is not None:
            staged.exception()  # (waits: the staged rows are discarded only once written)
        ledger.discard(ws, stem)
        raise
    finally:
        engine.drop(table)  # (if this fails, the table dies with the process anyway)
    return manifest.to_dict() | {
        "folder": str(root / final_name),
        "elapsed_s": round(time.perf_counter() - start, 3),
        "timings_s": laps,  # (not in manifest.json) where the time went
    }


def _audience(
    session: Session, c: Campaign, plan: AudiencePlan, req: ExportRequest, job: Job, say: Emit
) -> tuple[list[dict], bool]:
    """The audience file(s): DuckDB's COPY when the file is plain CSV (its messages rendered
    once per distinct input), else streamed through the Python writer."""
    q, cols, preset, partial, total = plan.q, plan.cols, plan.preset, plan.partial, plan.total
    with_messages = plan.with_messages
    fast, size, pause = req.fast, req.batch_size, req.pause
    name = f"audience.{preset.ext}"
    path = partial / f"{name}.partial"
    if fast and export_fast.usable(session, c, preset, with_messages, partial):
        say({"phase": "write", "done": 0, "total": total})
        if export_fast.copy_audience(session, c, plan, path, job):
            say({"phase": "write", "done": total, "total": total})
            return [file_info(path, name, total)], True
    elif fast and with_messages and not pause and export_lookup.usable(session, c, preset, partial):
        say({"phase": "write", "done": 0, "total": total})
        if export_lookup.copy_with_messages(session, c, plan, path, job):
            say({"phase": "write", "done": total, "total": total})
            return [file_info(path, name, total)], True
    mask = mask_for(preset, cols, session.catalog)
    rows = Rows(session, c, q, cols)
    parquet = preset.format == "parquet" and session.engine.local
    types = _types(session, q, cols) if parquet else None  # elsewhere: text columns
    headers = [col.header for col in cols]
    writer = Writer(partial, "audience", preset, c.encoding, headers, mask, types, total)
    try:
        done = 0
        say({"phase": "write", "done": 0, "total": total})
        for ids, batch in rows.batches(job, size, with_messages):
            writer.write(ids, batch)
            done += len(batch)
            say({"phase": "write", "done": done, "total": total})
            if pause:
                time.sleep(pause)
        rows.finish()
        return writer.close(), False
    finally:
        writer.abort()


def _types(session: Session, q: CampaignQuery, cols: list[OutColumn]) -> list[str]:
    """DuckDB types of the audience columns (for Parquet)."""
    exprs = [
        exp.alias_(
            column_sql(q, col) if col.kind not in ("part", "coupon") else exp.Literal.string(""),
            f"c{i}",
        )
        for i, col in enumerate(cols)
    ]
    sel = q.comp.base_from(exp.select(*exprs)).limit(0)
    cur = session.snapshot.cursor()
    try:
        return [str(d[1]) for d in cur.execute(sel.sql("duckdb")).description]
    finally:
        cur.close()


def _holdout(
    session: Session, q: CampaignQuery, preset: Preset, encoding: str, partial: Path, job: Job
) -> list[dict]:
    """The control group's ids, in the preset's format (one column, never split)."""
    head = holdout_header(preset)
    writer = Writer(
        partial, "holdout", dataclasses.replace(preset, split_rows=None), encoding, [head]
    )
    try:
        for rows in session.runner.stream(holdout_select(q), job, 50_000):
            writer.write([r[0] for r in rows], rows)
        return writer.close()
    finally:
        writer.abort()


def _stage_local(session: Session, select: exp.Select, stem: str, note: dict) -> None:
    """Stage the export's ledger rows on a cursor of its own (local DuckDB: a COPY)."""
    cur = session.snapshot.cursor()
    try:
        ledger.stage(cur, select, session.ws, stem, note)
    finally:
        cur.close()


def _identity(session: Session) -> dict[str, Any]:
    ident = dataclasses.asdict(session.snapshot.identity)
    ident["as_of"] = str(ident["as_of"])
    ident["engine"] = session.engine.describe()
    ident["meta_as_of"] = str(session.snapshot.meta_as_of)
    return ident


def _json_file(folder: Path, name: str, data: dict) -> dict[str, Any]:
    sink = Sink(folder, name)
    sink.write((json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8"))
    info = sink.close()
    info["rows"] = None
    return info


def _beside(fn: Callable[..., Any], *args: Any, thread: bool = True) -> Future[Any]:
    """Run Python-only work in a thread while the database works (it releases the GIL)."""
    done: Future[Any] = Future()
    if not thread:
        done.set_result(fn(*args))
        return done

    def run() -> None:
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # (re-raised by .result() in the export's thread)
            done.set_exception(exc)

    threading.Thread(target=run, name="kizuna-export-side", daemon=True).start()
    return done


def _campaign_json(
    session: Session,
    c: Campaign,
    funnel: Funnel,
    approval: Approval,
    fp: Fingerprint,
    export_id: str,
    engine_sql: dict[str, str],
) -> dict[str, Any]:
    """The resolved campaign: 3W1H, templates, SQL per engine, funnel, as-of, snapshot, approval."""
    return {
        "campaign": c.to_dict(),
        "stem": c.stem,
        "file": approval.file,
        "export_id": export_id,
        "resolved": {
            "channel": c.how.channel,
            "destination": c.how.destination,
            "encoding": c.encoding,
            "send_date": str(c.send_date(session.snapshot.as_of)),
            "salt": c.salt,
            "arms": c.plan().shares(),
            "template_fields": c.template_fields(),
            "templates": {f"{v}.{p}": t.source for (v, p), t in c.templates.items()},
        },
        "as_of": funnel.as_of.isoformat(),
        "snapshot": _identity(session),
        "funnel": funnel.to_dict(),
        "sql": engine_sql,
        "fingerprint": fp.to_dict(),
        "approval": approval.to_dict(),
    }
