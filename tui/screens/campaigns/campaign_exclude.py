"""Choose who a campaign leaves out: members of saved segments, recent recipients of campaigns.

The exclusions are `who.exclude` conditions of the campaign file: `{segment: NAME}` for a
segment, and `{event: messages, where: campaign_id = ID, within: 30d}` for people a campaign
(this workspace's, by file name, or any id in the message history) reached recently. Other
conditions the file already has are listed and can be removed, and are kept otherwise.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from queries.core.i18n import _
from queries.segments.describe import describe
from queries.segments.model import EventCond, FieldCond, Group, Node, SegmentRef, node_to_dict
from tui.keymap import bind
from tui.kizuna import session_of
from tui.messages import ValuesLoaded
from tui.screens.builder.condition import load_values
from tui.screens.campaigns.campaign_rules import Check, RulesDialog
from tui.workers import JobSlot


def recipients_of(campaign_id: str, within: str) -> EventCond:
    """People a campaign's message reached in the window (the snapshot's message history)."""
    where = Group("all", (FieldCond("campaign_id", "=", campaign_id),))
    return EventCond("messages", where, None, within or None)


class ExclusionsScreen(RulesDialog):
    """The exclusions as a list (del removes one) with rows to add a segment or a campaign."""

    ADDING = frozenset({"ex-campaign", "ex-within"})  # Enter there adds a row, not closes
    BINDINGS = [
        *RulesDialog.BINDINGS,
        bind("delete,backspace", "remove", "Remove", id="exclude.remove"),
    ]

    def __init__(
        self, exclude: list[Node], segments: list[str], campaigns: list[str], check: Check
    ) -> None:
        super().__init__(check)
        self.nodes = list(exclude)
        self.segments = segments
        self.campaigns = campaigns
        self.values_slot = JobSlot(self, "values")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="exclude-dialog"):
            yield Label(_("Leave out of the audience"), classes="dialog-title")
            yield OptionList(id="ex-list", compact=True)
            yield Static(_("↑↓ then del removes one · tab to add"), classes="dim")
            with Horizontal(classes="form-row"):
                yield Label(_("Segment"), classes="form-label")
                yield Select(
                    [(s, s) for s in self.segments], id="ex-segment", compact=True, prompt="—"
                )
                yield Button(_("Add"), id="ex-add-segment", compact=True)
            with Horizontal(classes="form-row"):
                yield Label(_("Reached by"), classes="form-label")
                yield Input(
                    id="ex-campaign",
                    compact=True,
                    placeholder=_("campaign id"),
                    suggester=SuggestFromList(self.campaigns, case_sensitive=False),
                )
                yield Label(_(" within "), classes="form-label-short")
                yield Input("30d", id="ex-within", compact=True, classes="short")
                yield Button(_("Add"), id="ex-add-campaign", compact=True)
            yield from self.buttons()

    def on_mount(self) -> None:
        self._refill()
        if session_of(self).catalog.has("messages", "campaign_id"):
            load_values(self, "campaign_id", "messages")  # ids in the message history
        self.query_one("#ex-list" if self.nodes else "#ex-segment").focus()

    def on_unmount(self) -> None:
        self.values_slot.cancel()

    @on(ValuesLoaded)
    def _history_ids(self, event: ValuesLoaded) -> None:
        """Suggest the campaign ids the snapshot's history has, after this workspace's."""
        seen = [str(v) for v, _ in event.values if v is not None]
        ids = [*self.campaigns, *(x for x in seen if x not in self.campaigns)]
        self.query_one("#ex-campaign", Input).suggester = SuggestFromList(ids, case_sensitive=False)

    def _refill(self, highlight: int | None = None) -> None:
        ol = self.query_one("#ex-list", OptionList)
        ol.clear_options()
        if self.nodes:
            ol.add_options([Option(describe(n)) for n in self.nodes])
            ol.highlighted = min(highlight or 0, len(self.nodes) - 1)
        else:
            ol.add_option(Option(_("nobody excluded"), disabled=True))

    def _add(self, node: Node) -> None:
        problem = self.check("exclude", [node_to_dict(node)])
        if problem:
            self.query_one("#rules-error", Static).update(f"✗ {problem}")
            self.app.bell()
            return
        self.query_one("#rules-error", Static).update("")
        if node not in self.nodes:
            self.nodes.append(node)
        self._refill(len(self.nodes) - 1)

    @on(Button.Pressed, "#ex-add-segment")
    def _add_segment(self) -> None:
        name = self.query_one("#ex-segment", Select).value
        if name is Select.NULL:
            self.query_one("#rules-error", Static).update("✗ " + _("choose a segment first"))
            return
        self._add(SegmentRef(str(name)))

    @on(Input.Submitted, "#ex-campaign,#ex-within")
    @on(Button.Pressed, "#ex-add-campaign")
    def _add_campaign(self) -> None:
        cid = self.val("ex-campaign")
        if not cid:
            self.query_one("#rules-error", Static).update("✗ " + _("type a campaign id first"))
            return
        self._add(recipients_of(cid, self.val("ex-within")))
        self.query_one("#ex-campaign", Input).value = ""

    def action_remove(self) -> None:
        ol = self.query_one("#ex-list", OptionList)
        if not ol.has_focus or ol.highlighted is None or not self.nodes:
            return
        index = ol.highlighted
        del self.nodes[index]
        self._refill(index)

    def value(self) -> dict[str, Any]:
        return {"exclude": [node_to_dict(n) for n in self.nodes]}
