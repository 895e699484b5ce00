"""An HTML email body as a reader sees it: text, paragraphs, line breaks, links as `text (url)`.

Built on the standard library's `html.parser` (a real tokenizer: attributes, entities and
comments are read as a browser reads them), so the preview never shows tags and never hides
where a link goes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
HIDDEN = frozenset({"head", "script", "style", "template", "title", "noscript"})
CELLS = frozenset({"td", "th"})
_SPACE = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace (not the ideographic space U+3000)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in BLOCKS:
            self.out.append("\n\n")
        elif tag == "li":
            self.out.append("\n• ")
        elif tag in CELLS:
            self.out.append(" ")
        elif tag == "img" and a.get("alt"):
            self.out.append(f"[{a['alt']}]")
        elif tag == "a":
            self.links.append(((a.get("href") or "").strip(), len(self.out)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            return  # <script/>: nothing to hide
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.out.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = _SPACE.sub(" ", "".join(self.out[start:])).strip()
            if shown_url(href) and href not in (text, f"mailto:{text}"):
                self.out.append(f" ({href})" if text else href)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(_SPACE.sub(" ", data))


def shown_url(href: str) -> bool:
    """A link worth showing: not empty, not an in-page anchor, not a script."""
    return bool(href) and not href.startswith("#") and not href.lower().startswith("javascript:")


def html_to_text(source: str) -> str:
    """The body as plain text: blocks as paragraphs, <br> as a line break, links as text (url)."""
    reader = _Reader()
    reader.feed(source)
    reader.close()
    lines = [ln.strip(" ") for ln in "".join(reader.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
