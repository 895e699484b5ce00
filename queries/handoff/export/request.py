"""One export request: what the parent asks for, carried to the worker process as one JSON line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from queries.handoff.approval_record import Approval
from queries.handoff.checks import PreviousExport

PATHS = ("workspace", "db", "campaign", "out")


@dataclass(frozen=True)
class ExportRequest:
    """Everything the worker needs to check and write one export; the parent builds it from
    files alone (the workspace, the campaign's path, the approval record), never an engine.

    `approval` is the approval record to honour; `force` goes past drift_limit and a send time
    already past, `replace` past an earlier export (the worker checks both, as the parent
    once did). `pause` slows the writer between batches (tests of cancel)."""

    workspace: Path
    db: Path
    campaign: Path
    approval: Approval
    out: Path
    export_id: str
    engine: str | None = None
    as_of: str | None = None
    force: bool = False
    replace: bool = False
    messages: bool | None = None
    batch_size: int = 50_000
    fast: bool = True
    pause: float = 0.0
    lang: str | None = None  # the parent's language: the worker's refusals read the same

    @property
    def place(self) -> Place:
        """Where the worker's session opens."""
        return Place(str(self.workspace), str(self.db), self.as_of, self.engine, self.lang)

    def to_json(self) -> str:
        """The request as one JSON line (paths as text, the approval as its file's object)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in PATHS:
            data[key] = str(data[key])
        data["approval"] = self.approval.to_dict()
        return json.dumps(data, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, line: str) -> ExportRequest:
        """Read the parent's line back; unknown keys are an error, not silently dropped."""
        data = json.loads(line)
        known = {f.name for f in fields(cls)}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown export request keys: {', '.join(sorted(extra))}")
        for key in PATHS:
            data[key] = Path(data[key])
        data["approval"] = Approval.from_dict(data.get("approval"), "the export request")
        return cls(**data)


@dataclass(frozen=True)
class Place:
    """Where an export's session opens: workspace, snapshot, as-of date, engine, language (a
    spare worker opens it ahead when it is told; the request says it again)."""

    workspace: str
    db: str
    as_of: str | None
    engine: str | None
    lang: str | None

    @classmethod
    def from_json(cls, text: str) -> Place:
        return cls(**json.loads(text))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


@dataclass(frozen=True)
class Handoff:
    """What the worker's checks decided: a send time forced past, the export this one replaces
    (both said in the manifest)."""

    past_send: bool = False
    replaces: PreviousExport | None = None

    def replaces_dict(self) -> dict[str, Any] | None:
        """`replaces` as manifest.json writes it."""
        return asdict(self.replaces) if self.replaces else None
