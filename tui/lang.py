"""Switch the screens' language at once: gettext's catalog and every key binding's description."""

from __future__ import annotations

from textual.dom import DOMNode

from queries.core.i18n import _, set_language
from tui.keymap import BOUND


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    subs: list[type] = cls.__subclasses__()
    for sub in subs:
        out += [sub, *_subclasses(sub)]
    return out


def apply_language(lang: str) -> str:
    """Make `lang` active and re-translate the bindings classes already hold (footer, help)."""
    chosen = set_language(lang)
    for binding, msgid in BOUND:
        object.__setattr__(binding, "description", _(msgid))  # frozen: set once per switch
    for cls in {*_subclasses(DOMNode)}:
        if "BINDINGS" in cls.__dict__ or cls.__dict__.get("_merged_bindings") is not None:
            cls._merged_bindings = cls._merge_bindings()  # type: ignore[attr-defined]
    return chosen
