"""Read a campaign's export back: who was in which arm, with which coupon, sent on which day.

The export folder (`exports/<campaign>/<id>/`) is the record of what was handed off: the
audience file names each recipient's variant and coupon, `holdout.<ext>` the control group,
`campaign.json` the send day and the configured shares. Measuring reads exactly that, never
the campaign file as it is now (it may have changed since).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.presets import PRESETS, holdout_header
from queries.core.errors import KizunaError


class MeasureError(KizunaError):
    """The campaign cannot be measured (never exported, unreadable export, no window yet)."""


@dataclass(frozen=True)
class Member:
    """One person of the export: id, arm (a variant or `holdout`) and coupon code."""

    customer_id: str
    arm: str
    coupon: str | None = None


@dataclass(frozen=True)
class ExportRecord:
    """What one export handed off, read back from its folder."""

    campaign: str
    export_id: str
    folder: Path
    send_day: date
    as_of: date
    shares: dict[str, float]  # configured arm shares in percent (holdout and variants)
    variants: list[str]
    coupon_value: float | None
    members: list[Member]


def exports_of(root: Path, stem: str) -> list[Path]:
    """The campaign's finished export folders, oldest first (hidden partial folders skipped)."""
    d = root / stem
    if not d.is_dir():
        return []
    return sorted(
        (p for p in d.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


def find_export(root: Path, stem: str, folder: Path | None = None) -> Path:
    """`--export DIR` when given, else the campaign's latest export; a clear error when none."""
    if folder is not None:
        folder = Path(folder)
        if not (folder / "manifest.json").is_file():
            raise MeasureError(
                f"{folder} is not an export folder (it has no manifest.json); pass a folder "
                f"like exports/{stem}/20261128T010000Z"
            )
        return folder.resolve()
    found = exports_of(root, stem)
    if not found:
        raise MeasureError(
            f"campaign `{stem}` has never been exported (no export folder in {root / stem}); "
            f"there is no holdout to measure against. Export it first: kizuna export {stem}"
        )
    return found[-1].resolve()


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MeasureError(f"cannot read {path}: {exc}") from None


def _rows(path: Path, fmt: str, encoding: str) -> list[dict[str, Any]]:
    """The rows of one export data file as dicts keyed by header."""
    try:
        if fmt in ("csv", "tsv"):
            text = path.read_bytes().decode(encoding)
            delim = "\t" if fmt == "tsv" else ","
            return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delim))
        if fmt == "jsonl":
            return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        if fmt == "parquet":
            import duckdb

            con = duckdb.connect(":memory:")
            try:
                cur = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
                names = [d[0] for d in cur.description]
                return [dict(zip(names, r)) for r in cur.fetchall()]
            finally:
                con.close()
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise MeasureError(f"cannot read {path}: {exc}") from None
    raise MeasureError(f"{path}: this export format ({fmt}) carries no customer ids to measure")


def _header(preset_columns: tuple, source: str) -> str | None:
    for spec in preset_columns:
        if spec[1] == source:
            return str(spec[0])
    return None


def _text(v: object) -> str | None:
    if v is None:
        return None
    s = str(v)
    if s.startswith("'") and len(s) > 1 and s[1] in "=+-@":
        s = s[1:]  # a formula-guarded cell (Excel presets)
    return s or None


def read_export(folder: Path) -> ExportRecord:
    """Read an export folder: the arms and coupons of everyone in it, and the send day."""
    manifest = _json(folder / "manifest.json")
    spec = _json(folder / "campaign.json")
    resolved = spec.get("resolved", {})
    preset = PRESETS.get(str(manifest.get("preset")))
    if preset is None:
        raise MeasureError(f"{folder}: unknown export preset `{manifest.get('preset')}`")
    id_head = _header(preset.columns, "customer_id")
    if id_head is None:
        raise MeasureError(
            f"{folder}: the `{preset.name}` preset writes no customer ids in the audience file, "
            "so its recipients cannot be matched to orders; measure an export made with a "
            "preset that carries customer ids (generic_csv, braze, sfmc, excel_ja, parquet, "
            "jsonl)"
        )
    var_head = _header(preset.columns, "variant")
    coupon_head = _header(preset.columns, "coupon")
    encoding = str(manifest.get("encoding") or "utf-8")
    variants = [v["name"] for v in spec.get("campaign", {}).get("what", {}).get("variants", [])]
    members: list[Member] = []
    files = [str(f["name"]) for f in manifest.get("files", [])]
    for name in files:
        if not name.startswith("audience"):
            continue
        for row in _rows(folder / name, preset.format, encoding):
            cid = _text(row.get(id_head))
            if cid is None:
                continue
            arm = _text(row.get(var_head)) if var_head else None
            members.append(
                Member(
                    cid,
                    arm or (variants[0] if variants else "treated"),
                    _text(row.get(coupon_head)) if coupon_head else None,
                )
            )
    hold_head = holdout_header(preset)
    for name in files:
        if name.startswith("holdout"):
            for row in _rows(folder / name, preset.format, encoding):
                cid = _text(row.get(hold_head))
                if cid is not None:
                    members.append(Member(cid, HOLDOUT))
    try:
        send_day = date.fromisoformat(str(resolved["send_date"]))
        as_of = date.fromisoformat(str(spec.get("as_of") or manifest["as_of"]))
    except (KeyError, ValueError):
        raise MeasureError(f"{folder}/campaign.json: no send date or as-of") from None
    coupon = spec.get("campaign", {}).get("what", {}).get("coupon") or {}
    value = coupon.get("value") if isinstance(coupon, dict) else None
    return ExportRecord(
        campaign=str(manifest.get("campaign") or spec.get("stem")),
        export_id=str(manifest.get("export_id") or folder.name),
        folder=folder,
        send_day=send_day,
        as_of=as_of,
        shares={str(k): float(v) for k, v in (resolved.get("arms") or {}).items()},
        variants=variants,
        coupon_value=float(value) if isinstance(value, (int, float)) else None,
        members=members,
    )
