"""Find the workspace (kizuna.toml) and read its settings: snapshot path, as-of, schema mapping."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from queries.core.errors import ConfigError
from queries.core.i18n import LANGUAGES, _

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_NAME = "kizuna.toml"
PACKAGE_DATA = Path(__file__).resolve().parent.parent / "data"
DEFAULT_CONFIG = """\
# Kizuna workspace settings (every key: docs/mapping.md).
# currency = "JPY"          # ISO code of money amounts: labels and formats follow it
# lang = "ja"               # the screens' language: "ja" or "en" (default: the locale)
[snapshot]
path = "{db}"
# as_of = "2026-11-20"      # override the snapshot's as-of date (backtesting)
# stale_after_days = 7      # warn when the snapshot is older than this

# Map another schema onto Kizuna's without code changes:
# [tables]
# customers = "crm.customer_master"
# [columns.customers]
# loyalty_tier = "tier_code"
"""


@dataclass
class Workspace:
    """A folder holding kizuna.toml, segments/, campaigns/, templates/ and Kizuna's own state."""

    root: Path
    db_path: Path
    as_of: date | None = None
    stale_after_days: int = 7
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    currency: str = "JPY"  # ISO 4217 code: money labels and formats follow it
    consent: dict[str, str] = field(default_factory=dict)  # channel → "all" or a boolean field
    lang: str | None = None  # "en" or "ja" from kizuna.toml; None follows the locale

    @property
    def segments_dir(self) -> Path:
        return self.root / "segments"

    @property
    def campaigns_dir(self) -> Path:
        return self.root / "campaigns"

    @property
    def state_dir(self) -> Path:
        """Where Kizuna keeps caches, approvals and the ledger."""
        return self.root / ".kizuna"

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"


def find_root(start: Path) -> Path | None:
    """Return the nearest folder at or above `start` that holds kizuna.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def bundled_demo() -> tuple[Path, Path]:
    """The shipped demo snapshot and the folder holding its example segments/campaigns."""
    if (PACKAGE_DATA / "demo.duckdb").is_file():  # a regular (non-editable) install
        return PACKAGE_DATA / "demo.duckdb", PACKAGE_DATA / "workspace"
    repo = Path(__file__).resolve().parent.parent.parent  # an editable install or a checkout
    return repo / "demo.duckdb", repo


def demo_workspace() -> Path:
    """Return a writable copy of the bundled demo workspace (made on first use)."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    base = data_home / "kizuna" / "demo"
    if not (base / CONFIG_NAME).is_file():
        db, examples = bundled_demo()
        base.mkdir(parents=True, exist_ok=True)
        for sub in ("segments", "campaigns", "templates"):
            if (examples / sub).is_dir() and not (base / sub).exists():
                shutil.copytree(examples / sub, base / sub)
        (base / CONFIG_NAME).write_text(DEFAULT_CONFIG.format(db=db.as_posix()), encoding="utf-8")
    return base


def _parse_date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(
            _("{where}: `{value}` is not a date (use YYYY-MM-DD)").format(where=where, value=value)
        ) from None


def load_workspace(
    workspace: Path | None = None, db: Path | None = None, as_of: date | str | None = None
) -> Workspace:
    """Load the workspace from `workspace` (which must hold kizuna.toml), else the nearest
    kizuna.toml above the current folder, else the bundled demo."""
    if workspace is not None:
        root = Path(workspace).resolve()
        if not root.is_dir():
            raise ConfigError(_("workspace folder {root} does not exist").format(root=root))
        if not (root / CONFIG_NAME).is_file():  # never fall back (or write) elsewhere
            raise ConfigError(
                _(
                    "{root} is not a Kizuna workspace (it has no {config_name}); create "
                    "one with `kizuna init {root}`, or pick the folder that holds it"
                ).format(root=root, config_name=CONFIG_NAME)
            )
    else:
        found = find_root(Path.cwd())
        root = found if found is not None else demo_workspace()
    cfg_path = root / CONFIG_NAME
    raw: dict[str, Any] = {}
    if cfg_path.is_file():
        try:
            raw = tomllib.loads(cfg_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{cfg_path}: {exc}") from None
    snap = raw.get("snapshot", {})
    if not isinstance(snap, dict):
        raise ConfigError(_("{cfg_path}: [snapshot] must be a table").format(cfg_path=cfg_path))
    if db is not None:
        db_path = Path(db).resolve()
    elif "path" in snap:
        db_path = (root / str(snap["path"])).resolve()
    elif (root / "demo.duckdb").is_file():
        db_path = root / "demo.duckdb"
    else:
        db_path = bundled_demo()[0]
    ws_as_of = None
    if as_of is not None:
        ws_as_of = _parse_date(as_of, "--as-of")
    elif "as_of" in snap:
        ws_as_of = _parse_date(snap["as_of"], f"{cfg_path} [snapshot].as_of")
    columns = raw.get("columns", {})
    for table, mapping in columns.items():
        if not isinstance(mapping, dict):
            raise ConfigError(
                _("{cfg_path}: [columns.{table}] must be a table of name = column").format(
                    cfg_path=cfg_path, table=table
                )
            )
    return Workspace(
        root=root,
        db_path=db_path,
        as_of=ws_as_of,
        stale_after_days=int(snap.get("stale_after_days", 7)),
        tables=_names(raw.get("tables", {}), cfg_path, "[tables]"),
        columns={str(t): _names(m, cfg_path, f"[columns.{t}]") for t, m in columns.items()},
        fields=dict(raw.get("fields", {})),
        raw=raw,
        currency=_currency(raw.get("currency", "JPY"), cfg_path),
        consent=_consent(raw.get("consent", {}), cfg_path),
        lang=_lang(raw.get("lang"), cfg_path),
    )


def _lang(value: Any, cfg_path: Path) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in LANGUAGES:
        raise ConfigError(
            _('{cfg_path}: lang = {value}: use "ja" or "en"').format(
                cfg_path=cfg_path, value=repr(value)
            )
        )
    return value.strip().lower()


def configured_language(workspace: Path | None = None) -> str | None:
    """`lang` from the workspace's kizuna.toml (read cheaply at start), or None."""
    root = Path(workspace) if workspace is not None else find_root(Path.cwd())
    cfg = root / CONFIG_NAME if root is not None else None
    try:
        raw = tomllib.loads(cfg.read_text(encoding="utf-8")) if cfg else {}
    except (OSError, tomllib.TOMLDecodeError):
        return None  # load_workspace reports it later, in the chosen language
    value = raw.get("lang")
    return value.strip().lower() if isinstance(value, str) else None


ABSENT = ""  # a table or column mapped to `false`: it does not exist in the snapshot


def _names(table: Any, cfg_path: Path, where: str) -> dict[str, str]:
    """name = "physical" entries; `false` declares the table/column absent (stored as "")."""
    if not isinstance(table, dict):
        raise ConfigError(
            _('{cfg_path}: {where} must be a table of name = "physical name"').format(
                cfg_path=cfg_path, where=where
            )
        )
    out: dict[str, str] = {}
    for key, value in table.items():
        if value is False:
            out[str(key)] = ABSENT
        elif isinstance(value, str) and value.strip():
            out[str(key)] = value.strip()
        else:
            from queries.core.toml_lines import key_line

            text = cfg_path.read_text(encoding="utf-8") if cfg_path.is_file() else ""
            line = key_line(text, where.strip("[]"), str(key))
            at = f"{cfg_path}:{line}" if line else str(cfg_path)
            raise ConfigError(
                _(
                    "{at}: {where} {key} = {value}: use a name in quotes, or false when "
                    "the snapshot does not have it"
                ).format(at=at, where=where, key=key, value=repr(value))
            )
    return out


def _currency(value: Any, cfg_path: Path) -> str:
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise ConfigError(
            _('{cfg_path}: currency = {value}: use a 3-letter ISO code like "JPY"').format(
                cfg_path=cfg_path, value=repr(value)
            )
        )
    return value.strip().upper()


def _consent(value: Any, cfg_path: Path) -> dict[str, str]:
    """[consent] email = "all" | "a_boolean_field": where consent comes from per channel."""
    if not isinstance(value, dict):
        raise ConfigError(
            _("{cfg_path}: [consent] must be a table of channel = source").format(cfg_path=cfg_path)
        )
    out: dict[str, str] = {}
    for chan, src in value.items():
        if chan not in ("email", "sms", "line"):
            raise ConfigError(
                _("{cfg_path}: [consent] {chan}: channels are email, sms, line").format(
                    cfg_path=cfg_path, chan=chan
                )
            )
        if not isinstance(src, str) or not src.strip():
            raise ConfigError(
                _(
                    '{cfg_path}: [consent] {chan} = {src}: use "all" (everyone in the '
                    "snapshot consented) or the name of a boolean field"
                ).format(cfg_path=cfg_path, chan=chan, src=repr(src))
            )
        out[str(chan)] = src.strip()
    return out
