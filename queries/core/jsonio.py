"""Reading Kizuna's own JSON records (approvals, manifests) with errors that say where."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_json(text: str, source: str | Path, error: Callable[[str], Exception]) -> Any:
    """The parsed text; bad JSON raises `error` naming the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
