"""The `kizuna` console entry point: Ctrl-C at any moment, even while importing, is one line.

It imports nothing heavy itself, so an interrupt during the CLI's imports is caught here too:
the user sees `interrupted` on stderr and the exit code is 130, never a traceback.
"""

from __future__ import annotations

import os
import signal
import sys

from tui.interrupt import interrupted, told


def _leave() -> None:
    """Exit 130 at once; a second Ctrl-C while leaving changes nothing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not told():
        interrupted()
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    os._exit(130)


def main() -> None:
    """Run the CLI; an interrupt anywhere becomes `interrupted` and exit code 130."""
    try:
        from tui.cli.main import app

        app()
    except KeyboardInterrupt:
        _leave()
    except SystemExit as exc:
        if exc.code == 130:
            _leave()
        raise
