"""Templates: clear errors with line and column, limits, fallbacks, escaping, column rendering."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from queries.campaigns.personalize import (
    LiquidError,
    TemplateError,
    compile_template,
    describe_error,
    is_html,
    render_columns,
)
from queries.core.errors import Location

FIELDS = [
    "family_name",
    "given_name",
    "points",
    "coupon",
    "send_date",
    "favorite_category",
    "email_opt_in",
    "last_order_at",
    "avg_order_value",
    "variant",
]
LOC = Location("campaigns/c.yaml", 12, "what.variants[0].text")


def compile_(source: str, autoescape: bool = False, inline: bool = True):
    loc = LOC if inline else Location("templates/t.liquid", None, "what.variants[0].body_file")
    return compile_template(source, "text", loc, FIELDS, autoescape, inline)


def error(source: str, inline: bool = True) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        compile_(source, inline=inline)
    return info.value


def test_syntax_error_names_line_and_column_in_a_file() -> None:
    e = error("こんにちは\n{{ family_name }}様\n{% if points > 100 %}\nたくさん", inline=False)
    assert e.loc.file == "templates/t.liquid" and e.loc.line == 3
    assert "`{% if %}` is never closed: add `{% endif %}`" in str(e)
    assert (e.template_line, e.column) == (3, 1)
    e = error("a\n  {{ points | }}", inline=False)
    assert e.loc.line == 2 and e.column == 3 and "column 3" in str(e)
    e = error("x {% endfor %}", inline=False)
    assert "unexpected tag 'endfor'" in str(e) and e.column == 6


def test_inline_errors_point_into_the_campaign_file() -> None:
    e = error("{{ family_name }様")
    assert str(e).startswith("campaigns/c.yaml:12 at `what.variants[0].text`:")
    assert "template line 1" in str(e)


def test_unknown_variable_suggests_the_field() -> None:
    e = error("{{ family_name }}様\nこんにちは {{ givn_name | default: 'お客' }}")
    assert "unknown variable `givn_name`" in str(e)
    assert "template line 2, column 10" in str(e)
    assert e.hint == "did you mean `given_name`?"


def test_unknown_filter_is_caught_early() -> None:
    e = error("{{ points | upcasee }}")
    assert "unknown filter `upcasee`" in str(e) and e.hint == "did you mean `upcase`?"


@pytest.mark.parametrize("tag", ["include", "render"])
def test_no_loading_other_templates(tag: str) -> None:
    e = error(f"hello\n{{% {tag} 'footer' %}}")
    assert f"`{tag}` is not allowed" in str(e) and "template line 2, column 4" in str(e)


def test_local_variables_are_not_unknown() -> None:
    t = compile_("{% assign x = points | plus: 1 %}{% for i in (1..2) %}{{ i }}{% endfor %}{{ x }}")
    assert t.fields == ["points"]
    assert t.render({"points": 1})[0] == "122"


def test_runaway_loop_is_stopped() -> None:
    t = compile_("{% for i in (1..1000000) %}x{% endfor %}")
    with pytest.raises(LiquidError) as info:
        t.render({})
    assert describe_error(t, info.value) == "loop iteration limit reached (line 1, column 4)"


def test_output_limit_stops_huge_output() -> None:
    t = compile_("{% for i in (1..5000) %}{{ family_name }}{% endfor %}")
    with pytest.raises(LiquidError, match="output stream limit"):
        t.render({"family_name": "x" * 1000})


def test_dynamic_undefined_is_reported_at_render() -> None:
    t = compile_("{% if points > 10 %}{% assign tier = 'VIP' %}{% endif %}{{ tier }}")
    assert t.render({"points": 50})[0] == "VIP"
    with pytest.raises(LiquidError) as info:
        t.render({"points": 1})
    assert describe_error(t, info.value) == "'tier' is undefined (line 1, column 60)"


def test_fallbacks_fire_and_are_counted() -> None:
    t = compile_("{{ given_name | default: 'お客' }}様 {{ points | default: 0 }}pt")
    first = next(iter(t.sites))
    assert t.render({"given_name": None, "points": 0}) == ("お客様 0pt", [first])
    assert t.render({"given_name": "", "points": None})[0] == "お客様 0pt"
    assert t.render({"given_name": "花子", "points": 5}) == ("花子様 5pt", [])
    labels = [s.label for s in t.sites.values()]
    assert labels == ["given_name | default: 'お客'", "points | default: 0"]


def test_html_bodies_escape_values_not_markup() -> None:
    src = "<p>{{ family_name }}様</p>"
    assert is_html(src) and not is_html("a < b and c > d")
    t = compile_(src, autoescape=True)
    assert t.render({"family_name": "<b>O'Brien & Co</b>"})[0] == (
        "<p>&lt;b&gt;O&#39;Brien &amp; Co&lt;/b&gt;様</p>"
    )


KINDS = {
    "text": [None, "", "佐藤", "O'Brien <&>", "佐藤", "   "],
    "int": [None, 0, 12345, -1, 0, 7],
    "float": [None, 0.0, 2.5, 1e20, -0.5, 1 / 3],
    "bool": [None, True, False, True],
    "decimal": [None, Decimal("10.50"), Decimal("0"), Decimal("-3")],
    "date": [None, date(2026, 2, 28), date(2026, 3, 1)],
    "datetime": [None, datetime(2026, 3, 1, 9, 5), datetime(2025, 12, 31, 23, 59, 59)],
}
DATED = {
    "send_date": [date(2026, 1, d) for d in (1, 2, 3)],
    "last_order_at": [datetime(2026, 1, 1, 10), None, datetime(2026, 2, 3)],
}


@pytest.mark.parametrize("autoescape", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "source",
    [
        "{{ family_name }}様 {{ given_name | default: 'お客' }}",
        "{{ points }} / {{ points | default: 'なし' }} / {{ points | size | default: 0 }}",
        "{{ email_opt_in }} {{ email_opt_in | default: 'no' }} {{ avg_order_value }}",
        "{{ send_date | date: '%Y年%m月%d日' }} {{ last_order_at | default: 'never' }}",
        "{ {{ favorite_category | default: 'ALL' }} } {{ coupon | append: '!' }}",
        "no variables at all {}",
    ],
)
def test_column_rendering_matches_python_liquid(source: str, kind: str, autoescape: bool) -> None:
    t = compile_(source, autoescape)
    values = KINDS[kind]
    cols = {f: DATED.get(f, values) for f in t.fields}
    n = len(next(iter(cols.values()), values))
    cols = {f: (c * n)[:n] for f, c in cols.items()}
    fired: dict[int, int] = {}
    fast = render_columns(t, cols, n, fired)
    slow_fired: dict[int, int] = {}
    slow = []
    for i in range(n):
        text, sites = t.render({f: cols[f][i] for f in cols})
        slow.append(text)
        for s in sites:
            slow_fired[s] = slow_fired.get(s, 0) + 1
    assert fast == slow
    assert fired == slow_fired


def test_equal_values_that_render_differently_are_not_merged() -> None:
    t = compile_("{{ points }}|{{ points | plus: 0 }}|{{ points | truncate: 3 }}")
    values = [1, True, 1.0, -0.0, 0.0, Decimal("1.0"), Decimal("1.00"), 0, False, -0.0]
    fast = render_columns(t, {"points": values}, len(values), {})
    slow = [t.render({"points": v})[0] for v in values]
    assert fast == slow and fast[3] != fast[4]


def test_templates_split_into_pieces() -> None:
    assert not compile_("{% if points %}x{% endif %}").plan.whole
    assert not compile_("{{ points | plus: points }}").plan.whole
    plan = compile_("{% assign a = points %}{{ family_name }}{{ a }}").plan
    assert [p.fields for p in plan.pieces] == [("family_name",), ("points",)]
    assert compile_("{% capture x %}{{ points }}{% endcapture %}{{ x }}").plan.whole


def test_html_quoted_arguments_are_markup_as_in_preview() -> None:
    t = compile_(
        '<p>{{ family_name | append: "&nbsp;様" }}{{ coupon | prepend: "<strong>" }}</p>', True
    )
    cols = {"family_name": ["木村", "<b>"], "coupon": ["C1", "C&2"]}
    out = render_columns(t, cols, 2, {})
    assert out[0] == "<p>木村&nbsp;様<strong>C1</p>"
    assert out == [t.render({f: cols[f][i] for f in cols})[0] for i in range(2)]
