"""Validate a loaded campaign document: every error names the file, line and field."""

from __future__ import annotations

import math
import re
from datetime import datetime, time
from pathlib import Path
from typing import Any, NoReturn

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.coupons import MAX_LENGTH, MIN_LENGTH, load_pool
from queries.campaigns.model import (
    CHANNELS,
    DEDUPE,
    DESTINATIONS,
    ENCODINGS,
    KEYS,
    Campaign,
    Coupon,
    Holdout,
    How,
    MaxContacts,
    Policy,
    Variant,
    When,
    Who,
    layout_of,
)
from queries.campaigns.personalize import (
    CAMPAIGN_FIELDS,
    MessageTemplate,
    compile_template,
    is_html,
)
from queries.campaigns.policy_gaps import refusal
from queries.campaigns.template_file import TemplateFileRefused, read_template_file
from queries.core.catalog import Catalog
from queries.core.errors import Location, SegmentError, UnknownSegment, suggest
from queries.core.i18n import _
from queries.core.timewin import Window
from queries.core.yamlio import Lines, load_yaml, load_yaml_file
from queries.segments.parse import parse_node

_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,16}")
_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%?\s*")


class _Loader:
    def __init__(self, lines: Lines, catalog: Catalog, root: Path | None, store: Any):
        self.lines, self.catalog, self.store = lines, catalog, store
        self.root = Path(root).resolve() if root else None
        self.available = [*catalog.available(), *CAMPAIGN_FIELDS]  # not what the snapshot lacks

    def fail(
        self, msg: str, path: tuple, hint: str | None = None, cls: type[SegmentError] = SegmentError
    ) -> NoReturn:
        raise cls(msg, self.lines.loc(path), hint)

    def section(self, data: dict, key: str, path: tuple = ()) -> dict:
        """A mapping-valued section (absent → empty), its keys checked against KEYS."""
        value = data.get(key)
        if value is None:
            return {}
        where = (*path, key)
        if not isinstance(value, dict):
            self.fail(
                _("`{key}` must be a mapping of {where}").format(
                    key=key, where=", ".join(KEYS[where])
                ),
                where,
            )
        self.only(value, where, KEYS[where])
        return value

    def only(self, data: dict, path: tuple, allowed: tuple[str, ...]) -> None:
        for k in data:
            if k not in allowed:
                self.fail(
                    _("unexpected key `{k}`").format(k=k),
                    (*path, k),
                    suggest(str(k), list(allowed)) or f"use {', '.join(allowed)}",
                )

    # -- the document ----------------------------------------------------------------------
    def campaign(self, data: Any, path: Path | None) -> Campaign:
        if data is None:
            self.fail(_("the file is empty; a campaign needs name, who, how and what"), ())
        if not isinstance(data, dict):
            self.fail(_("a campaign file is a mapping with name, who, how, when and what"), ())
        self.only(data, (), KEYS[()])
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.fail(_("a campaign needs a `name`"), ("name",) if "name" in data else ())
        desc = data.get("description") or ""
        if not isinstance(desc, str):
            self.fail(_("`description` must be text"), ("description",))
        for key in ("who", "how", "what"):
            if key not in data:
                self.fail(_("a campaign needs `{key}`").format(key=key), ())
        how = self.how(self.section(data, "how"))
        if self.root is None and path is not None:
            parent = Path(path).resolve().parent
            self.root = parent.parent if parent.name == "campaigns" else parent
        c = Campaign(
            name=name.strip(),
            who=self.who(self.section(data, "who")),
            how=how,
            variants=(),
            description=desc,
            when=self.when(self.section(data, "when")),
            policy=self.policy(self.section(data, "policy")),
            holdout=self.holdout(self.section(data, "holdout")),
            drift_limit=self.drift(data),
            path=path,
            layout=layout_of(data),
        )
        refused = refusal(self.catalog, how.channel, c.policy.require_consent)
        if refused is not None:
            self.fail(refused[0], ("how", "channel"), refused[1])
        what = self.section(data, "what")
        c.variants = self.variants(what, c)
        c.coupon = self.coupon(what)
        try:
            c.plan()
        except ValueError as exc:
            self.fail(str(exc), ("holdout", "percent"))
        return c

    def who(self, d: dict) -> Who:
        if ("segment" in d) == ("where" in d):
            self.fail(
                _("`who` needs exactly one of `segment` (a saved segment) or `where`"), ("who",)
            )
        seg = None
        if "segment" in d:
            seg = d["segment"]
            if not isinstance(seg, str) or not seg.strip():
                self.fail(_("`segment` needs the name of a saved segment"), ("who", "segment"))
            seg = seg.strip()
            if self.store is not None:
                try:
                    self.store.path_for(seg)
                except UnknownSegment as exc:
                    msg, hint = f"unknown segment `{seg}`", exc.hint
                    self.fail(msg, ("who", "segment"), hint, UnknownSegment)
        where = None
        if "where" in d:
            where = parse_node(d["where"], self.catalog, self.lines, ("who", "where"))
        raw = d.get("exclude") or []
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            self.fail(_("`exclude` takes a list of conditions"), ("who", "exclude"))
        exclude = tuple(
            parse_node(n, self.catalog, self.lines, ("who", "exclude", i))
            for i, n in enumerate(raw)
        )
        return Who(seg, where, exclude)

    def how(self, d: dict) -> How:
        channel = d.get("channel")
        if channel not in CHANNELS:
            self.fail(
                f"unknown channel `{channel}`" if channel else "`how` needs a `channel`",
                ("how", "channel") if "channel" in d else ("how",),
                suggest(str(channel), list(CHANNELS)) or f"one of {', '.join(CHANNELS)}",
            )
        dest = d.get("destination", "generic_csv")
        if dest not in DESTINATIONS:
            self.fail(
                _("unknown destination preset `{dest}`").format(dest=dest),
                ("how", "destination"),
                suggest(str(dest), list(DESTINATIONS)) or f"one of {', '.join(DESTINATIONS)}",
            )
        serves = DESTINATIONS[dest][0]
        if serves is not None and channel not in serves:
            self.fail(
                _("preset `{dest}` does not carry {channel} messages").format(
                    dest=dest, channel=channel
                ),
                ("how", "destination"),
                f"it serves {', '.join(serves)}",
            )
        segs = d.get("max_segments")
        if segs is not None and (channel != "sms" or not _posint(segs) or segs > 10):
            self.fail(
                _("`max_segments` is a whole number 1..10, for sms only"), ("how", "max_segments")
            )
        enc = d.get("encoding")
        if enc is not None and enc not in ENCODINGS:
            self.fail(
                _("unknown encoding `{enc}`").format(enc=enc),
                ("how", "encoding"),
                f"use {' or '.join(ENCODINGS)}",
            )
        return How(channel, dest, segs, enc, self.include_messages(d, dest))

    def include_messages(self, d: dict, dest: str) -> bool | None:
        """`how.include_messages`: true or false, for presets whose import takes text columns."""
        value = d.get("include_messages")
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(_("`include_messages` is true or false"), ("how", "include_messages"))
        from queries.campaigns.presets import PRESETS

        preset = PRESETS[dest]
        if value and not (preset.messages or preset.can_carry_messages):
            self.fail(
                _("preset `{dest}` cannot carry the rendered messages").format(dest=dest),
                ("how", "include_messages"),
                "it writes ids only; the message is built in the sending system",
            )
        return value

    def when(self, d: dict) -> When:
        send_at = d.get("send_at")
        if send_at is not None:
            if isinstance(send_at, str):
                try:
                    send_at = datetime.fromisoformat(send_at.strip())
                except ValueError:
                    send_at = None
            if not isinstance(send_at, datetime):
                self.fail(
                    _("`send_at` must be a date and time, e.g. 2026-11-28T10:00:00+09:00"),
                    ("when", "send_at"),
                )
            if send_at.tzinfo is None:
                self.fail(
                    _("`send_at` needs a UTC offset so the send time is unambiguous"),
                    ("when", "send_at"),
                    "write e.g. 2026-11-28T10:00:00+09:00",
                )
        quiet = d.get("quiet_hours")
        if quiet is not None:
            ok = (
                isinstance(quiet, list)
                and len(quiet) == 2
                and all(isinstance(q, str) and _HHMM.fullmatch(q) for q in quiet)
            )
            if not ok or quiet[0] == quiet[1]:
                self.fail(
                    _('`quiet_hours` is a pair of different times, e.g. ["21:00", "08:00"]'),
                    ("when", "quiet_hours"),
                )
            quiet = (quiet[0], quiet[1])
            if send_at is not None and _in_quiet(send_at.time(), quiet):
                self.fail(
                    _("`send_at` {send_at} falls inside the quiet hours {quiet}–{quiet2}").format(
                        send_at=format(send_at, "%H:%M"), quiet=quiet[0], quiet2=quiet[1]
                    ),
                    ("when", "send_at"),
                )
        return When(send_at, quiet)

    def variants(self, what: dict, c: Campaign) -> tuple[Variant, ...]:
        raw = what.get("variants")
        if not isinstance(raw, list) or not raw:
            self.fail(
                _("`what` needs `variants`: a list of messages, each with a name"),
                ("what", "variants") if "variants" in what else ("what",),
            )
        out: list[Variant] = []
        for i, v in enumerate(raw):
            p = ("what", "variants", i)
            if not isinstance(v, dict):
                self.fail(_("a variant is a mapping with name, weight and the message"), p)
            self.only(v, p, KEYS[("variant",)])
            name = v.get("name", chr(ord("A") + i) if len(raw) > 1 else "main")
            if not isinstance(name, (str, int)) or not str(name).strip() or str(name) == HOLDOUT:
                self.fail(_("a variant needs a `name` (not `holdout`)"), (*p, "name"))
            if str(name) in {x.name for x in out}:
                self.fail(_("variant name `{name}` is used twice").format(name=name), (*p, "name"))
            weight = v.get("weight")
            if weight is not None and (
                isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0
            ):
                self.fail(_("`weight` must be a positive number"), (*p, "weight"))
            other = (
                {"subject", "body", "body_file"}
                if c.how.channel != "email"
                else {"text", "text_file"}
            )
            for k in (k for k in v if k in other):
                self.fail(
                    _("`{k}` does not apply to {channel} messages").format(
                        k=k, channel=c.how.channel
                    ),
                    (*p, k),
                    "email has subject and body; sms and line have text",
                )
            var = Variant(str(name), weight, **{k: v.get(k) for k in KEYS[("variant",)][2:]})
            for part in c.parts:
                c.templates[(var.name, part)] = self.template(var, part, p, c)
            out.append(var)
        return tuple(out)

    def template_text(self, target: Path, file: str, fp: tuple) -> str:
        """A template file's text: a regular file under the size limit, UTF-8 (never hangs)."""
        try:
            data = read_template_file(target)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            self.fail(_("template file `{file}` not found").format(file=file), fp)
        except TemplateFileRefused as exc:
            self.fail(_("template file `{file}` {exc}").format(file=file, exc=exc), fp)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(_("template file `{file}` is not UTF-8 text").format(file=file), fp)
        return source[:-1] if source.endswith("\n") else source  # the file's last newline

    def template(self, var: Variant, part: str, p: tuple, c: Campaign) -> MessageTemplate:
        inline, file = getattr(var, part, None), getattr(var, f"{part}_file", None)
        if part == "subject":
            file = None
        if (inline is None) == (file is None):
            both = "" if part == "subject" else f" or `{part}_file`"
            self.fail(
                f"a {c.how.channel} variant needs `{part}`{both}"
                + (", not both" if inline is not None else ""),
                p,
            )
        if inline is not None:
            fp = (*p, part)
            return compile_template(
                inline,
                part,
                self.lines.loc(fp),
                self.available,
                part == "body" and is_html(str(inline)),
            )
        fp = (*p, f"{part}_file")
        if not isinstance(file, str):
            self.fail(_("a template file is a path inside the workspace"), fp)
        target = ((self.root or Path.cwd()) / file).resolve()
        if self.root is not None and not target.is_relative_to(self.root):
            self.fail(
                _("`{file}` is outside the workspace").format(file=file),
                fp,
                "keep templates in templates/",
            )
        source = self.template_text(target, file, fp)
        loc = Location(file, None, self.lines.loc(fp).field)
        return compile_template(
            source, part, loc, self.available, part == "body" and is_html(source), inline=False
        )

    def coupon(self, what: dict) -> Coupon | None:
        d = self.section(what, "coupon", ("what",))
        if not d:
            return None
        p = ("what", "coupon")
        value = d.get("value")
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            self.fail(
                _("`value` is what one redeemed coupon costs: a number, 0 or more"), (*p, "value")
            )
        if "pool_file" in d:
            if "prefix" in d or "length" in d:
                self.fail(_("a coupon is either derived (prefix, length) or from a `pool_file`"), p)
            file = d["pool_file"]
            target = ((self.root or Path.cwd()) / str(file)).resolve()
            if self.root is not None and not target.is_relative_to(self.root):
                self.fail(
                    _("`{file}` is outside the workspace").format(file=file), (*p, "pool_file")
                )
            if not target.is_file():
                self.fail(_("coupon pool `{file}` not found").format(file=file), (*p, "pool_file"))
            load_pool(target, str(file))
            return Coupon(pool_file=str(file), value=value)
        prefix = d.get("prefix", "")
        if not isinstance(prefix, (str, int)) or not _PREFIX.fullmatch(str(prefix)):
            self.fail(_("`prefix` is up to 16 letters, digits, - or _"), (*p, "prefix"))
        length = d.get("length", 8)
        if not _posint(length) or not MIN_LENGTH <= length <= MAX_LENGTH:
            self.fail(
                _("`length` is a whole number {min_length}..{max_length}").format(
                    min_length=MIN_LENGTH, max_length=MAX_LENGTH
                ),
                (*p, "length"),
            )
        return Coupon(str(prefix), length, value=value)

    def policy(self, d: dict) -> Policy:
        for key in ("require_consent", "suppression"):
            if key in d and not isinstance(d[key], bool):
                self.fail(_("`{key}` is true or false").format(key=key), ("policy", key))
        mc: MaxContacts | None = MaxContacts()
        if "max_contacts" in d:
            raw = d["max_contacts"]
            p = ("policy", "max_contacts")
            if raw in (None, False, "none"):
                mc = None
            elif not isinstance(raw, dict):
                self.fail(_("`max_contacts` is {count: 3, within: 7d} or none"), p)
            else:
                self.only(raw, p, KEYS[p])
                count, within = raw.get("count", 3), raw.get("within", "7d")
                if not _posint(count):
                    self.fail(_("`count` is a whole number ≥ 1"), (*p, "count"))
                try:
                    Window.parse(within)
                except (ValueError, TypeError) as exc:
                    self.fail(str(exc), (*p, "within"))
                chans = raw.get("channels")
                if chans is not None:
                    chans = [chans] if isinstance(chans, str) else chans
                    bad = (
                        [x for x in chans if x not in CHANNELS]
                        if isinstance(chans, list)
                        else [chans]
                    )
                    if bad:
                        self.fail(
                            _("unknown channel `{bad}`").format(bad=bad[0]),
                            (*p, "channels"),
                            suggest(str(bad[0]), list(CHANNELS)),
                        )
                    chans = tuple(chans)
                mc = MaxContacts(count, within, chans)
        dedupe = d.get("dedupe_by")
        if dedupe is False:
            dedupe = "none"
        if dedupe is not None and dedupe not in DEDUPE:
            self.fail(
                _("cannot dedupe by `{dedupe}`").format(dedupe=dedupe),
                ("policy", "dedupe_by"),
                suggest(str(dedupe), list(DEDUPE)) or f"one of {', '.join(DEDUPE)}",
            )
        return Policy(d.get("require_consent", True), d.get("suppression", True), mc, dedupe)

    def holdout(self, d: dict) -> Holdout:
        pct = d.get("percent", 0)
        ok = not isinstance(pct, bool) and isinstance(pct, (int, float)) and 0 <= pct < 100
        if not ok or round(pct * 100) != pct * 100:
            self.fail(
                _(
                    "holdout `percent` is a number from 0 up to (not including) 100, with "
                    "at most two decimals"
                ),
                ("holdout", "percent"),
            )
        salt = d.get("salt")
        if salt is not None and (not isinstance(salt, (str, int)) or not str(salt).strip()):
            self.fail(_("`salt` is a text that fixes who lands in which arm"), ("holdout", "salt"))
        return Holdout(pct, None if salt is None else str(salt))

    def drift(self, data: dict) -> float:
        raw = data.get("drift_limit", 20)
        m = _PERCENT.fullmatch(str(raw)) if not isinstance(raw, bool) else None
        if m is None or not 0 < float(m.group(1)) <= 100:
            self.fail(_('`drift_limit` is a percentage above 0, e.g. "20%"'), ("drift_limit",))
        return float(m.group(1))


def _posint(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 1


def _in_quiet(t: time, quiet: tuple[str, str]) -> bool:
    start, end = (time.fromisoformat(q) for q in quiet)
    t = t.replace(second=0, microsecond=0, tzinfo=None)
    return start <= t < end if start < end else (t >= start or t < end)


def parse_campaign(
    data: Any,
    lines: Lines,
    catalog: Catalog,
    path: Path | None = None,
    root: Path | None = None,
    store: Any = None,
) -> Campaign:
    """Validate a loaded campaign document and build its model (templates compiled)."""
    return _Loader(lines, catalog, root, store).campaign(data, path)


def load_campaign(
    path: Path, catalog: Catalog, root: Path | None = None, store: Any = None
) -> Campaign:
    """Read, validate and compile one campaign file."""
    data, lines = load_yaml_file(Path(path))
    return parse_campaign(data, lines, catalog, Path(path), root, store)


def campaign_from_text(
    text: str,
    catalog: Catalog,
    file: str | None = None,
    root: Path | None = None,
    store: Any = None,
) -> Campaign:
    """Validate campaign YAML text (for tests and the TUI editor)."""
    data, lines = load_yaml(text, file)
    return parse_campaign(data, lines, catalog, Path(file) if file else None, root, store)


PARTS = ("coupon", "exclude", "policy", "quiet_hours", "drift_limit")


def check_part(
    part: str, value: Any, catalog: Catalog, root: Path | None = None, send_at: Any = None
) -> None:
    """Validate one part of a campaign alone (the editor's dialogs), by the rules of the file.

    `part` is one of PARTS; raises the same SegmentError the whole file would, with its field.
    """
    lo = _Loader(Lines(None), catalog, root, None)
    if part == "coupon":
        lo.coupon({"coupon": value})
    elif part == "exclude":
        lo.who({"segment": "-", "exclude": value})
    elif part == "policy":
        lo.policy(lo.section({"policy": value}, "policy"))
    elif part == "quiet_hours":
        lo.when({"send_at": send_at, "quiet_hours": value})
    elif part == "drift_limit":
        lo.drift({"drift_limit": value})
    else:
        raise ValueError(_("unknown campaign part `{part}`").format(part=part))
