"""Set a campaign's coupon and contact policy in dialogs, checked by the campaign file's rules.

Each dialog dismisses with the part as the YAML file states it (`{prefix, length}`,
`{pool_file}`, the policy keys that differ from the defaults or that the file had), so saving
writes the same format `kizuna` reads. `check(part, value)` is the engine's check of one part.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from queries.campaigns.model import ADDRESS, CHANNELS, DEDUPE
from queries.core.i18n import N_, _
from queries.core.yamlio import Flow
from queries.segments.describe import describe
from tui.keymap import FOCUS_KEYS, bind
from tui.widgets.tick import TickBox

Check = Callable[[str, Any], str | None]  # (part, value) → the problem, or None
NONE, DERIVED, POOL = "none", "derived", "pool"
ANY, SEVERAL = "any", "several"
DEFAULT_DEDUPE = "(address)"


def number_or_text(text: str) -> Any:
    """`8` → 8, `2.5` → 2.5; anything else stays text for the check to name."""
    s = text.strip()
    for kind in (int, float):
        try:
            return kind(s)
        except ValueError:
            pass
    return s


def coupon_text(coupon: dict[str, Any] | None) -> str:
    if not coupon:
        return _("no coupon")
    if coupon.get("pool_file"):
        text = _("coupon pool {file}").format(file=coupon["pool_file"])
    else:
        text = _("coupon {prefix}+{length}").format(
            prefix=coupon.get("prefix", ""), length=coupon.get("length", 8)
        )
    if coupon.get("value") is None:
        return text
    return text + " " + _("(value {value})").format(value=coupon["value"])


def policy_text(policy: dict[str, Any], channel: str, quiet: list[str] | None, drift: str) -> str:
    """`cap 3 in 7d · one per email · quiet 21:00–08:00` (switched-off safeguards first)."""
    parts = [
        _("✗ {what} OFF").format(what=_(label))
        for key, label in (("require_consent", N_("consent")), ("suppression", N_("suppression")))
        if policy.get(key) is False
    ]
    cap = policy.get("max_contacts", {"count": 3, "within": "7d"})
    if isinstance(cap, dict):
        on = ""
        if cap.get("channels"):
            on = " " + _("on {channels}").format(channels=", ".join(cap["channels"]))
        cap_text = _("cap {n} in {window}").format(
            n=cap.get("count", 3), window=cap.get("within", "7d")
        )
        parts.append(cap_text + on)
    else:
        parts.append(_("no frequency cap"))
    dedupe = policy.get("dedupe_by") or ADDRESS.get(channel, "address")
    parts.append(_("no dedupe") if dedupe == "none" else _("one per {key}").format(key=dedupe))
    if quiet:
        parts.append(_("quiet {start}–{end}").format(start=quiet[0], end=quiet[1]))
    if drift and drift.strip().rstrip("%").strip() not in ("20", "20.0"):
        parts.append(_("drift limit {limit}").format(limit=drift))
    return " · ".join(parts)


def exclude_text(exclude: list) -> str:
    return " · ".join(describe(n) for n in exclude) if exclude else _("nobody excluded")


class RulesDialog(ModalScreen[dict[str, Any] | None]):
    """A form dialog: Enter in a field or OK checks and applies; Esc cancels."""

    BINDINGS = [bind("escape", "cancel", "Cancel", id="dialog.cancel"), *FOCUS_KEYS]
    ADDING: frozenset[str] = frozenset()  # inputs whose Enter does something else

    def __init__(self, check: Check) -> None:
        super().__init__()
        self.check = check

    def buttons(self) -> ComposeResult:
        yield Static("", id="rules-error", classes="error-line")
        with Horizontal(classes="dialog-buttons"):
            yield Button(_("OK"), id="rules-ok", variant="primary", compact=True)
            yield Button(_("Cancel"), id="rules-cancel", compact=True)

    @abstractmethod
    def value(self) -> dict[str, Any]:
        """What the dialog holds now, by campaign part."""

    def val(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id not in self.ADDING:
            self._apply()

    @on(Button.Pressed, "#rules-ok")
    def _apply(self) -> None:
        result = self.value()
        for part, v in result.items():
            problem = None if v in (None, "") else self.check(part, v)
            if problem:
                self.query_one("#rules-error", Static).update(f"✗ {problem}")
                self.app.bell()
                return
        self.dismiss(result)

    @on(Button.Pressed, "#rules-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CouponScreen(RulesDialog):
    """No coupon, a code derived per recipient (prefix + length), or codes from a pool CSV."""

    def __init__(self, coupon: dict[str, Any] | None, check: Check) -> None:
        super().__init__(check)
        self.coupon = dict(coupon or {})

    def compose(self) -> ComposeResult:
        c = self.coupon
        kind = POOL if c.get("pool_file") else DERIVED if c else NONE
        kinds = [
            (_("no coupon"), NONE),
            (_("a code per recipient (prefix + length)"), DERIVED),
            (_("codes from a pool CSV file"), POOL),
        ]
        with Vertical(classes="dialog", id="coupon-dialog"):
            yield Label(_("Coupon"), classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label(_("Kind"), classes="form-label")
                yield Select(kinds, value=kind, id="cp-kind", compact=True, allow_blank=False)
            with Horizontal(classes="form-row cp-derived"):
                yield Label(_("Prefix"), classes="form-label")
                yield Input(str(c.get("prefix", "")), id="cp-prefix", compact=True)
            with Horizontal(classes="form-row cp-derived"):
                yield Label(_("Length"), classes="form-label")
                yield Input(str(c.get("length", 8)), id="cp-length", compact=True, classes="short")
            with Horizontal(classes="form-row cp-pool"):
                yield Label(_("Pool CSV"), classes="form-label")
                yield Input(
                    str(c.get("pool_file", "")),
                    id="cp-pool",
                    compact=True,
                    placeholder=_("campaigns/codes.csv (in the workspace)"),
                )
            with Horizontal(classes="form-row cp-value"):
                yield Label(_("Value"), classes="form-label")
                value = c.get("value")
                yield Input(
                    "" if value is None else str(value),
                    id="cp-value",
                    compact=True,
                    placeholder=_("cost of one redeemed coupon (optional)"),
                )
            yield from self.buttons()

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one("#cp-kind", Select).focus()

    @on(Select.Changed, "#cp-kind")
    def _show_kind(self) -> None:
        select = self.query_one("#cp-kind", Select)
        kind = select.value
        for w in self.query(".cp-derived"):
            w.display = kind == DERIVED
        for w in self.query(".cp-pool"):
            w.display = kind == POOL
        for w in self.query(".cp-value"):
            w.display = kind != NONE
        picked, self.kind_shown = kind != getattr(self, "kind_shown", kind), kind
        first = {DERIVED: "#cp-prefix", POOL: "#cp-pool"}.get(str(kind))
        if first and picked and select.has_focus:  # what is typed next goes in the kind's box
            self.query_one(first, Input).focus()

    def value(self) -> dict[str, Any]:
        kind = self.query_one("#cp-kind", Select).value
        if kind == NONE:
            return {"coupon": None}
        out: dict[str, Any] = (
            {"pool_file": self.val("cp-pool")}
            if kind == POOL
            else {"prefix": self.val("cp-prefix"), "length": number_or_text(self.val("cp-length"))}
        )
        if self.val("cp-value"):
            out["value"] = number_or_text(self.val("cp-value"))
        return {"coupon": out}


class PolicyScreen(RulesDialog):
    """Consent, suppression, the frequency cap, dedupe, quiet hours and the drift limit."""

    def __init__(
        self,
        policy: dict[str, Any],
        channel: str,
        quiet: list[str] | None,
        drift: str,
        check: Check,
    ) -> None:
        super().__init__(check)
        self.policy = dict(policy)
        self.channel = channel
        self.quiet = quiet or ["", ""]
        self.drift = drift

    def compose(self) -> ComposeResult:
        p = self.policy
        cap = p.get("max_contacts", {"count": 3, "within": "7d"})
        cap = cap if isinstance(cap, dict) else {}
        chans = cap.get("channels") or []
        address = ADDRESS.get(self.channel, "address")
        dedupes = [(_("the {address} (channel default)").format(address=address), DEFAULT_DEDUPE)]
        dedupes += [(d, d) for d in DEDUPE]
        with Vertical(classes="dialog", id="policy-dialog"):
            yield Label(_("Contact policy"), classes="dialog-title")
            yield TickBox(
                _("Consent: opted in, with a usable address"),
                p.get("require_consent", True),
                id="pl-consent",
                compact=True,
            )
            yield TickBox(
                _("Suppression list: drop unsubscribed, bounced…"),
                p.get("suppression", True),
                id="pl-suppression",
                compact=True,
            )
            with Horizontal(classes="form-row"):
                yield Label(_("Cap"), classes="form-label")
                yield Input(
                    str(cap.get("count", "")),
                    id="pl-count",
                    compact=True,
                    classes="short",
                    placeholder=_("none"),
                )
                yield Label(_(" contacts in "), classes="form-label-short")
                yield Input(
                    str(cap.get("within", "7d")), id="pl-within", compact=True, classes="short"
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Cap counts"), classes="form-label")
                options = [(_("any channel"), ANY), *((c, c) for c in CHANNELS)]
                if len(chans) > 1:
                    options.append((", ".join(chans), SEVERAL))
                value = chans[0] if len(chans) == 1 else SEVERAL if chans else ANY
                yield Select(
                    options, value=value, id="pl-channels", compact=True, allow_blank=False
                )
            with Horizontal(classes="form-row"):
                yield Label(_("One per"), classes="form-label")
                value = p.get("dedupe_by") or DEFAULT_DEDUPE
                yield Select(dedupes, value=value, id="pl-dedupe", compact=True, allow_blank=False)
            with Horizontal(classes="form-row"):
                yield Label(_("Quiet hours"), classes="form-label")
                yield Input(
                    self.quiet[0],
                    id="pl-quiet-from",
                    compact=True,
                    classes="short",
                    placeholder="21:00",
                )
                yield Label(_(" to "), classes="form-label-short")
                yield Input(
                    self.quiet[1],
                    id="pl-quiet-to",
                    compact=True,
                    classes="short",
                    placeholder="08:00",
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Drift limit"), classes="form-label")
                yield Input(
                    self.drift, id="pl-drift", compact=True, classes="short", placeholder="20%"
                )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#pl-consent").focus()

    def value(self) -> dict[str, Any]:
        had = self.policy
        out: dict[str, Any] = {}
        for key, wid in (("require_consent", "pl-consent"), ("suppression", "pl-suppression")):
            on = self.query_one(f"#{wid}", TickBox).value
            if key in had or not on:
                out[key] = on
        count = self.val("pl-count")
        if count:
            cap: dict[str, Any] = {"count": number_or_text(count), "within": self.val("pl-within")}
            chan = self.query_one("#pl-channels", Select).value
            if chan == SEVERAL:
                cap["channels"] = list(had["max_contacts"]["channels"])
            elif chan != ANY:
                cap["channels"] = [chan]
            if "max_contacts" in had or cap != {"count": 3, "within": "7d"}:
                out["max_contacts"] = Flow(cap)
        else:
            out["max_contacts"] = "none"
        dedupe = self.query_one("#pl-dedupe", Select).value
        if dedupe != DEFAULT_DEDUPE:
            out["dedupe_by"] = dedupe
        quiet = [self.val("pl-quiet-from"), self.val("pl-quiet-to")]
        return {
            "policy": out,
            "quiet_hours": quiet if any(quiet) else None,
            "drift_limit": self.val("pl-drift"),
        }
