"""The campaign being edited: form values and template sources, validated by the engine's parser.

The editor never validates on its own: `build` writes the draft as campaign YAML (templates
from files inlined, so unsaved edits count) and hands it to `campaign_from_text`, so every
error is the engine's, naming the field and, for templates, the line and column.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from queries.campaigns.channels import parts_for
from queries.campaigns.model import KEYS, Campaign
from queries.campaigns.parse import campaign_from_text, load_campaign
from queries.campaigns.personalize import TemplateError
from queries.core.catalog import Catalog
from queries.core.errors import KizunaError, SegmentError
from queries.core.i18n import _
from queries.core.yamlio import Flow, dump_yaml
from queries.segments.model import Node, node_to_dict, slugify

STARTER_SUBJECT = "{{ family_name | default: 'お客' }}様へのお知らせ"
STARTER_BODY = (
    "{{ family_name | default: 'お客' }}様\n\nいつもご利用いただき、ありがとうございます。"
)
STARTER_TEXT = "{{ family_name | default: 'お客' }}様 いつもありがとうございます。"


@dataclass
class VariantDraft:
    """One variant as typed: weight as text, each part's source, and its template file if any."""

    name: str
    weight: str = ""
    subject: str = ""
    body: str = ""
    text: str = ""
    body_file: str | None = None
    text_file: str | None = None

    def source(self, part: str) -> str:
        return str(getattr(self, part))

    def file_for(self, part: str) -> str | None:
        return getattr(self, f"{part}_file", None)


@dataclass
class CampaignDraft:
    """A campaign file's editable state, its last saved state, and how to save it."""

    base: Campaign
    path: Path
    root: Path
    segment: str | None
    channel: str
    destination: str
    send_at: str
    holdout: str
    variants: list[VariantDraft]
    coupon: dict[str, Any] | None = None  # as in the file: {prefix, length} or {pool_file}
    exclude: list[Node] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)  # the keys the file states
    quiet_hours: list[str] | None = None
    drift_limit: str = ""  # "" → the default (20%)
    saved_yaml: str = ""
    saved_files: dict[str, str] = field(default_factory=dict)

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, catalog: Catalog, root: Path, store: Any) -> CampaignDraft:
        """Read and validate a campaign file and the template files it uses."""
        return cls.from_campaign(load_campaign(path, catalog, root, store), path, root)

    @classmethod
    def from_campaign(cls, c: Campaign, path: Path, root: Path) -> CampaignDraft:
        variants = []
        for v in c.variants:
            vd = VariantDraft(
                v.name,
                _num_text(v.weight),
                v.subject or "",
                v.body or "",
                v.text or "",
                v.body_file,
                v.text_file,
            )
            for part in ("body", "text"):
                file = vd.file_for(part)
                if file:
                    setattr(vd, part, read_template(root / file))
            variants.append(vd)
        doc = c.to_dict()
        coupon = doc["what"].get("coupon")
        draft = cls(
            base=c,
            path=Path(path),
            root=Path(root),
            segment=c.who.segment,
            channel=c.how.channel,
            destination=c.how.destination,
            send_at=c.when.send_at.isoformat() if c.when.send_at else "",
            holdout=_num_text(c.holdout.percent),
            variants=variants,
            coupon=dict(coupon) if coupon else None,
            exclude=list(c.who.exclude),
            policy=dict(doc.get("policy") or {}),
            quiet_hours=list(c.when.quiet_hours) if c.when.quiet_hours else None,
            drift_limit=str(doc.get("drift_limit") or ""),
        )
        draft.mark_saved()
        return draft

    def mark_saved(self) -> None:
        self.saved_yaml = self.yaml()
        self.saved_files = self.file_sources()

    # -- state -----------------------------------------------------------------------------
    @property
    def parts(self) -> tuple[str, ...]:
        return parts_for(self.channel)

    @property
    def dirty(self) -> bool:
        return self.yaml() != self.saved_yaml or self.file_sources() != self.saved_files

    def variant(self, name: str) -> VariantDraft:
        return next(v for v in self.variants if v.name == name)

    def file_sources(self) -> dict[str, str]:
        """Template file (workspace-relative) → the text it will hold, for the current channel."""
        out: dict[str, str] = {}
        for v in self.variants:
            for part in self.parts:
                file = v.file_for(part)
                if file:
                    out[file] = v.source(part)
        return out

    # -- as a document ---------------------------------------------------------------------
    def document(self, inline_files: bool = False) -> dict[str, Any]:
        """The campaign as a YAML mapping; `inline_files` puts unsaved template text inline."""
        d = self.base.to_dict()
        written = list(d)
        who: dict[str, Any] = (
            {"segment": self.segment} if self.segment else {"where": d["who"]["where"]}
        )
        if self.exclude:
            who["exclude"] = [node_to_dict(n) for n in self.exclude]
        d["who"] = who
        how = dict(d.get("how") or {})
        how["channel"], how["destination"] = self.channel, self.destination
        if self.channel != "sms":
            how.pop("max_segments", None)
        d["how"] = how
        when = dict(d.get("when") or {})
        if self.send_at.strip():
            when["send_at"] = _datetime_or_text(self.send_at.strip())
        else:
            when.pop("send_at", None)
        if self.quiet_hours:
            when["quiet_hours"] = list(self.quiet_hours)
        else:
            when.pop("quiet_hours", None)
        if when:
            d["when"] = when
        else:
            d.pop("when", None)
        d["what"] = dict(d["what"])
        d["what"]["variants"] = [self._variant_doc(v, inline_files) for v in self.variants]
        d["what"].pop("coupon", None)
        if self.coupon:
            d["what"]["coupon"] = Flow(self.coupon)
        d.pop("policy", None)
        if self.policy:
            d["policy"] = dict(self.policy)
        holdout = dict(d.get("holdout") or {})
        pct = _number_or_text(self.holdout) if self.holdout.strip() else 0
        if pct or holdout:
            holdout["percent"] = pct
            d["holdout"] = holdout
        d.pop("drift_limit", None)
        if self.drift_limit.strip():
            d["drift_limit"] = self.drift_limit.strip()
        return in_file_order(d, written)

    def _variant_doc(self, v: VariantDraft, inline_files: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"name": v.name}
        if v.weight.strip():
            out["weight"] = _number_or_text(v.weight)
        for part in self.parts:
            file = v.file_for(part)
            if file and not inline_files:
                out[f"{part}_file"] = file
            else:
                out[part] = v.source(part)
        return out

    def yaml(self, inline_files: bool = False) -> str:
        return dump_yaml(self.document(inline_files))

    def build(self, catalog: Catalog, store: Any, yaml_text: str | None = None) -> Campaign:
        """Validate the draft with the engine and compile its templates (unsaved text included)."""
        text = self.yaml(inline_files=True) if yaml_text is None else yaml_text
        c = campaign_from_text(text, catalog, str(self.path), self.root, store)
        c.path = self.path
        return c

    # -- saving ----------------------------------------------------------------------------
    def save(self, catalog: Catalog, store: Any) -> list[Path]:
        """Write changed template files, then the campaign YAML if it changed; the paths written."""
        self.build(catalog, store)  # refuse to write anything invalid
        written: list[Path] = []
        for file, text in self.file_sources().items():
            if self.saved_files.get(file) != text or not (self.root / file).is_file():
                target = (self.root / file).resolve()
                if not target.is_relative_to(self.root.resolve()):
                    raise KizunaError(_("`{file}` is outside the workspace").format(file=file))
                write_atomic(target, text + "\n")
                written.append(target)
        text = self.yaml()
        if text != self.saved_yaml or not self.path.is_file():
            c = campaign_from_text(text, catalog, str(self.path), self.root, store)
            written.append(c.save(self.path))
            self.base = c
        self.mark_saved()
        return written


def in_file_order(d: dict[str, Any], written: list[str]) -> dict[str, Any]:
    """Keys the file had keep their order; a new section goes where the format lists it."""
    keys = [k for k in written if k in d]
    for k in (k for k in d if k not in written):
        rank = KEYS[()].index(k)
        at = next((i for i, x in enumerate(keys) if KEYS[()].index(x) > rank), len(keys))
        keys.insert(at, k)
    return {k: d[k] for k in keys}


def read_template(path: Path) -> str:
    """A template file's text as the engine reads it (its last newline dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    return text[:-1] if text.endswith("\n") else text


def write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def starter_campaign(
    name: str, segment: str, folder: Path, root: Path, catalog: Catalog, store: Any
) -> Path:
    """Write a new email campaign for a saved segment (a starter message to edit); its path."""
    stem = slugify(name)
    if stem == "segment" and "segment" not in name.lower():  # no ascii in the name (Japanese)
        stem = f"{segment}_campaign"
    path, i = folder / f"{stem}.yaml", 2
    while path.exists():
        path, i = folder / f"{stem}_{i}.yaml", i + 1
    doc = {
        "name": name,
        "who": {"segment": segment},
        "how": {"channel": "email", "destination": "generic_csv"},
        "what": {"variants": [{"name": "A", "subject": STARTER_SUBJECT, "body": STARTER_BODY}]},
        "holdout": {"percent": 10},
    }
    c = campaign_from_text(dump_yaml(doc), catalog, str(path), root, store)
    return c.save(path)


def switch_channel(draft: CampaignDraft, channel: str) -> None:
    """Change the channel, seeding an empty text from the subject when going to sms/line."""
    draft.channel = channel
    for v in draft.variants:
        if channel != "email" and not v.text and not v.text_file:
            v.text = v.subject or STARTER_TEXT
        if channel == "email" and not v.subject:
            v.subject = STARTER_SUBJECT
        if channel == "email" and not v.body and not v.body_file:
            v.body = v.text or STARTER_BODY


def problem(err: KizunaError) -> tuple[str | None, str]:
    """The field a validation error is about (dotted) and a short text for people."""
    if isinstance(err, SegmentError):
        where = err.loc.field
        text = err.message + (f" ({err.hint})" if err.hint else "")
        if isinstance(err, TemplateError) and where:
            return where, f"{where.rsplit('.', 1)[-1].removesuffix('_file')}: {text}"
        return where, f"{where}: {text}" if where else text
    return None, err.render()


def part_of(where: str | None) -> tuple[int, str] | None:
    """`what.variants[1].body` → (1, "body")."""
    if not where or not where.startswith("what.variants["):
        return None
    idx, _, rest = where.removeprefix("what.variants[").partition("]")
    part = rest.lstrip(".").removesuffix("_file")
    return (int(idx), part) if idx.isdigit() and part else None


def _num_text(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _number_or_text(text: str) -> Any:
    s = text.strip().rstrip("%").strip()
    for kind in (int, float):
        try:
            return kind(s)
        except ValueError:
            pass
    return text


def _datetime_or_text(text: str) -> Any:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


__all__ = ["CampaignDraft", "VariantDraft", "part_of", "problem", "starter_campaign"]
