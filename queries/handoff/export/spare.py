"""A spare export worker, started ahead of time so pressing export does not wait for imports.

The export worker (`queries.handoff.export.worker`) imports what it needs (and, told where,
opens the session) before it reads its request, then waits on stdin. The TUI starts one when
the export screen opens (`run.prewarm`), while the marketer reads the confirmation; `take`
hands it to the next export, which sends the request and follows it as if it had just
started. A spare started in another directory or environment is not used (the request's
paths and the worker's settings come from them); it is stopped instead. The worker itself
uses the session it opened only for a request of the same place, with kizuna.toml and the
snapshot file unchanged. A spare whose parent goes away sees its stdin close and exits.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # (light to import: `kizuna export` starts a spare before the CLI loads)
    from queries.handoff.export.request import Place

COMMAND = [sys.executable, "-m", "queries.handoff.export.worker"]
READY = b'{"ready": true}\n'  # the worker's line once it waits for its request


@dataclass
class Started:
    """A worker process and where it was started from."""

    proc: subprocess.Popen
    errlog: IO[bytes]
    cwd: str
    env: dict[str, str]
    place: Place | None = None  # the session it opened ahead (the request may ask another)

    def fits(self) -> bool:
        """Alive, and started from the directory and environment an export would use now."""
        return self.proc.poll() is None and self.cwd == os.getcwd() and self.env == dict(os.environ)


_lock = threading.Lock()
_spare: Started | None = None


def start(place: Place | None = None) -> Started:
    """Start a worker (its stderr kept in a temporary file for the parent to quote when it
    fails); it imports, opens `place`'s session if given, says it is ready, then waits."""
    errlog = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the worker: `_stop`, relay)
    proc = subprocess.Popen(
        COMMAND + (["--open", place.to_json()] if place is not None else []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errlog,
        start_new_session=True,  # Ctrl-C reaches the parent, not the worker: it decides
    )
    return Started(proc, errlog, os.getcwd(), dict(os.environ), place)


def prewarm(wait: bool = False, timeout: float = 30.0, place: Place | None = None) -> None:
    """Have a spare worker waiting (start one unless one fits), with `place`'s session open
    if given; `wait` until it is ready."""
    global _spare
    with _lock:
        if _spare is not None and not (_spare.fits() and _spare.place == place):
            _stop(_spare)
            _spare = None
        if _spare is None:
            _spare = start(place)
        spare = _spare
    if wait:
        _wait_ready(spare, timeout)


def take() -> Started | None:
    """The spare worker, if one fits (it is the caller's from now on); else None."""
    global _spare
    with _lock:
        spare, _spare = _spare, None
    if spare is not None and not spare.fits():
        _stop(spare)
        return None
    return spare


def discard() -> None:
    """Stop the spare worker, if any (the export screen closed without exporting)."""
    global _spare
    with _lock:
        spare, _spare = _spare, None
    if spare is not None:
        _stop(spare)


def _wait_ready(spare: Started, timeout: float) -> None:
    """Read the worker's output up to its ready line (before it, at most the session's
    notices, which nobody follows yet); nothing else comes before a request."""
    import selectors

    assert spare.proc.stdout is not None
    fd = spare.proc.stdout.fileno()
    line = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while line != READY and time.monotonic() < deadline:
            if line.endswith(b"\n"):
                line = b""
            if sel.select(timeout=0.1):
                chunk = os.read(fd, 1)  # byte by byte: never read past the ready line
                if not chunk:
                    return
                line += chunk
            elif spare.proc.poll() is not None:
                return


def _stop(spare: Started) -> None:
    """End a spare at once: it has done nothing but import, so killing it loses nothing."""
    proc: Any = spare.proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()
    spare.errlog.close()


atexit.register(discard)
