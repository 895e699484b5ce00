"""The export worker: `python -m queries.handoff.export.worker`, one export in a process of its own.

It reads one JSON request line (`ExportRequest`) on stdin, opens its own session and writes
JSON lines on stdout: progress events, then `{"result": manifest}` or `{"error": {...}}`.
When its parent goes away (stdin closes) it exits at once, leaving only a hidden partial
folder behind, which the next export removes. Cancelling is the parent killing this process.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from queries.handoff.export.request import ExportRequest


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


def run(req: ExportRequest) -> dict[str, Any]:
    """Open a session and write the export described by `req`; returns the manifest."""
    from queries.campaigns.parse import load_campaign
    from queries.handoff.export.write import write_request
    from queries.query.session import open_session

    session = open_session(
        req.workspace,
        req.db,
        req.as_of,
        lambda msg: _emit({"phase": "features", "message": msg}),
        engine=req.engine,
    )
    try:
        c = load_campaign(req.campaign, session.catalog, session.ws.root, session.store)
        return write_request(session, c, req, _emit)
    finally:
        session.close()


def main() -> int:
    """Entry point: one request in, events and a result out."""
    line = sys.stdin.readline()
    threading.Thread(target=_watch_parent, daemon=True).start()
    from queries.core.errors import KizunaError
    from queries.handoff.refusals import ExportError

    try:
        _emit({"result": run(ExportRequest.from_json(line))})
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
