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
