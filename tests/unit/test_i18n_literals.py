"""No English sentence reaches a widget unwrapped: Static/Label/Button texts, notify() messages
and bind() descriptions are string literals only inside _() (or N_() constants)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent.parent / "tui"
SHOWN = {"Static", "Label", "Button", "TickBox", "Checkbox", "notify", "PromptScreen"}
KEYWORDS = {"title", "placeholder", "prompt", "label", "tooltip"}
WORD = re.compile(r"[A-Za-z]{3,}")


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _literal_words(node: ast.expr) -> str | None:
    """The English text of a plain or f-string literal (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def unwrapped() -> list[str]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        if "cli" in path.parts:
            continue  # the CLI prints data and messages (its help texts are wrapped)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or _name(node.func) not in SHOWN:
                continue
            args = node.args[:1] + [k.value for k in node.keywords if k.arg in KEYWORDS]
            for arg in args:
                text = _literal_words(arg)
                if text and WORD.search(text):
                    rel = path.relative_to(TUI.parent)
                    found.append(f"{rel}:{node.lineno}: {text[:50]!r}")
    return found


def test_widget_texts_are_translated() -> None:
    assert unwrapped() == []


PIECES = {"assemble", "styled", "Text"}  # Content.assemble/styled, Text(...), Text.assemble
SENTENCE = re.compile(r"[A-Za-z]{3,}\W+[A-Za-z]{2,}")  # two words: a phrase, not a style or key


def unwrapped_pieces() -> list[str]:
    """English phrases given as pieces of a Content or Text (a tuple's first item is text)."""
    found = []
    for path in sorted(TUI.rglob("*.py")):
        if "cli" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or _name(node.func) not in PIECES:
                continue
            for arg in node.args[:1] if _name(node.func) != "assemble" else node.args:
                item = arg.elts[0] if isinstance(arg, ast.Tuple) and arg.elts else arg
                text = _literal_words(item)
                if text and SENTENCE.search(text) and "/" not in text:  # paths stay as written
                    rel = path.relative_to(TUI.parent)
                    found.append(f"{rel}:{node.lineno}: {text[:50]!r}")
    return found


def test_content_pieces_are_translated() -> None:
    assert unwrapped_pieces() == []
