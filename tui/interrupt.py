"""Say `interrupted` once on Ctrl-C, whether the CLI's handler or the entry point sees it first."""

from __future__ import annotations

import sys

_told = False  # `interrupted` was already printed (by the CLI's own handler)


def interrupted() -> None:
    """Say `interrupted` on stderr (the CLI's handler calls this; the entry point stays quiet)."""
    global _told
    _told = True
    try:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def told() -> bool:
    """Whether `interrupted` was already said."""
    return _told


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether Ctrl-C is behind this error: Python wraps a KeyboardInterrupt raised while a
    class is being built (`__set_name__`, during an import) in a RuntimeError."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False
