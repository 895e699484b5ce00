"""The approval record: what `.kizuna/approvals/<campaign>.json` holds, typed, read and written.

The file is a contract (its keys, their order, `indent=2`): `to_dict()` gives back exactly the
object that was read, so an export embeds it in campaign.json unchanged. Keys an older Kizuna
did not write stay absent; keys it does not know are kept, after the known ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queries.core.jsonio import read_json
from queries.core.workspace import Workspace
from queries.handoff.fingerprint import Fingerprint
from queries.handoff.refusals import ApprovalInvalid

# every key in the order `approve` writes them; (required, the types a value may have)
_KEYS: dict[str, tuple[bool, tuple[type, ...]]] = {
    "campaign": (True, (str,)),
    "name": (False, (str, type(None))),
    "file": (False, (str, type(None))),
    "approved_by": (True, (str,)),
    "approved_at": (True, (str,)),
    "who": (False, (dict, type(None))),
    "fingerprint": (True, (dict,)),
    "recipients": (True, (int,)),
    "holdout": (False, (int,)),
    "arms": (False, (dict,)),
    "funnel": (False, (dict,)),
    "policies_off": (False, (list,)),
    "as_of": (False, (str, type(None))),
    "snapshot": (False, (dict,)),
    "preflight": (False, (dict,)),
    "send_at_passed": (False, (bool,)),
    "audience_changes": (False, (dict, type(None))),
    "measurability": (False, (dict, type(None))),
}


@dataclass(frozen=True)
class Approval:
    """Who approved a campaign, when, on which definitions (fingerprint) and which counts."""

    campaign: str
    approved_by: str
    approved_at: str
    fingerprint: Fingerprint
    recipients: int
    name: str | None = None
    file: str | None = None
    who: dict[str, Any] | None = None
    holdout: int = 0
    arms: dict[str, int] = field(default_factory=dict)
    funnel: dict[str, Any] = field(default_factory=dict)
    policies_off: list[str] = field(default_factory=list)
    as_of: str | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)
    preflight: dict[str, Any] = field(default_factory=dict)
    send_at_passed: bool = False
    audience_changes: dict[str, Any] | None = None
    measurability: dict[str, Any] | None = None
    absent: frozenset[str] = frozenset()  # keys the file did not have (an older Kizuna)
    extra: tuple[tuple[str, Any], ...] = ()  # keys this Kizuna does not know, kept as they were
    # the fingerprint's own `sha256` as written (None: computed from the files and catalog)
    fingerprint_sha256: str | None = None

    @property
    def sha256(self) -> str:
        """The fingerprint's one hash, as recorded (the audit log and manifests cite it)."""
        return self.fingerprint_sha256 or self.fingerprint.sha256

    @property
    def overridden(self) -> bool:
        """Approved with --force past preflight problems."""
        return bool(self.preflight.get("overridden"))

    def to_dict(self) -> dict[str, Any]:
        """The record as the JSON object on disk, keys in the file's order."""
        fp = self.fingerprint.to_dict()
        if self.fingerprint_sha256 is not None:
            fp["sha256"] = self.fingerprint_sha256
        values = {name: getattr(self, name) for name in _KEYS} | {"fingerprint": fp}
        out = {k: v for k, v in values.items() if k not in self.absent}
        return out | dict(self.extra)

    def to_json(self) -> str:
        """The file's text: indented JSON, UTF-8 as it is, one newline at the end."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"

    @classmethod
    def from_dict(cls, data: Any, source: str | Path = "approval") -> Approval:
        """Check and type a record read from `source`; a bad one names the file and field."""
        if not isinstance(data, dict):
            raise ApprovalInvalid(f"{source}: an approval record must be a JSON object")
        for key, (required, types) in _KEYS.items():
            if key not in data:
                if required:
                    raise ApprovalInvalid(f"{source}: the approval has no `{key}`")
                continue
            value = data[key]
            ok = isinstance(value, types) and not (int in types and isinstance(value, bool))
            if not ok:
                want = " or ".join("null" if t is type(None) else t.__name__ for t in types)
                raise ApprovalInvalid(
                    f"{source}: `{key}` must be {want}, not {type(value).__name__} ({value!r:.40})"
                )
        fp = data["fingerprint"]
        files = fp.get("files", {})
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise ApprovalInvalid(f"{source}: `fingerprint.files` must map file names to hashes")
        for key in ("sha256", "catalog"):
            if not isinstance(fp.get(key), str):
                raise ApprovalInvalid(f"{source}: `fingerprint.{key}` must be a hash (text)")
        known = {k: data[k] for k in _KEYS if k in data and k != "fingerprint"}
        return cls(
            fingerprint=Fingerprint.from_dict(fp),
            fingerprint_sha256=str(fp["sha256"]),
            absent=frozenset(k for k in _KEYS if k not in data),
            extra=tuple((k, v) for k, v in data.items() if k not in _KEYS),
            **known,
        )

    @classmethod
    def from_json(cls, text: str, source: str | Path = "approval") -> Approval:
        """Read a record from its file's text; bad JSON names the file, line and column."""
        return cls.from_dict(read_json(text, source, ApprovalInvalid), source)


def approval_path(ws: Workspace, stem: str) -> Path:
    """Where a campaign's approval is kept: `.kizuna/approvals/<campaign>.json`."""
    return ws.state_dir / "approvals" / f"{stem}.json"


def load_approval(ws: Workspace, stem: str) -> Approval | None:
    """The campaign's approval on record, if any (a file read: no engine, no session)."""
    path = approval_path(ws, stem)
    if not path.is_file():
        return None
    return Approval.from_json(path.read_text(encoding="utf-8"), _shown(ws, path))


def _shown(ws: Workspace, path: Path) -> str:
    """The file as a person finds it: relative to the workspace when inside it."""
    try:
        return path.relative_to(ws.root).as_posix()
    except ValueError:
        return str(path)
