"""Point at the line of a kizuna.toml key, so mapping errors are located like segment errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from queries.core.errors import ConfigError

_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")


@dataclass(frozen=True)
class Problem:
    """A mapping error (or note) located in kizuna.toml: section and key."""

    message: str
    section: str  # e.g. "tables" or "columns.orders"
    key: str | None = None
    hint: str | None = None


def _bare(key: str) -> str:
    return key.strip().strip('"').strip("'")


def key_line(text: str, section: str, key: str | None) -> int | None:
    """1-based line of `key` in `[section]` (or of the header when key is None)."""
    current = None
    header_line = None
    for n, line in enumerate(text.splitlines(), 1):
        m = _HEADER.match(line)
        if m:
            current = ".".join(_bare(p) for p in m.group(1).split("."))
            if current == section:
                header_line = n
            continue
        if (
            current == section
            and key is not None
            and "=" in line
            and _bare(line.split("=", 1)[0]) == key
        ):
            return n
    return header_line


def located(cfg: Path, problem: Problem) -> str:
    """`kizuna.toml:12: [tables] orders: message (hint)`."""
    text = cfg.read_text(encoding="utf-8") if cfg.is_file() else ""
    line = key_line(text, problem.section, problem.key)
    where = f"{cfg}:{line}" if line else str(cfg)
    key = f"[{problem.section}]" + (f" {problem.key}" if problem.key else "")
    msg = f"{where}: {key}: {problem.message}"
    return msg + (f" ({problem.hint})" if problem.hint else "")


def mapping_error(cfg: Path, problems: list[Problem]) -> ConfigError:
    """One ConfigError listing every located mapping problem."""
    return ConfigError("\n".join(located(cfg, p) for p in problems))
