"""Fingerprint a campaign's definitions: its file, segments, templates, coupon pool and catalog."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queries.campaigns.audience import audience_segment
from queries.campaigns.model import Campaign
from queries.query.session import Session
from queries.query.store import referenced_files


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rel(root: Path, path: Path) -> str:
    p = Path(path).resolve()
    try:
        return p.relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


@dataclass(frozen=True)
class Fingerprint:
    """sha256 of every definition file (by workspace-relative path) and of the catalog."""

    files: dict[str, str] = field(default_factory=dict)
    catalog: str = ""

    @property
    def sha256(self) -> str:
        """One hash over everything, for a short display and the audit log."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(f"{name}\0{self.files[name]}\n".encode())
        h.update(f"catalog\0{self.catalog}".encode())
        return h.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "files": dict(sorted(self.files.items())),
            "catalog": self.catalog,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Fingerprint:
        return cls(dict(d.get("files", {})), str(d.get("catalog", "")))

    def changes(self, now: Fingerprint) -> list[str]:
        """What differs from `now`, one line per file (empty when nothing changed)."""
        out = []
        for name in sorted(set(self.files) | set(now.files)):
            old, new = self.files.get(name), now.files.get(name)
            if old == new:
                continue
            if old is None:
                out.append(f"{name} is new")
            elif new is None:
                out.append(f"{name} is no longer used")
            elif new == "missing":
                out.append(f"{name} was deleted")
            else:
                out.append(f"{name} changed")
        if self.catalog != now.catalog:
            out.append("the catalog (kizuna.toml field/table mapping) changed")
        return out


def definition_files(session: Session, c: Campaign) -> list[Path]:
    """The campaign file, every segment it reads, its template files and its coupon pool."""
    root = session.ws.root
    files: list[Path] = [c.path] if c.path else []
    files += referenced_files(audience_segment(c), session.store)
    for v in c.variants:
        for name in (v.body_file, v.text_file):
            if name:
                files.append(root / name)
    if c.coupon and c.coupon.pool_file:
        files.append(root / c.coupon.pool_file)
    seen: dict[Path, None] = {}
    for f in files:
        seen.setdefault(Path(f).resolve(), None)
    return list(seen)


def fingerprint(session: Session, c: Campaign) -> Fingerprint:
    """Hash the campaign's definitions as they are on disk now."""
    root = session.ws.root
    files = {
        _rel(root, p): sha256_file(p) if p.is_file() else "missing"
        for p in definition_files(session, c)
    }
    cat = hashlib.sha256(session.catalog.fingerprint().encode()).hexdigest()
    return Fingerprint(files, cat)
