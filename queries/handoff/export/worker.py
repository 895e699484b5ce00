"""The export worker: `python -m queries.handoff.export.worker`, one export in a process of its own.

It reads one JSON request line on stdin, opens its own session and writes JSON lines on
stdout: progress events, then `{"result": manifest}` or `{"error": {...}}`. When its parent
goes away (stdin closes) it exits at once, leaving only a hidden partial folder behind, which
the next export removes. Cancelling is the parent killing this process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _watch_parent() -> None:
    """Exit as soon as the parent closes our stdin (it died or cancelled)."""
    try:
        while sys.stdin.buffer.read(1 << 16):
            pass
    finally:
        os._exit(3)


def run(req: dict[str, Any]) -> dict[str, Any]:
    """Open a session and write the export described by `req`; returns the manifest."""
    from queries.campaigns.parse import load_campaign
    from queries.handoff.export.write import write_export
    from queries.query.session import open_session

    session = open_session(
        Path(req["workspace"]),
        Path(req["db"]),
        req.get("as_of"),
        lambda msg: _emit({"phase": "features", "message": msg}),
        engine=req.get("engine"),
    )
    try:
        c = load_campaign(Path(req["campaign"]), session.catalog, session.ws.root, session.store)
        return write_export(
            session,
            c,
            req["approval"],
            Path(req["out"]),
            req["export_id"],
            force=bool(req.get("force")),
            messages=req.get("messages"),
            emit=_emit,
            batch_size=int(req.get("batch_size", 50_000)),
            fast=bool(req.get("fast", True)),
            pause=float(req.get("pause", 0.0)),
            handoff={"past_send": bool(req.get("past_send")), "replaces": req.get("replaces")},
        )
    finally:
        session.close()


def main() -> int:
    """Entry point: one request in, events and a result out."""
    line = sys.stdin.readline()
    threading.Thread(target=_watch_parent, daemon=True).start()
    from queries.core.errors import KizunaError
    from queries.handoff.refusals import ExportError

    try:
        _emit({"result": run(json.loads(line))})
        return 0
    except ExportError as exc:
        _emit({"error": exc.to_dict()})
    except KizunaError as exc:
        _emit({"error": {"type": type(exc).__name__, "message": exc.render(), "audit": {}}})
    except Exception as exc:  # report, never hang the parent waiting for a result
        _emit({"error": {"type": "ExportError", "message": f"export failed: {exc!r}", "audit": {}}})
    return 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)
