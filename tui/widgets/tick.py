"""A checkbox that reads `[x]` when on and `[ ]` when off, so the state never relies on colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """Checkbox with a text mark: on and off differ in characters (also under NO_COLOR)."""

    @property
    def _button(self) -> Content:
        mark = "[x]" if self.value else "[ ]"
        return Content.styled(mark, "bold" if self.value else "")
