"""The export manifest: what `manifest.json` holds, typed, read and written.

The file is a contract (its keys, their order, `indent=2`): `to_dict()` gives back exactly the
object that was read or built, so `to_json()` writes the bytes Kizuna always wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from queries.core.jsonio import read_json
from queries.handoff.refusals import ExportError

NULL = type(None)


class ManifestInvalid(ExportError):
    """A manifest (a file, or the worker's result) lacks a field or has one of the wrong type."""

    reason = "manifest_invalid"


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: rows (None for JSON files), size and sha256 of its bytes."""

    name: str
    rows: int | None
    bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256}


# every key in the order manifest.json has them, with the types a value may have
_TYPES: dict[str, tuple[type, ...]] = {
    "kizuna_export": (int,),
    "campaign": (str,),
    "name": (str,),
    "export_id": (str,),
    "created_at": (str,),
    "preset": (str,),
    "format": (str,),
    "encoding": (str,),
    "messages": (bool,),
    "as_of": (str,),
    "snapshot": (dict,),
    "counts": (dict,),
    "funnel": (dict,),
    "policies_off": (list,),
    "forced": (bool,),
    "send_at_passed": (bool,),
    "replaces": (dict, NULL),
    "messages_note": (str, NULL),
    "drift": (dict,),
    "approval": (dict,),
    "fast_path": (bool,),
    "files": (list,),
}


@dataclass(frozen=True)
class Manifest:
    """What an export holds and why: counts, funnel, snapshot, approval, the files' hashes."""

    campaign: str
    name: str
    export_id: str
    created_at: str
    preset: str
    format: str
    encoding: str
    messages: bool
    as_of: str
    snapshot: dict[str, Any]
    counts: dict[str, Any]
    funnel: dict[str, Any]
    policies_off: list[str]
    forced: bool
    send_at_passed: bool
    replaces: dict[str, Any] | None
    messages_note: str | None
    drift: dict[str, Any]
    approval: dict[str, Any]
    fast_path: bool
    files: tuple[ExportFile, ...]
    kizuna_export: int = 1

    @property
    def recipients(self) -> int:
        return int(self.counts["recipients"])

    @property
    def holdout(self) -> int:
        return int(self.counts["holdout"])

    def to_dict(self) -> dict[str, Any]:
        """The manifest as the JSON object in manifest.json, keys in the file's order."""
        out = {key: getattr(self, key) for key in _TYPES}
        out["files"] = [f.to_dict() for f in self.files]
        return out

    def to_json(self) -> str:
        """The file's text: indented JSON, UTF-8 as it is, one newline at the end."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"

    @classmethod
    def from_dict(cls, data: Any, source: str | Path = "manifest") -> Manifest:
        """Check and type a manifest read from `source`; a bad one names it and the field."""
        if not isinstance(data, dict):
            raise ManifestInvalid(f"{source}: a manifest must be a JSON object")
        unknown = sorted(set(data) - set(_TYPES))
        if unknown:
            raise ManifestInvalid(f"{source}: unknown manifest field `{unknown[0]}`")
        for key, types in _TYPES.items():
            if key not in data:
                raise ManifestInvalid(f"{source}: the manifest has no `{key}`")
            value = data[key]
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                want = " or ".join("null" if t is NULL else t.__name__ for t in types)
                raise ManifestInvalid(
                    f"{source}: `{key}` must be {want}, not {type(value).__name__} ({value!r:.40})"
                )
        files = []
        for i, f in enumerate(data["files"]):
            try:
                files.append(ExportFile(**f))
            except TypeError:
                raise ManifestInvalid(
                    f"{source}: `files[{i}]` must hold name, rows, bytes and sha256"
                ) from None
        values = {f.name: data[f.name] for f in fields(cls) if f.name != "files"}
        return cls(**values, files=tuple(files))

    @classmethod
    def from_json(cls, text: str, source: str | Path = "manifest.json") -> Manifest:
        """Read a manifest from its file's text; bad JSON names the file, line and column."""
        return cls.from_dict(read_json(text, source, ManifestInvalid), source)
