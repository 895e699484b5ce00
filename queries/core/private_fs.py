"""Private files and folders: Kizuna's state and exports are 0600/0700 whatever the umask.

Approvals, the contact ledger, the audit log, the features cache (per-customer age, spend,
NPS), locks, kept versions and export folders hold personal data or decide who is
contacted: no other local user may read or forge them. Every writer of such a path goes
through here. The umask can only remove permission bits, so each path is also chmod-ed
explicitly (a umask of 0o777 would otherwise leave it unusable, 000 world-writable).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, anchor: Path | None = None) -> Path:
    """Create `path` and its missing parents as 0700; folders below `anchor` are tightened too.

    `anchor` is the folder that is not ours to change (the workspace root, or `--out DIR`);
    every folder strictly below it on the way to `path` is made 0700 if it is ours.
    """
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            pass
        _chmod(d, DIR_MODE)
    if anchor is not None:
        a = Path(anchor).resolve()
        for d in (path.resolve(), *path.resolve().parents):
            if d == a or a not in d.parents:
                break
            _chmod(d, DIR_MODE)
    else:
        _chmod(path, DIR_MODE)
    return path


def make_private(path: Path) -> Path:
    """Make a file written by someone else (DuckDB's COPY or ATTACH) 0600."""
    _chmod(Path(path), FILE_MODE)
    return Path(path)


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT at 0600, whatever the umask; returns the descriptor."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, data: str | bytes, fsync: bool = True) -> Path:
    """Write a whole file atomically (a `.partial` sibling, fsync, rename) as 0600."""
    path = Path(path)
    private_dir(path.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(path.name + ".partial")
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def _chmod(path: Path, mode: int) -> None:
    """chmod when needed and allowed (a path owned by someone else is left as it is)."""
    try:
        st = path.stat()
        if stat.S_IMODE(st.st_mode) != mode and st.st_uid == os.geteuid():
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
