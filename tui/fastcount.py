"""`kizuna count SEGMENT --json` from the compiled-SQL cache, before typer, rich or sqlglot load.

Only the plain form is served here (`--workspace`/`-w`, `--db`, `--as-of`, and `--lang` before
the command); anything else, a cache miss or any problem goes to the full CLI, which says
what is wrong and fills the cache for next time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VALUED = {"--workspace": "workspace", "-w": "workspace", "--db": "db", "--as-of": "as_of"}


def parse(argv: list[str]) -> dict[str, str] | None:
    """The options of a plain `count SEGMENT --json`, or None for anything else."""
    args = list(argv)
    while args and args[0] != "count":  # root options before the command: only --lang
        if args[0] == "--lang" and len(args) > 1:
            args = args[2:]
        elif args[0].startswith("--lang="):
            args = args[1:]
        else:
            return None
    if not args:
        return None
    opts: dict[str, str] = {}
    as_json = False
    rest = args[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, eq, value = arg.partition("=")
        if arg == "--json" and not as_json:
            as_json = True
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
    return opts if as_json and "segment" in opts else None


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
