"""The workspace export lock: one export at a time per workspace, across processes.

Two campaigns exported at once must still respect every frequency cap, so each export holds
this lock from its funnel (which reads the contact ledger) to its ledger commit. It is an
OS lock (`fcntl.flock` on `.kizuna/locks/export.lock`): a crashed or killed exporter
releases it with its process, and a waiting export says who holds it and can be cancelled.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from queries.core.errors import QueryCancelled
from queries.core.private_fs import open_private, private_dir
from queries.core.workspace import Workspace

POLL_S = 0.1


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: the campaign being exported, by whom, since when."""

    campaign: str
    user: str
    started_at: str
    pid: int

    def waiting_text(self) -> str:
        return (
            f"waiting for the export of {self.campaign} "
            f"(started by {self.user} at {self.started_at})"
        )


def lock_path(ws: Workspace) -> Path:
    return ws.state_dir / "locks" / "export.lock"


def _user() -> str:
    from queries.handoff.audit import who

    return str(who().get("os_user") or "someone")


def _read(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "null")
        return Holder(**data) if isinstance(data, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def holder(ws: Workspace) -> Holder | None:
    """The export holding the lock now, or None when it is free."""
    path = lock_path(ws)
    if not path.is_file():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read(path) or Holder("another campaign", "someone", "?", 0)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def export_lock(
    ws: Workspace,
    campaign: str,
    waiting: Callable[[str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[Holder]:
    """Hold the workspace export lock; while another export has it, say so once per holder
    (`waiting`) and poll `cancelled` (then raise QueryCancelled, nothing done)."""
    path = lock_path(ws)
    private_dir(path.parent, anchor=ws.root)
    fd = open_private(path, os.O_RDWR)
    try:
        told: Holder | None = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if cancelled is not None and cancelled():
                raise QueryCancelled(
                    "export cancelled while waiting for another export; nothing was written"
                )
            now = _read(path)
            if waiting is not None and now is not None and now != told:
                waiting(now.waiting_text())
                told = now
            time.sleep(POLL_S)
        me = Holder(
            campaign,
            _user(),
            datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            os.getpid(),
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(me)).encode("utf-8"), 0)
        try:
            yield me
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def try_export_lock(ws: Workspace) -> Iterator[bool]:
    """Hold the lock if it is free (True), else go on without it (False) at once."""
    path = lock_path(ws)
    if not ws.state_dir.is_dir():
        yield True  # no state yet: nothing can be exporting
        return
    private_dir(path.parent, anchor=ws.root)
    fd = open_private(path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
