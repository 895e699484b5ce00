"""The 3W1H form of the campaign editor: who, how, when, holdout, rules and the variant edited."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Select, Static

from queries.campaigns.model import CHANNELS, DESTINATIONS
from queries.core.i18n import N_, _

INLINE = N_("(inline where)")  # the Who select's value when the campaign has its own `where`


class CampaignForm(Vertical):
    """Compact one-line rows; its inputs post the usual Changed messages to the screen."""

    DEFAULT_CSS = """
    CampaignForm { height: auto; padding: 0 1; }
    CampaignForm .cmp-row { height: 1; }
    CampaignForm .cmp-label { width: 8; color: $text-muted; }
    CampaignForm .cmp-label2 { width: auto; color: $text-muted; margin: 0 1 0 2; }
    CampaignForm .cmp-unit { width: auto; color: $text-muted; margin-left: 1; }
    CampaignForm #cmp-segment { width: 26; }
    CampaignForm #cmp-channel { width: 11; }
    CampaignForm #cmp-destination { width: 17; }
    CampaignForm #cmp-send-at { width: 28; }
    CampaignForm #cmp-holdout { width: 7; }
    CampaignForm #cmp-variant { width: 12; }
    CampaignForm #cmp-weight { width: 7; }
    CampaignForm #cmp-subject { width: 1fr; }
    CampaignForm #cmp-exclude, CampaignForm #cmp-rules, CampaignForm #cmp-source {
        width: 1fr; height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    CampaignForm .cmp-keys { width: auto; color: $text-accent; margin-left: 1; }
    CampaignForm #cmp-source { margin-left: 2; }
    CampaignForm .-invalid { background: $error 30%; }
    """

    def __init__(self, segments: Iterable[str], variants: Iterable[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.segments = list(segments)
        self.variants = list(variants) or ["main"]

    def compose(self) -> ComposeResult:
        with Horizontal(classes="cmp-row"):
            yield Label(_("Who"), classes="cmp-label")
            yield Select(
                [(s, s) for s in self.segments], id="cmp-segment", compact=True, allow_blank=True
            )
            yield Label(_("How"), classes="cmp-label2")
            yield Select(
                [(c, c) for c in CHANNELS], id="cmp-channel", compact=True, allow_blank=False
            )
            yield Label("→", classes="cmp-label2")
            yield Select(
                [(d, d) for d in DESTINATIONS],
                id="cmp-destination",
                compact=True,
                allow_blank=False,
            )
        with Horizontal(classes="cmp-row"):
            yield Label(_("When"), classes="cmp-label")
            yield Input(id="cmp-send-at", compact=True, placeholder=_("YYYY-MM-DDTHH:MM+09:00"))
            yield Label(_("Holdout"), classes="cmp-label2")
            yield Input(id="cmp-holdout", compact=True, placeholder="0", restrict=r"[0-9.%]*")
            yield Label("%", classes="cmp-unit")
        with Horizontal(classes="cmp-row", id="cmp-exclude-row"):
            yield Label(_("minus"), classes="cmp-label")
            yield Static(id="cmp-exclude", markup=False)
            yield Label("x", classes="cmp-keys")
        with Horizontal(classes="cmp-row", id="cmp-rules-row"):
            yield Label(_("Rules"), classes="cmp-label")
            yield Static(id="cmp-rules", markup=False)
            yield Label("c/p", classes="cmp-keys")
        with Horizontal(classes="cmp-row"):
            yield Label(_("What"), classes="cmp-label")
            yield Select(
                [(n, n) for n in self.variants], id="cmp-variant", compact=True, allow_blank=False
            )
            yield Label(_("weight"), classes="cmp-label2")
            yield Input(id="cmp-weight", compact=True, placeholder="1", restrict=r"[0-9.]*")
            yield Static(id="cmp-source", markup=False)
        with Horizontal(classes="cmp-row", id="cmp-subject-row"):
            yield Label(_("Subject"), classes="cmp-label")
            yield Input(id="cmp-subject", compact=True)

    # -- attributes down -------------------------------------------------------------------
    def fill(
        self, segment: str | None, channel: str, destination: str, send_at: str, holdout: str
    ) -> None:
        """Set the campaign-wide fields (values equal to the draft's post no real change)."""
        seg = self.query_one("#cmp-segment", Select)
        if segment is None:
            seg.set_options([(_(INLINE), INLINE), *((s, s) for s in self.segments)])
            seg.value = INLINE
        elif segment in self.segments:
            seg.value = segment
        self.query_one("#cmp-channel", Select).value = channel
        self.query_one("#cmp-destination", Select).value = destination
        self.query_one("#cmp-send-at", Input).value = send_at
        self.query_one("#cmp-holdout", Input).value = holdout

    def fill_rules(self, exclude: str, rules: str) -> None:
        """The one-line summaries of the exclusions and of coupon and contact policy."""
        self.query_one("#cmp-exclude", Static).update(exclude)
        self.query_one("#cmp-rules", Static).update(rules)

    def fill_variants(self, names: list[str], current: str) -> None:
        select = self.query_one("#cmp-variant", Select)
        select.set_options([(n, n) for n in names])
        select.value = current

    def fill_variant(self, weight: str, subject: str | None, source: Content | str) -> None:
        """The selected variant's weight, subject (None: the channel has none) and source."""
        self.query_one("#cmp-weight", Input).value = weight
        self.query_one("#cmp-subject-row").display = subject is not None
        if subject is not None:
            self.query_one("#cmp-subject", Input).value = subject
        self.query_one("#cmp-source", Static).update(source)

    async def on_click(self, event: events.Click) -> None:
        """A click on the exclusions or rules row opens its dialog (as x, c or p do)."""
        row = event.widget.parent if event.widget is not None else None
        action = {"cmp-exclude-row": "exclusions", "cmp-rules-row": "policy"}.get(
            getattr(row, "id", "") or ""
        )
        if action:
            await self.screen.run_action(action)

    def mark_invalid(self, widget_id: str | None) -> None:
        """Highlight the field an error is about (and only that one)."""
        for w in self.query(".-invalid"):
            w.remove_class("-invalid")
        if widget_id:
            for w in self.query(f"#{widget_id}"):
                w.add_class("-invalid")
