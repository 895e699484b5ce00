"""One export request: what the parent checked, carried to the worker process as one JSON line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ExportRequest:
    """Everything the worker needs to write one export; the parent builds it after its checks.

    `approval` is the approval record being honoured; `past_send` says the caller forced a
    send time already past and `replaces` names the earlier export this one replaces (both
    recorded in the manifest). `pause` slows the writer between batches (tests of cancel)."""

    workspace: Path
    db: Path
    campaign: Path
    approval: dict[str, Any]
    out: Path
    export_id: str
    engine: str | None = None
    as_of: str | None = None
    force: bool = False
    messages: bool | None = None
    batch_size: int = 50_000
    fast: bool = True
    pause: float = 0.0
    past_send: bool = False
    replaces: dict[str, Any] | None = None

    def to_json(self) -> str:
        """The request as one JSON line (paths as text)."""
        data = asdict(self)
        for key in ("workspace", "db", "campaign", "out"):
            data[key] = str(data[key])
        return json.dumps(data, ensure_ascii=False, default=str)

    @classmethod
    def from_json(cls, line: str) -> ExportRequest:
        """Read the parent's line back; unknown keys are an error, not silently dropped."""
        data = json.loads(line)
        known = {f.name for f in fields(cls)}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown export request keys: {', '.join(sorted(extra))}")
        for key in ("workspace", "db", "campaign", "out"):
            data[key] = Path(data[key])
        return cls(**data)
