"""The `kizuna` console entry point: Ctrl-C at any moment, even while importing, is one line.

It imports nothing heavy itself, so an interrupt during the CLI's imports is caught here too:
the user sees `interrupted` on stderr and the exit code is 130, never a traceback.
"""

from __future__ import annotations

import os
import signal
import sys

from tui.interrupt import caused_by_interrupt, interrupted, told


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


def _flag(argv: list[str], *names: str) -> str | None:
    """The value of `--name value` or `--name=value` in argv (before the CLI parses it)."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def choose_language(argv: list[str]) -> str:
    """Pick the language before the CLI's help texts are built: --lang, env, kizuna.toml."""
    from pathlib import Path

    from queries.core.i18n import choose, set_language
    from queries.core.workspace import configured_language

    ws = _flag(argv, "--workspace", "-w")
    return set_language(
        choose(_flag(argv, "--lang"), configured_language(Path(ws) if ws else None))
    )


def _start_export_worker(argv: list[str]) -> None:
    """`kizuna export …`: start the writer process now, so its imports overlap the CLI's own
    (the export takes it if nothing changed meanwhile; it is stopped at exit otherwise)."""
    from tui.fastpath import command_of

    cmd = command_of(argv)
    if cmd is not None and cmd[0] == "export" and not {"--help", "-h"} & set(cmd[1]):
        from queries.handoff.export import spare

        spare.prewarm()


def main() -> None:
    """Run the CLI; an interrupt anywhere becomes `interrupted` and exit code 130."""
    try:
        lang = choose_language(sys.argv[1:])
        from tui.fastpath import fast_count, fast_tui

        if fast_count(sys.argv[1:], lang) or fast_tui(sys.argv[1:]):
            return
        _start_export_worker(sys.argv[1:])
        from tui.cli.main import app

        app()
    except KeyboardInterrupt:
        _leave()
    except SystemExit as exc:
        if exc.code == 130:
            _leave()
        raise
    except Exception as exc:
        if caused_by_interrupt(exc):  # Ctrl-C inside an import, wrapped by Python
            _leave()
        raise
