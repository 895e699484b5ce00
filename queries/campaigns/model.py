"""The campaign model (3W1H): load and validate campaigns/*.yaml, and save them back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from queries.campaigns.assignment import Plan
from queries.campaigns.channels import parts_for
from queries.campaigns.personalize import MessageTemplate
from queries.core import yamlio
from queries.core.errors import SegmentError, suggest
from queries.core.yamlio import Flow, dump_yaml, write_atomic
from queries.segments.model import Node, SegmentRef, node_to_dict, slugify

CHANNELS = ("email", "sms", "line")
# export preset → the channels it serves (None: any) and its text encoding
DESTINATIONS: dict[str, tuple[tuple[str, ...] | None, str]] = {
    "generic_csv": (None, "utf-8"),
    "braze": (None, "utf-8"),
    "mailchimp": (("email",), "utf-8"),
    "sendgrid": (("email",), "utf-8"),
    "klaviyo": (("email", "sms"), "utf-8"),
    "sfmc": (None, "utf-8"),
    "line_audience": (("line",), "utf-8"),
    "excel_ja": (None, "cp932"),
    "parquet": (None, "utf-8"),
    "jsonl": (None, "utf-8"),
}
ENCODINGS = ("utf-8", "cp932")
ADDRESS = {"email": "email", "sms": "phone", "line": "line_user_id"}
DEDUPE = ("email", "phone", "line_user_id", "customer_id", "none")
KEYS = {
    (): ("name", "description", "who", "how", "when", "what", "policy", "holdout", "drift_limit"),
    ("who",): ("segment", "where", "exclude"),
    ("how",): ("channel", "destination", "max_segments", "encoding", "include_messages"),
    ("when",): ("send_at", "quiet_hours"),
    ("what",): ("variants", "coupon"),
    ("variant",): ("name", "weight", "subject", "body", "body_file", "text", "text_file"),
    ("what", "coupon"): ("prefix", "length", "pool_file", "value"),
    ("policy",): ("require_consent", "suppression", "max_contacts", "dedupe_by"),
    ("policy", "max_contacts"): ("count", "within", "channels"),
    ("holdout",): ("percent", "salt"),
}


@dataclass(frozen=True)
class Who:
    """Who: a saved segment or an inline `where`, minus `exclude` conditions."""

    segment: str | None = None
    where: Node | None = None
    exclude: tuple[Node, ...] = ()

    @property
    def base(self) -> Node:
        """The audience before exclusions: the saved segment, else the inline `where`."""
        if self.segment:
            return SegmentRef(self.segment)
        assert self.where is not None  # the parser requires exactly one of the two
        return self.where


@dataclass(frozen=True)
class How:
    """How: the channel and the export preset (plus SMS segments allowed, export encoding)."""

    channel: str = "email"
    destination: str = "generic_csv"
    max_segments: int | None = None
    encoding: str | None = None
    include_messages: bool | None = None  # put the rendered texts in an attributes-only preset


@dataclass(frozen=True)
class When:
    """When: the send time (with its UTC offset) and the quiet hours in that local time."""

    send_at: datetime | None = None
    quiet_hours: tuple[str, str] | None = None


@dataclass(frozen=True)
class Variant:
    """One message variant: a weight and its templates (inline or a file in the workspace)."""

    name: str
    weight: float | None = None  # None: 1, an equal share
    subject: str | None = None
    body: str | None = None
    body_file: str | None = None
    text: str | None = None
    text_file: str | None = None


@dataclass(frozen=True)
class Coupon:
    """A derived code per recipient (`prefix` + `length` symbols) or codes from a pool CSV."""

    prefix: str = ""
    length: int = 8
    pool_file: str | None = None
    value: float | None = None  # what one redeemed coupon costs (measure: coupon cost and net)


@dataclass(frozen=True)
class MaxContacts:
    """Frequency cap: fewer than `count` contacts within the window (on `channels`, or any)."""

    count: int = 3
    within: str = "7d"
    channels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Policy:
    """Contact policy; every safeguard is on unless the file turns it off."""

    require_consent: bool = True
    suppression: bool = True
    max_contacts: MaxContacts | None = MaxContacts()
    dedupe_by: str | None = None  # None: the channel's address (email, phone, line_user_id)

    def dedupe_field(self, channel: str) -> str | None:
        key = self.dedupe_by or ADDRESS[channel]
        return None if key == "none" else key


@dataclass(frozen=True)
class Holdout:
    """The control group: `percent` of the audience (by the md5 rule with `salt`) gets nothing."""

    percent: float = 0
    salt: str | None = None


@dataclass
class Campaign:
    """A validated campaign file with its templates compiled."""

    name: str
    who: Who
    how: How
    variants: tuple[Variant, ...]
    description: str = ""
    when: When = When()
    coupon: Coupon | None = None
    policy: Policy = Policy()
    holdout: Holdout = Holdout()
    drift_limit: float = 20.0
    path: Path | None = field(default=None, compare=False)
    layout: dict = field(default_factory=dict, compare=False, repr=False)
    templates: dict[tuple[str, str], MessageTemplate] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def stem(self) -> str:
        return self.path.stem if self.path else slugify(self.name)

    @property
    def salt(self) -> str:
        """Assignment salt: `holdout.salt`, else the campaign's file stem."""
        return self.holdout.salt or self.stem

    @property
    def parts(self) -> tuple[str, ...]:
        return parts_for(self.how.channel)

    @property
    def encoding(self) -> str:
        return self.how.encoding or DESTINATIONS[self.how.destination][1]

    def plan(self) -> Plan:
        return Plan.build(
            self.salt, self.holdout.percent, [(v.name, v.weight or 1) for v in self.variants]
        )

    def send_date(self, as_of: date) -> date:
        """The day the message goes out (local to send_at), else the snapshot's as-of day."""
        return self.when.send_at.date() if self.when.send_at else as_of

    def template_fields(self) -> list[str]:
        """Every variable the templates read, customer fields and campaign fields alike."""
        return sorted({f for t in self.templates.values() for f in t.fields})

    # -- saving ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.description:
            d["description"] = self.description
        who: dict[str, Any] = {}
        if self.who.segment:
            who["segment"] = self.who.segment
        else:
            who["where"] = node_to_dict(self.who.base)
        if self.who.exclude:
            who["exclude"] = [node_to_dict(n) for n in self.who.exclude]
        d["who"] = who
        how = _drop_none(vars(self.how))
        written = self.layout.get("how") or {}
        if how["destination"] == How().destination and "destination" not in written:
            del how["destination"]
        d["how"] = how
        when = _drop_none({"send_at": self.when.send_at, "quiet_hours": self.when.quiet_hours})
        if when or "when" in self.layout:
            d["when"] = {k: list(v) if isinstance(v, tuple) else v for k, v in when.items()}
        what: dict[str, Any] = {"variants": [_variant_dict(v) for v in self.variants]}
        if self.coupon:
            c = self.coupon
            coupon_d: dict[str, Any] = (
                {"pool_file": c.pool_file}
                if c.pool_file
                else {"prefix": c.prefix, "length": c.length}
            )
            if c.value is not None:
                coupon_d["value"] = _num(c.value)
            what["coupon"] = Flow(coupon_d)
        d["what"] = what
        if self.policy != Policy() or "policy" in self.layout:
            d["policy"] = _policy_dict(self.policy, self.layout.get("policy") or {})
        if self.holdout != Holdout() or "holdout" in self.layout:
            d["holdout"] = Flow(
                _drop_none({"percent": _num(self.holdout.percent), "salt": self.holdout.salt})
            )
        if self.drift_limit != 20.0 or "drift_limit" in self.layout:
            d["drift_limit"] = f"{self.drift_limit:g}%"
        return _arrange(d, self.layout)

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict())

    def save(self, path: Path | None = None) -> Path:
        """Write the campaign as YAML (atomically), keeping the key order it was loaded with."""
        target = Path(path or self.path or f"{self.stem}.yaml")
        write_atomic(target, self.to_yaml())
        self.path = target
        return target


class Block(str):
    """Multi-line text dumped as a YAML literal block (`|`)."""


yaml.add_representer(
    Block,
    lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", str(s), style="|"),
    Dumper=yamlio._Dumper,
)


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _text(s: object) -> object:
    return Block(s) if isinstance(s, str) and "\n" in s else s


def _variant_dict(v: Variant) -> dict[str, Any]:
    d = _drop_none({k: _text(getattr(v, k)) for k in KEYS[("variant",)]})
    if v.weight is not None:
        d["weight"] = _num(v.weight)
    d = {k: d[k] for k in KEYS[("variant",)] if k in d}
    short = all(not isinstance(x, Block) for x in d.values()) and len(str(d)) <= 160
    return Flow(d) if short else d


def _policy_dict(p: Policy, had: dict) -> dict[str, Any]:
    """The policy keys the author wrote, plus any that differ from the defaults."""
    mc = p.max_contacts
    cap: Any = "none"
    if mc is not None:
        chans = list(mc.channels) if mc.channels else None
        cap = Flow(_drop_none({"count": mc.count, "within": mc.within, "channels": chans}))
    full = {
        "require_consent": p.require_consent,
        "suppression": p.suppression,
        "max_contacts": cap,
        "dedupe_by": p.dedupe_by,
    }
    default = Policy()
    return {
        k: v
        for k, v in full.items()
        if v is not None and (k in had or getattr(p, k) != getattr(default, k))
    }


def layout_of(data: Any) -> dict:
    """The key order of a loaded document, nested (used to save keys where they were)."""
    if not isinstance(data, dict):
        return {}
    return {k: layout_of(v) for k, v in data.items()}


def _arrange(d: Any, layout: dict) -> Any:
    if not isinstance(d, dict) or not layout:
        return d
    keys = [k for k in layout if k in d] + [k for k in d if k not in layout]
    out = {k: _arrange(d[k], layout.get(k) or {}) for k in keys}
    return Flow(out) if isinstance(d, Flow) else out


def campaign_files(folder: Path) -> list[Path]:
    """The campaign files of a workspace, by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def find_campaign(ref: str | Path, folder: Path) -> Path:
    """A CLI argument as a campaign file: a path, or a name in the workspace's campaigns/."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p.resolve()
    for cand in (folder / f"{ref}.yaml", folder / f"{ref}.yml"):
        if cand.is_file():
            return cand.resolve()
    names = sorted(x.stem for x in folder.glob("*.yaml")) if folder.is_dir() else []
    hint = suggest(str(ref), names) or (f"saved: {', '.join(names)}" if names else None)
    raise SegmentError(f"no campaign `{ref}` in {folder}", None, hint)
