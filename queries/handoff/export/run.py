"""Export a campaign: read its approval, run the writer in a watched child process, audit it.

The parent works from files alone (the workspace, the campaign's path, its approval record) and
never opens an engine: `python -m queries.handoff.export.worker` opens the session, checks the
campaign against its approval, and writes; its refusals come back with the same words. A
cancel (or Ctrl-C, or a timeout) kills that process and removes its partial folder, so a
cancel never waits on the database. Stale partial folders of crashed exports are removed on
the next start; the folder of a finished export appears only when it is complete.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from queries.campaigns.model import Campaign
from queries.core.errors import QueryCancelled
from queries.core.i18n import language
from queries.core.private_fs import private_dir
from queries.core.workspace import Workspace
from queries.engines import engine_settings
from queries.engines.jobs import Job
from queries.handoff import audit, ledger
from queries.handoff.approval_record import load_approval
from queries.handoff.export import spare
from queries.handoff.export.manifest import ExportFile, Manifest, ManifestInvalid
from queries.handoff.export.request import ExportRequest, Place
from queries.handoff.refusals import ExportBusy, ExportError, NotApproved, from_dict
from queries.query.session import Session

Progress = Callable[[int, int], None]
Waiting = Callable[[str], None]  # "waiting for the export of X (started by U at T)"
Notice = Callable[[str], None]  # the worker's session: "building the features cache…"
KILL_GRACE_S = 2.0


# the worker's result beyond manifest.json
RUN_KEYS = ("folder", "elapsed_s", "timings_s", "session_ahead")


@dataclass(frozen=True)
class ExportResult:
    """A finished export: its folder, its manifest, and where the time went."""

    folder: Path
    manifest: Manifest
    elapsed_s: float = 0.0
    timings_s: dict[str, float] = field(default_factory=dict)
    session_ahead: bool = False  # the worker used the session it opened before the request

    @property
    def files(self) -> tuple[ExportFile, ...]:
        return self.manifest.files

    @property
    def recipients(self) -> int:
        return self.manifest.recipients

    @property
    def holdout(self) -> int:
        return self.manifest.holdout

    def to_dict(self) -> dict[str, Any]:
        """The manifest and the run, as the worker reported them (`kizuna export --json`)."""
        return self.manifest.to_dict() | {
            "folder": str(self.folder),
            "elapsed_s": self.elapsed_s,
            "timings_s": self.timings_s,
        }

    @classmethod
    def from_worker(cls, result: dict[str, Any]) -> ExportResult:
        """Type the worker's result line (the manifest plus `RUN_KEYS`)."""
        data = dict(result)
        run = {k: data.pop(k, None) for k in RUN_KEYS}
        if not isinstance(run["folder"], str):
            raise ManifestInvalid("the export worker's result has no `folder`")
        m = Manifest.from_dict(data, "the export worker's result")
        return cls(
            Path(run["folder"]),
            m,
            float(run["elapsed_s"] or 0),
            run["timings_s"] or {},
            bool(run["session_ahead"]),
        )


def exports_root(ws: Workspace, out: Path | None = None) -> Path:
    """Where exports go: `--out DIR`, else the workspace's exports/."""
    return Path(out).resolve() if out else ws.root / "exports"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(folder: Path) -> list[Path]:
    """Remove hidden `.ID.PID.partial` folders whose writer process is gone."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for p in folder.glob(".*.partial"):
        try:
            pid = int(p.name.rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            pid = -1
        if pid <= 0 or not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


class _Lock:
    """One export per campaign at a time (a pid file; a dead holder's lock is taken over)."""

    def __init__(self, ws: Workspace, stem: str):
        self.path = ws.state_dir / "locks" / f"export-{stem}.lock"
        self.root = ws.root

    def __enter__(self) -> _Lock:
        private_dir(self.path.parent, anchor=self.root)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                try:
                    holder = int(self.path.read_text() or 0)
                except (OSError, ValueError):
                    holder = 0
                if holder and _alive(holder):
                    raise ExportBusy(
                        f"another export of this campaign is running (process {holder})"
                    ) from None
                self.path.unlink(missing_ok=True)
                continue
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            return self
        raise ExportBusy("could not take the export lock")

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def place_for(ws: Workspace, engine: str | None = None) -> Place:
    """Where an export of this workspace opens its session (`engine`: kizuna.toml's if None)."""
    return Place(
        workspace=str(ws.root),
        db=str(ws.db_path),
        as_of=ws.as_of.isoformat() if ws.as_of else None,
        engine=engine_settings(ws.raw, engine)[0],
        lang=language(),
    )


def prewarm(session: Session, wait: bool = False) -> None:
    """Start the next export's worker now, its session open on this one's place (the export
    screen calls it while the marketer reads; `export_campaign` then starts at once); `wait`
    until it is ready."""
    spare.prewarm(wait, place=place_for(session.ws, session.engine.kind))


def export_campaign(session: Session, c: Campaign, **kw: Any) -> ExportResult:
    """`export_file` for a campaign already open in a session (the TUI, tests): the session
    only says where (workspace, snapshot, engine kind); nothing runs on its engine."""
    if c.path is None:
        raise ExportError("save the campaign to a file in campaigns/ before exporting it")
    return export_file(session.ws, c.path, session.engine.kind, **kw)


def export_file(
    ws: Workspace,
    campaign: Path,
    engine: str | None = None,
    out: Path | None = None,
    force: bool = False,
    messages: bool | None = None,
    progress: Progress | None = None,
    cancel: Job | None = None,
    timeout: float | None = None,
    batch_size: int = 50_000,
    fast: bool = True,
    pause: float = 0.0,
    replace: bool = False,
    waiting: Waiting | None = None,
    notice: Notice | None = None,
) -> ExportResult:
    """Export an approved campaign file; raises ExportError (refusals) or QueryCancelled.

    `engine` is the kind the worker opens (None: kizuna.toml's). `force` goes past drift_limit
    and a `send_at` already past; `replace` allows exporting a campaign again (it replaces the
    earlier handoff: said in the manifest). While another export in the workspace holds the
    export lock, `waiting` is told who holds it (once per holder); `notice` hears the worker's
    session messages (building the features cache); `cancel` (or Ctrl-C) stops any phase."""
    stem = campaign.stem
    ledger.recover(ws)
    root = exports_root(ws, out)
    clean_stale(root / stem)
    try:
        approval = load_approval(ws, stem)
        if approval is None:
            raise NotApproved(
                f"`{stem}` has not been approved; review and approve it first: "
                f"kizuna approve {stem} --by NAME"
            )
    except ExportError as exc:
        audit.record(ws, "export", stem, "refused", reason=exc.reason, detail=exc.audit or None)
        raise
    place = place_for(ws, engine)
    req = ExportRequest(
        workspace=Path(place.workspace),
        db=Path(place.db),
        campaign=campaign,
        approval=approval,
        out=root,
        export_id=datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        engine=place.engine,
        as_of=place.as_of,
        force=force,
        replace=replace,
        messages=messages,
        batch_size=batch_size,
        fast=fast,
        pause=pause,
        lang=place.lang,
    )
    base = {"approved_by": approval.approved_by, "fingerprint": approval.sha256}
    watch = Watch(progress, cancel, timeout, waiting, notice)
    try:
        with _Lock(ws, stem):
            res = ExportResult.from_worker(_run_worker(req, root / stem, watch))
    except QueryCancelled:
        ledger.recover(ws)
        audit.record(ws, "export", stem, "cancelled", **base)
        raise
    except WorkerRefused as refused:
        error = refused.error
        why = {"reason": error.reason, "detail": error.audit or None}
        if refused.stage == "check":  # refused before writing: audited as the checks always were
            audit.record(ws, "export", stem, "refused", **why)
        elif refused.stage != "load":  # (a campaign that does not load was never an export)
            audit.record(ws, "export", stem, "refused", **why, **base)
        raise error from None
    except ExportError as exc:  # busy, or the worker died before it could say why
        audit.record(
            ws, "export", stem, "refused", reason=exc.reason, detail=exc.audit or None, **base
        )
        raise
    m = res.manifest
    audit.record(
        ws,
        "export",
        stem,
        "ok",
        **base,
        export_id=m.export_id,
        preset=m.preset,
        funnel={s["key"]: s["count"] for s in m.funnel["steps"]},
        policies_off=m.policies_off or None,
        forced=m.forced or None,
        files=[f.to_dict() for f in m.files],
    )
    return res


def _remove_partials(folder: Path, pid: int, known: str | None) -> None:
    """Remove the partial folder of a stopped worker (known, or found by its pid)."""
    found = list(folder.glob(f".*.{pid}.partial")) if folder.is_dir() else []
    for p in {*found, *([Path(known)] if known else [])}:
        shutil.rmtree(p, ignore_errors=True)


@dataclass(frozen=True)
class Watch:
    """How the parent follows its worker: whom it tells, and what stops it."""

    progress: Progress | None = None
    cancel: Job | None = None
    timeout: float | None = None
    waiting: Waiting | None = None
    notice: Notice | None = None


class WorkerRefused(Exception):
    """The worker's refusal (rebuilt) and its stage: `load`, `check` or `write` (None: older)."""

    def __init__(self, error: ExportError, stage: str | None):
        super().__init__(str(error))
        self.error, self.stage = error, stage


def _run_worker(req: ExportRequest, folder: Path, watch: Watch) -> dict[str, Any]:
    """Run a worker (the spare one started ahead, else a new one), relaying progress; kill it
    on cancel, Ctrl-C or timeout."""
    worker = spare.take() or spare.start()
    with worker.errlog:
        return _relay(worker.proc, req, folder, watch, worker.errlog)


def _relay(
    proc: subprocess.Popen, req: ExportRequest, folder: Path, watch: Watch, errlog: Any
) -> dict[str, Any]:
    """Send the request to the worker, relay its events until it reports an outcome."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write((req.to_json() + "\n").encode())
    proc.stdin.flush()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    progress, cancel, waiting = watch.progress, watch.cancel, watch.waiting
    deadline = time.monotonic() + watch.timeout if watch.timeout else None
    buf, partial, outcome = b"", None, None
    try:
        while outcome is None:
            if cancel is not None and cancel.cancelled:
                raise QueryCancelled("export cancelled; nothing was written")
            if deadline and time.monotonic() > deadline:
                raise QueryCancelled("export timed out and was stopped; nothing was written")
            if not sel.select(timeout=0.1):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                ev = json.loads(line)
                if "partial" in ev:
                    partial = ev["partial"]
                elif "result" in ev or "error" in ev:
                    outcome = ev
                elif progress and ev.get("phase") == "write":
                    progress(int(ev["done"]), int(ev["total"]))
                elif waiting and ev.get("phase") == "waiting":
                    waiting(str(ev["message"]))
                elif watch.notice and ev.get("phase") == "features":
                    watch.notice(str(ev["message"]))
    except BaseException as exc:
        _kill(proc)
        _remove_partials(folder, proc.pid, partial)
        if isinstance(exc, KeyboardInterrupt):
            raise QueryCancelled("export interrupted; nothing was written") from None
        raise
    finally:
        sel.close()
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill(proc)
    if outcome is None:
        errlog.seek(0)
        tail = errlog.read()[-2000:].decode("utf-8", "replace").strip()
        _remove_partials(folder, proc.pid, partial)
        raise ExportError(
            f"the export process stopped unexpectedly (exit {proc.returncode}): {tail}"
        )
    if "error" in outcome:
        raise WorkerRefused(from_dict(outcome["error"]), outcome.get("stage"))
    return outcome["result"]


def _kill(proc: subprocess.Popen) -> None:
    """Stop the worker: SIGTERM, then SIGKILL after a grace period; never waits forever."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=KILL_GRACE_S)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass
