"""A condition dialog over the builder: posts each draft up, shows the audience it is given."""

from __future__ import annotations

from typing import TypeVar

from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget

from queries.segments.model import Node
from tui.messages import Drafted
from tui.widgets.audience import Audience, AudienceBar

R = TypeVar("R")


class DraftingDialog(ModalScreen[R]):
    """Posts `Drafted` to `drafts_to` (the builder) as the user types; the builder answers by
    setting `audience` (attributes down), which the dialog's own AudienceBar draws."""

    audience: reactive[Audience | None] = reactive(None, init=False)

    def __init__(self, drafts_to: Widget | None = None) -> None:
        super().__init__()
        self.drafts_to = drafts_to  # None: no live count (the dialog shows no audience line)

    @property
    def drafting(self) -> bool:
        return self.drafts_to is not None

    def drafted(self, node: Node | None, problem: str | None = None) -> None:
        """Tell the builder what is typed now (None and the reason while it is not valid)."""
        if self.drafts_to is not None:
            self.drafts_to.post_message(Drafted(self, node, problem))

    def watch_audience(self, audience: Audience | None) -> None:
        if audience is not None:
            for bar in self.query(AudienceBar):
                bar.audience = audience
