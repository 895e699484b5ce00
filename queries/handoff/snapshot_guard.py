"""The snapshot under an export must stay the one it started on, up to the moment it publishes.

A snapshot refreshed mid-export (new suppressions, new opt-outs) would otherwise let an
audience computed on the old data be handed off under a manifest naming the old file. The
identity Kizuna opened (size, modification time, inode) is compared with the file on disk
just before the export folder appears; any difference aborts the export.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from queries.handoff.refusals import SnapshotChanged


def _when(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_unchanged(snapshot: Any) -> None:
    """Raise SnapshotChanged when the snapshot file is no longer the one that was opened."""
    ident = snapshot.identity
    inode = getattr(snapshot, "inode", None)
    if inode is None:  # a snapshot on another engine: no local file to watch
        return
    path = Path(ident.path)
    try:
        st = path.stat()
        now: tuple[int, int, int] | None = (st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        now = None
    if now == (ident.size, ident.mtime_ns, inode):
        return
    then = f"{ident.size:,} bytes, modified {_when(ident.mtime_ns)}"
    after = "gone" if now is None else f"{now[0]:,} bytes, modified {_when(now[1])}"
    raise SnapshotChanged(
        f"the snapshot {path.name} changed during the export (it was {then}; now {after}); "
        "nothing was published and nothing was added to the contact ledger — export again "
        "to use the new snapshot",
        {"before": {"size": ident.size, "mtime_ns": ident.mtime_ns}, "after": now and now[:2]},
    )
