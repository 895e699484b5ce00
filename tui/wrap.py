"""Wrap message text to a display width with Japanese line breaking (kinsoku shori).

A Japanese reader expects no line to start with 。、」）ー or a small kana, and none to end with
「（. The sets are JIS X 4051's: line-start prohibited = closing brackets (cl-02), hyphens
(cl-03), dividing punctuation (cl-04), middle dots (cl-05), full stops (cl-06), commas
(cl-07), iteration marks (cl-09), the prolonged sound mark (cl-10) and small kana (cl-11);
line-end prohibited = opening brackets (cl-01). A break that would violate them moves earlier
(oidashi: the character before goes down with it). Widths are display cells (kanji take two).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len

CLOSING = "’”）〕］｝〉》」』】〙〗〟｠»)]}"
HYPHENS = "‐〜゠–～"
DIVIDING = "？！‼⁇⁈⁉?!"
MIDDLE_DOTS = "・：；:;"
FULL_STOPS = "。．."
COMMAS = "、，,"
ITERATION = "ヽヾゝゞ々〻"
PROLONGED = "ー"
SMALL_KANA = "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
NO_START = frozenset(
    CLOSING
    + HYPHENS
    + DIVIDING
    + MIDDLE_DOTS
    + FULL_STOPS
    + COMMAS
    + ITERATION
    + PROLONGED
    + SMALL_KANA
)
NO_END = frozenset("‘“（〔［｛〈《「『【〘〖〝｟«([{")


def _latin(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


def _can_break(before: str, after: str) -> bool:
    """A line may end with `before` and the next start with `after`."""
    if after.isspace() or before.isspace():
        return True
    if after in NO_START or before in NO_END:
        return False
    return not (_latin(before) and _latin(after))  # inside a Latin word or a URL


def _kinsoku_ok(before: str, after: str) -> bool:
    """The kinsoku rules alone (to cut a long URL or word somewhere decent)."""
    return after not in NO_START and before not in NO_END


def _cut(seq: str, last: int, ok: Callable[[str, str], bool]) -> int:
    """The latest break in `seq[:last + 1]` that `ok` allows (0: none)."""
    return next((i for i in range(last, 0, -1) if ok(seq[i - 1], seq[i])), 0)


def wrap_line(line: str, width: int) -> list[str]:
    """One paragraph as lines of at most `width` cells (a longer unbreakable run is cut)."""
    width = max(width, 2)
    out: list[str] = []
    cur = ""
    for ch in line:
        if cell_len(cur + ch) <= width:
            cur += ch
            continue
        seq = cur + ch
        cut = _cut(seq, len(cur), _can_break) or _cut(seq, len(cur), _kinsoku_ok) or len(cur)
        out.append(cur[:cut].rstrip(" "))
        cur = seq[cut:].lstrip(" ")
        while cell_len(cur) > width:  # a single overlong run after the carry
            out.append(cur[:-1])
            cur = cur[-1:]
    out.append(cur.rstrip(" ") if out else cur)
    return out


def wrap(text: str, width: int) -> str:
    """Every line of `text` wrapped to `width` cells with the kinsoku rules."""
    return "\n".join(w for line in text.split("\n") for w in wrap_line(line, width))
