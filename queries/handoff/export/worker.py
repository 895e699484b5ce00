"""The export worker: `python -m queries.handoff.export.worker`, one export in a process of its own.

It reads one JSON request line (`ExportRequest`) on stdin, opens its own session (the only
engine an export opens), loads the campaign, checks it against its approval, a send time
already past and an earlier export, and writes JSON lines on stdout: progress events, then
`{"result": manifest}` or `{"error": {...}, "stage": ...}`; `stage` says whether it was
refused while loading, in the checks, or while writing (the parent audits each as before).
When its parent goes away (stdin closes) it exits at once, leaving only a hidden partial
folder behind, which the next export removes. Cancelling is the parent killing this process.

It imports what an export needs before it reads the request and then says `{"ready": true}`,
so a worker started ahead of time (`queries.handoff.export.spare`) waits warm: the request it
is given later runs without paying Python's imports.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queries.handoff.export.request import ExportRequest, Handoff, Place

if TYPE_CHECKING:
    from queries.campaigns.model import Campaign
    from queries.query.session import Session


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


class Stopped(Exception):
    """An error and the stage it happened in: `load`, `check` or `write`."""

    def __init__(self, stage: str, error: BaseException):
        super().__init__(stage)
        self.stage, self.error = stage, error


def cleared(session: Session, c: Campaign, req: ExportRequest) -> Handoff:
    """The checks the parent once made: unchanged since approval, send time, re-export."""
    from queries.handoff.approval import check_unchanged
    from queries.handoff.checks import check_replace, check_send_time

    check_unchanged(session, c, req.approval)
    past_send = check_send_time(c, req.force)
    return Handoff(past_send, check_replace(session.ws, c, req.replace))


def export(req: ExportRequest, ready: Opened | None = None) -> dict[str, Any]:
    """Open a session (or take the one opened ahead, if it is the same place and nothing it
    read has changed), check and write the export described by `req`; returns the manifest."""
    from queries.campaigns.parse import load_campaign
    from queries.handoff.export.write import write_request

    if req.lang:
        from queries.core.i18n import set_language

        set_language(req.lang)
    stage = "load"
    try:
        ahead = ready.take(req.place) if ready is not None else None
        session = ahead or _open(req.place)
        try:
            c = load_campaign(req.campaign, session.catalog, session.ws.root, session.store)
            stage = "check"
            handoff = cleared(session, c, req)
            stage = "write"
            return write_request(session, c, req, handoff, _emit) | {
                "session_ahead": ahead is not None
            }
        finally:
            session.close()
    except Exception as exc:
        raise Stopped(stage, exc) from exc


def _open(place: Place) -> Session:
    from queries.query.session import open_session

    return open_session(
        Path(place.workspace),
        Path(place.db),
        place.as_of,
        lambda msg: _emit({"phase": "features", "message": msg}),
        engine=place.engine,
    )


def _state(place: Place) -> list[Any] | None:
    """What the session read that can change under it: kizuna.toml's bytes, the snapshot
    file, the as-of date, the language (the compiled-SQL cache's context)."""
    from queries.query.session import workspace_context

    return workspace_context(Path(place.workspace), Path(place.db), place.as_of)


@dataclass
class Opened:
    """A session a spare worker opened before its request (on the TUI's own workspace)."""

    place: Place
    session: Session | None
    state: list[Any] | None

    @classmethod
    def ahead(cls, place: Place) -> Opened:
        """Open it now; a failure is left for the request to meet (and report) again."""
        if place.lang:
            from queries.core.i18n import set_language

            set_language(place.lang)
        state = _state(place)  # (read first: a change while it opens is a change)
        try:
            return cls(place, _open(place), state)
        except Exception:
            return cls(place, None, None)

    def take(self, place: Place) -> Session | None:
        """The session, if the request is for the same place and nothing it read changed."""
        session, self.session = self.session, None
        if session is None:
            return None
        if place == self.place and self.state is not None and _state(place) == self.state:
            return session
        session.close()
        return None


def warm() -> None:
    """Import what every export runs (about a third of a second), before the request comes."""
    import queries.campaigns.parse
    import queries.handoff.approval
    import queries.handoff.checks
    import queries.handoff.export.write
    import queries.query.session  # noqa: F401


def main(argv: list[str]) -> int:
    """Entry point: one request in, events and a result out. `--open PLACE` (a spare's) opens
    that session before the request comes."""
    warm()
    ready = Opened.ahead(Place.from_json(argv[1])) if argv[:1] == ["--open"] else None
    _emit({"ready": True})
    line = sys.stdin.readline()
    if not line.strip():  # a spare whose parent went away (or never asked): nothing to do
        return 0
    threading.Thread(target=_watch_parent, daemon=True).start()
    try:
        _emit({"result": export(ExportRequest.from_json(line), ready)})
        return 0
    except Stopped as stop:
        _emit({"error": _error(stop.error), "stage": stop.stage})
    except Exception as exc:  # report, never hang the parent waiting for a result
        _emit({"error": _error(exc)})
    return 1


def _error(exc: BaseException) -> dict[str, Any]:
    """An error as the parent rebuilds it (`refusals.from_dict`), with the words people read."""
    from queries.core.errors import KizunaError
    from queries.handoff.refusals import ExportError

    if isinstance(exc, ExportError):
        return exc.to_dict()
    if isinstance(exc, KizunaError):
        return {"type": type(exc).__name__, "message": exc.render(), "audit": {}}
    return {"type": "ExportError", "message": f"export failed: {exc!r}", "audit": {}}


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)
