"""The two commands people wait for, before typer and rich load (tui.entry tries these first).

- `kizuna count SEGMENT --json` from the compiled-SQL cache: no sqlglot either;
- `kizuna tui` (and a bare `kizuna` in a terminal): straight to the Textual app.

Only the plain forms are served here (`--workspace`/`-w`, `--db`, `--as-of`, and `--lang`
before the command); anything else, a cache miss or any problem goes to the full CLI, which
says what is wrong (and fills the cache for next time).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VALUED = {"--workspace": "workspace", "-w": "workspace", "--db": "db", "--as-of": "as_of"}


def command_of(argv: list[str]) -> tuple[str | None, list[str]] | None:
    """The command and its arguments, past the root options (only --lang); None otherwise."""
    args = list(argv)
    while args and args[0].startswith("-"):
        if args[0] == "--lang" and len(args) > 1:
            args = args[2:]
        elif args[0].startswith("--lang="):
            args = args[1:]
        else:
            return None
    return (args[0], args[1:]) if args else (None, [])


def _options(rest: list[str], flags: tuple[str, ...]) -> dict[str, str] | None:
    """--workspace/-w, --db, --as-of (once each), the given flags and at most one argument."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, eq, value = arg.partition("=")
        if arg in flags and arg not in opts:
            opts[arg] = ""
            i += 1
        elif name in VALUED and ((eq and name != "-w") or (not eq and i + 1 < len(rest))):
            if not eq:
                value = rest[i + 1]
            i += 1 if eq else 2
            key = VALUED[name]
            if key in opts or not value or value.startswith("-"):
                return None
            opts[key] = value
        elif arg.startswith("-") or "segment" in opts:
            return None
        else:
            opts["segment"] = arg
            i += 1
    return opts


def parse(argv: list[str]) -> dict[str, str] | None:
    """The options of a plain `count SEGMENT --json`, or None for anything else."""
    cmd = command_of(argv)
    if cmd is None or cmd[0] != "count":
        return None
    opts = _options(cmd[1], ("--json",))
    if opts is None or "--json" not in opts or "segment" not in opts:
        return None
    del opts["--json"]
    return opts


def parse_tui(argv: list[str]) -> dict[str, str] | None:
    """The options of a plain `kizuna tui` (or bare `kizuna`), or None for anything else."""
    cmd = command_of(argv)
    if cmd is None:
        return None
    if cmd[0] is None:
        return {}
    opts = _options(cmd[1], ()) if cmd[0] == "tui" else None
    return opts if opts is not None and "segment" not in opts else None


def fast_count(argv: list[str], lang: str) -> bool:
    """Print the count from the cache and return True, or False to take the full path."""
    opts = parse(argv)
    if opts is None:
        return False
    try:
        from queries.core.workspace import find_root
        from queries.query.fastcount import cached_count

        ws, db = opts.get("workspace"), opts.get("db")
        if ws is None and find_root(Path.cwd()) is None:
            return False  # the bundled demo: the full path says so on stderr
        data = cached_count(
            Path(ws) if ws else None,
            Path(db) if db else None,
            opts.get("as_of"),
            opts["segment"],
            lang,
        )
    except Exception:  # the full path reports any problem properly
        return False
    if data is None:
        return False
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    return True


def fast_tui(argv: list[str]) -> bool:
    """Open the TUI as `kizuna tui` would and return True, or False to take the full path."""
    opts = parse_tui(argv)
    if opts is None or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False  # not a terminal: the full path explains
    ws, db = opts.get("workspace"), opts.get("db")
    workspace, snapshot = Path(ws) if ws else None, Path(db) if db else None
    from queries.core.errors import KizunaError

    if workspace is not None:  # a folder that is no workspace: the full path says so
        from queries.core.workspace import load_workspace

        try:
            load_workspace(workspace, snapshot, opts.get("as_of"))
        except KizunaError:
            return False
    from tui.launch import launch

    try:
        launch(workspace, snapshot, opts.get("as_of"))
    except KizunaError as exc:
        from tui.cli.main import err, error_line

        err.print(error_line(exc.render()), soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    return True
