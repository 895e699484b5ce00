"""The live preview pane: one sample recipient's message as they will receive it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from queries.campaigns.personalize import is_html
from queries.campaigns.preview import Preview, Rendered, SampleMessage, html_to_text
from queries.core.i18n import _
from tui.wrap import wrap

BAD = "bold $text-error"
WARN = "$text-warning"


def show_value(value: Any) -> str:
    """A template value as a person reads it (dates as ISO, missing as —)."""
    if value is None:
        return "—"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def values_content(values: dict[str, Any], variant: str) -> Content:
    """`name  value` lines, names padded by cell width so the values line up."""
    shown = {**values, "variant": variant}
    width = max((cell_len(k) for k in shown), default=0) + 2
    lines: list[Content] = [Content.styled(_("values used"), "bold")]
    for key, value in shown.items():
        pad = " " * (width - cell_len(key))
        lines.append(Content.assemble(("  " + key + pad, "dim"), show_value(value)))
    return Content("\n").join(lines)


def notes_content(p: Preview) -> list[Content]:
    """The preview's notes (attribute-only file, past send time, ...), one line each."""
    return [Content.styled(_("note: {text}").format(text=n), "$text-warning") for n in p.notes]


def audience_content(p: Preview, notes: bool = True) -> Content:
    """`727 recipients  A 377 · B 350 · holdout 89` (after consent, suppression, caps),
    then the notes unless a one-line place shows it."""
    arms = " · ".join(f"{k} {n:,}" for k, n in p.arms.items() if k != "holdout")
    holdout = p.arms.get("holdout", 0)
    line = Content.assemble(
        (f"{p.audience:,}", "bold"),
        " " + _("recipients"),
        ("  " + _("{arms} · holdout {n}").format(arms=arms, n=f"{holdout:,}"), "dim"),
    )
    below = notes_content(p) if notes else []
    return Content("\n").join([line, *below]) if below else line


def funnel_content(p: Preview, width: int = 36) -> Content:
    """Each audience step with the count left and removed, labels padded by cell width."""
    lines = [Content.styled(_("audience (as of {day})").format(day=p.as_of), "bold")]
    rows = [(_("all customers"), p.base, None)] + [(s.label, s.count, s.removed) for s in p.funnel]
    for label, count, removed in rows:
        shown = label if cell_len(label) <= width else set_cell_size(label, width - 1) + "…"
        pad = " " * (width - cell_len(shown))
        gone = f"  −{removed:,}" if removed else ""
        lines.append(Content.assemble(("  " + shown + pad, "dim"), f"{count:>8,}", (gone, "dim")))
    return Content("\n").join(lines)


def part_content(part: str, r: Rendered, encoding: str, raw: bool, width: int = 0) -> Content:
    """One part: a heading with its size against the budget (✓ / ✗), then the text.

    An HTML body shows as a reader sees it (or as source with `raw`); text is wrapped to
    `width` cells with the Japanese line-breaking rules (0: not wrapped here).
    """
    if r.error:
        return Content.assemble((f"── {part}  ", "bold"), (f"✗ {r.error}", BAD))
    mark = (_("✗ over budget: ") + r.size, BAD) if r.over else ("✓ " + r.size, "dim")
    text = r.text or ""
    head = [(f"── {part}  ", "bold"), mark]
    if part == "body" and is_html(text):
        head.append(
            ("  · " + (_("HTML source · r as read") if raw else _("as read · r source")), "dim")
        )
        text = text if raw else html_to_text(text)
    if width:
        text = wrap(text, width)
    out = [Content.assemble(*head)]
    out.append(Content(text) if text.strip() else Content.styled(_("✗ empty"), BAD))
    if r.unencodable:
        chars = " ".join(f"{ch} (U+{ord(ch):04X})" for ch in r.unencodable)
        out.append(
            Content.styled(
                "✗ " + _("{encoding} cannot carry: {chars}").format(encoding=encoding, chars=chars),
                BAD,
            )
        )
    if r.fallbacks:
        out.append(Content.styled(_("fallback used: ") + "; ".join(r.fallbacks), WARN))
    return Content("\n").join(out)


def message_content(
    sample: SampleMessage | None,
    variant: str,
    index: int,
    total: int,
    encoding: str = "utf-8",
    raw: bool = False,
    audience: Preview | None = None,
    width: int = 60,
    removed: str | None = None,
) -> Content:
    """Everything the pane shows for one recipient and one variant (and the audience steps)."""
    steps = [funnel_content(audience, max(12, width - 22))] if audience is not None else []
    if sample is None:
        empty = Content.styled(_("No recipient to preview: the audience is empty."), "italic")
        return Content("\n\n").join([empty, *steps])
    head = [(f"{index + 1}/{total}  ", "dim"), (sample.customer_id, "bold")]
    if not sample.member:
        head.append(("  ✗ " + (removed or _("not in the audience (holdout or excluded)")), WARN))
    elif sample.arm != variant:
        head.append(
            (
                "  " + _("gets {arm} · showing {variant}").format(arm=sample.arm, variant=variant),
                WARN,
            )
        )
    else:
        head.append(("  " + _("variant {variant}").format(variant=variant), "dim"))
    blocks = [Content.assemble(*head)]
    for part, rendered in sample.messages.get(variant, {}).items():
        blocks.append(part_content(part, rendered, encoding, raw, width))
    blocks.append(values_content(sample.values, variant))
    return Content("\n\n").join(blocks + steps)


class CampaignPreview(VerticalScroll):
    """Scrollable rendered message; dimmed while the draft has an error (last good render)."""

    DEFAULT_CSS = """
    CampaignPreview {
        height: 1fr;
        padding: 0 1;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    CampaignPreview.-stale > #cmp-message { color: $text-muted; }
    CampaignPreview > #cmp-message { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Content.styled(_("rendering…"), "italic"), id="cmp-message")

    def show(self, content: Content, stale: bool = False) -> None:
        self.query_one("#cmp-message", Static).update(content)
        self.set_class(stale, "-stale")

    @property
    def text(self) -> str:
        """The plain text shown (for tests)."""
        return str(self.query_one("#cmp-message", Static).render())
