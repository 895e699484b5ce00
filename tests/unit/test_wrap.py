"""Japanese line breaking (kinsoku) in the preview, and HTML bodies as a reader sees them."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from queries.campaigns.html_text import html_to_text
from tui.wrap import NO_END, NO_START, wrap

MESSAGE = (
    "いつも Kizuna Beauty をご利用いただき、ありがとうございます。しばらくお買い物のご利用が"
    "ないようでしたので、感謝の気持ちを込めてクーポンをお届けします。「限定」クーポン（10%OFF）"
    "は、ショップ・アプリでご利用ください！ https://shop.example.jp/?utm_campaign=winback_2026_11"
)


@pytest.mark.parametrize("width", range(8, 60))
def test_no_line_starts_with_a_closing_mark_or_ends_with_an_opening_one(width) -> None:
    lines = wrap(MESSAGE, width).split("\n")
    for line in lines:
        assert cell_len(line) <= width, line
    for line in lines[1:]:
        assert line[0] not in NO_START, (width, lines)
    for line in lines[:-1]:
        assert line[-1] not in NO_END, (width, lines)
    assert "".join(lines).replace(" ", "") == MESSAGE.replace(" ", "")


def test_a_full_stop_that_would_start_a_line_takes_the_character_before_with_it() -> None:
    # 10 cells: ありがとう (10) fits, 。 would start line 2: う goes down with it
    assert wrap("ありがとう。またね", 10) == "ありがと\nう。またね"
    assert wrap("「はい」と", 4) == "「は\nい」\nと"


def test_latin_words_break_at_spaces_and_paragraphs_stay() -> None:
    assert wrap("Kizuna Beauty shop\n\nこんにちは", 14) == "Kizuna Beauty\nshop\n\nこんにちは"


def test_html_body_as_a_reader_sees_it() -> None:
    source = (
        "<html><head><style>p { color: red }</style><title>t</title></head><body>"
        "<h1>Hi &amp; welcome</h1><ul><li>one</li><li>two</li></ul>"
        '<p>See <a href="https://x.jp/a?b=1&amp;c=2">our shop</a> or '
        '<a href="https://x.jp">https://x.jp</a>.<br>Bye</p>'
        '<p><a href="#top">top</a> <a href="mailto:a@x.jp">a@x.jp</a></p></body></html>'
    )
    assert html_to_text(source) == (
        "Hi & welcome\n\n• one\n• two\n\n"
        "See our shop (https://x.jp/a?b=1&c=2) or https://x.jp.\nBye\n\ntop a@x.jp"
    )


def test_html_whitespace_collapses_but_not_the_ideographic_space() -> None:
    assert html_to_text("<p>三*\n   裕*\u3000様</p>") == "三* 裕*\u3000様"
