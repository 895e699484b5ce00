"""Saved versions of segment and campaign files in `.kizuna/history/`, so nothing is lost.

Every save keeps the version written, and every overwrite or delete first keeps the version
it replaces; `restore` puts a kept version back (keeping the current one first).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from queries.core.errors import KizunaError
from queries.core.yamlio import write_atomic

KINDS = ("segments", "campaigns")


class HistoryError(KizunaError):
    """No kept version matches what was asked for."""


@dataclass(frozen=True)
class Version:
    """One kept version of a file: its number (1 = oldest), when it was kept, where it is."""

    number: int
    kept_at: str
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text(encoding="utf-8")


def history_dir(state_dir: Path, kind: str, stem: str) -> Path:
    """The folder holding the kept versions of `<kind>/<stem>.yaml`."""
    return Path(state_dir) / "history" / kind / stem


def versions(state_dir: Path, kind: str, stem: str) -> list[Version]:
    """The kept versions of one file, oldest first."""
    folder = history_dir(state_dir, kind, stem)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.yaml"))
    return [Version(i, _stamp(p), p) for i, p in enumerate(files, 1)]


def _stamp(path: Path) -> str:
    """`20261202T065500123456Z-ab12cd.yaml` → `2026-12-02 06:55:00 UTC`."""
    raw = path.stem.split("-")[0]
    try:
        when = datetime.strptime(raw, "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return raw
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


def keep(state_dir: Path, kind: str, path: Path) -> Version | None:
    """Keep the current content of `path` (unless the newest kept version is the same)."""
    path = Path(path)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return keep_text(state_dir, kind, path.stem, text)


def keep_text(state_dir: Path, kind: str, stem: str, text: str) -> Version | None:
    """Keep `text` as the newest version of `<kind>/<stem>.yaml` (no duplicate of the last)."""
    old = versions(state_dir, kind, stem)
    if old and old[-1].text == text:
        return old[-1]
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = history_dir(state_dir, kind, stem) / f"{now}-{digest}.yaml"
    write_atomic(target, text, private=True)  # state under .kizuna/ is private
    return Version(len(old) + 1, _stamp(target), target)


def kept_stems(state_dir: Path, kind: str) -> list[str]:
    """Every file stem of `kind` with at least one kept version."""
    folder = Path(state_dir) / "history" / kind
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def deleted_stems(state_dir: Path, kind: str, folder: Path) -> list[str]:
    """Stems with kept versions whose file is gone from `folder` (deleted or renamed)."""
    return [s for s in kept_stems(state_dir, kind) if not (Path(folder) / f"{s}.yaml").exists()]


def restore(
    state_dir: Path, kind: str, folder: Path, stem: str, number: int | None = None
) -> tuple[Path, Version]:
    """Put kept version `number` (default: the newest that differs from the file) back."""
    kept = versions(state_dir, kind, stem)
    if not kept:
        others = kept_stems(state_dir, kind)
        hint = f" (kept: {', '.join(others)})" if others else ""
        raise HistoryError(f"no kept versions of {kind}/{stem}.yaml{hint}")
    target = Path(folder) / f"{stem}.yaml"
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if number is None:
        choices = [v for v in kept if v.text != current]
        if not choices:
            raise HistoryError(f"{kind}/{stem}.yaml already holds its only kept version")
        chosen = choices[-1]
    else:
        matches = [v for v in kept if v.number == number]
        if not matches:
            raise HistoryError(
                f"{kind}/{stem}.yaml has no version {number} (kept versions: 1..{len(kept)})"
            )
        chosen = matches[0]
    if current is not None:
        keep_text(state_dir, kind, stem, current)
    write_atomic(target, chosen.text)
    return target, chosen
