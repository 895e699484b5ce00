"""The audit log: one JSON object per line in `.kizuna/audit.log`, appended, never rewritten.

Records say who (OS user, host, SSH client), what (action, campaign, fingerprint, funnel
counts, files and hashes), when (UTC) and the result. They carry no personal data: no customer
ids, addresses or names, only counts and hashes.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from queries.core.i18n import _
from queries.core.private_fs import open_private, private_dir
from queries.core.workspace import Workspace


def log_path(ws: Workspace) -> Path:
    return ws.state_dir / "audit.log"


def who() -> dict[str, Any]:
    """The person at the keyboard, as far as the OS can tell."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT")
    return {"os_user": user, "host": socket.gethostname(), "ssh": ssh or None}


def who_text(w: dict[str, Any] | None) -> str:
    """`OS user root@box, SSH from 10.0.0.5` for a `who()` record (empty when unknown)."""
    if not w:
        return ""
    text = _("OS user {user}").format(user=w.get("os_user") or "?")
    if w.get("host"):
        text += f"@{w['host']}"
    ssh = w.get("ssh")
    if ssh:
        text += ", " + _("SSH from {address}").format(address=str(ssh).split()[0])
    else:
        text += ", " + _("local session")
    return text


def record(ws: Workspace, action: str, campaign: str, result: str, **what: Any) -> dict:
    """Append one record (a single write on an O_APPEND file, then fsync) and return it."""
    entry = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "action": action,
        "campaign": campaign,
        "result": result,
        "who": who(),
        **{k: v for k, v in what.items() if v is not None},
    }
    path = log_path(ws)
    private_dir(path.parent, anchor=ws.root)
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    fd = open_private(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read(ws: Workspace, campaign: str | None = None) -> list[dict]:
    """Every record (of one campaign), oldest first."""
    path = log_path(ws)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if campaign is None or entry.get("campaign") == campaign:
            out.append(entry)
    return out
