"""load -> save -> load keeps a segment equal, in order, and readable (Japanese stays Japanese)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from queries.core.catalog import build_catalog
from queries.segments.model import EventCond, FieldCond, Group, Not, Segment, SegmentRef
from queries.segments.parse import load_segment, segment_from_text

CATALOG = build_catalog()

DESIGN_EXAMPLE = """\
name: Lapsed gold members
description: Gold or platinum, bought skincare twice in 6 months, nothing in 30 days
where:
  all:
    - {field: loyalty_tier, op: in, value: [gold, platinum]}
    - {field: email_opt_in, op: is_true}
    - any:
        - {field: prefecture, op: in, value: [東京都, 大阪府]}
        - {field: points, op: ">=", value: 5000}
    - event: purchases
      where:
        all:
          - {field: category, op: "=", value: skincare}
      count: {op: ">=", value: 2}
      within: 180d
    - not:
        event: orders
        within: 30d
    - segment: vip            # another file in segments/, by its stem
"""

OTHERS = {
    "everyone": "name: Everyone\nwhere: {all: []}\n",
    "nobody": "name: Nobody\nwhere: {any: []}\n",
    "japanese": (
        "name: 東京の優良顧客\ndescription: 髙橋さん・山﨑さん向け 𠮷野家クーポン\n"
        "where:\n  all:\n    - {field: prefecture, op: '=', value: 東京都}\n"
        "    - {field: family_name, op: in, value: [髙橋, 山﨑, 𠮷野]}\n"
        "    - event: web\n"
        "      where: {all: [{field: search_term, op: contains, value: 化粧水}]}\n"
    ),
    "dates": (
        "name: Dates\nwhere:\n  all:\n"
        "    - {field: birth_date, op: between, value: [1980-01-01, 1999-12-31]}\n"
        "    - {field: signup_at, op: 'on', value: 2026-02-25}\n"
        "    - {field: birth_date, op: month_in, value: [12, 1, 2]}\n"
        "    - {field: birth_date, op: anniversary_within, value: 7d}\n"
        "    - {field: signup_at, op: more_than_ago, value: 1y}\n"
        "    - event: orders\n      within: {from: 2025-12-01, to: 2026-01-15}\n"
    ),
    "aggregates": (
        "name: Aggregates\nwhere:\n  any:\n"
        "    - event: orders\n      count: {op: between, value: [0, 1]}\n"
        "      aggregate: {fn: sum, field: total, op: '<', value: 2000}\n"
        "    - event: orders\n"
        "      aggregate: {fn: count_distinct, field: channel, op: '>=', value: 2}\n"
        "    - event: nps\n      aggregate: {fn: avg, field: score, op: '<', value: 7.5}\n"
        "    - not:\n        not:\n          any:\n            - {segment: vip}\n"
        "            - {field: points, op: not_in, value: [300, 100, 200]}\n"
    ),
    "tricky_strings": (
        "name: 'Tricky: strings # not a comment'\ndescription: \"line one\\nline two\"\n"
        "where:\n  all:\n"
        "    - {field: loyalty_tier, op: in, value: ['yes', 'no', 'on', 'null', '~', '001', '1.0',"
        " 'true', '- x', 'a: b', '#tag', \"'quote\", ' lead', '', '2026-01-01']}\n"
        "    - {field: family_name, op: '=', value: \"O'Brien\"}\n"
        "    - {field: email, op: contains, value: 'back\\\\slash'}\n"
        "    - {field: email, op: starts_with, value: '%_!'}\n"
        "    - {field: email, op: '!=', value: \"'; DROP TABLE customers; --\"}\n"
    ),
    "numbers": (
        "name: Numbers\nwhere:\n  all:\n"
        "    - {field: points, op: '>', value: -5}\n"
        "    - {field: points, op: '<=', value: 1.5}\n"
        "    - {field: points, op: between, value: [0, 1000]}\n"
        "    - {field: points, op: in, value: [3, 1, 2]}\n"
    ),
}

ALL_TEXTS = {"design_example": DESIGN_EXAMPLE, **OTHERS}


def _roundtrip(tmp_path: Path, text: str) -> tuple[Segment, Segment, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "src.yaml"
    src.write_text(text, encoding="utf-8")
    first = load_segment(src, CATALOG)
    saved = first.save(tmp_path / "out" / "saved.yaml")
    second = load_segment(saved, CATALOG)
    return first, second, saved.read_text(encoding="utf-8")


def _same(a: Segment, b: Segment) -> None:
    assert a.name == b.name
    assert a.description == b.description
    assert a.where == b.where
    assert a.extra == b.extra


@pytest.mark.parametrize("name", list(ALL_TEXTS))
def test_load_save_load_is_equal(tmp_path, name):
    first, second, saved_text = _roundtrip(tmp_path, ALL_TEXTS[name])
    _same(first, second)
    # saving again gives the same text: the format is a fixed point
    assert second.to_yaml() == saved_text
    # and the saved text is plain YAML any tool can read
    assert yaml.safe_load(saved_text)["name"] == first.name


def test_equality_ignores_line_numbers():
    a = segment_from_text("name: x\nwhere:\n  all:\n    - {field: points, op: is_null}\n", CATALOG)
    b = segment_from_text(
        "name: x\n\n\n\nwhere:\n\n  all:\n\n    - field: points\n      op: is_null\n", CATALOG
    )
    assert a.where.children[0].line != b.where.children[0].line
    assert a.where == b.where


def test_design_example_model(tmp_path):
    _, second, saved = _roundtrip(tmp_path, DESIGN_EXAMPLE)
    where = second.where
    assert isinstance(where, Group) and where.kind == "all"
    tier, optin, anyg, purchases, notg, ref = where.children
    assert tier == FieldCond("loyalty_tier", "in", ["gold", "platinum"])
    assert optin == FieldCond("email_opt_in", "is_true")
    assert anyg.kind == "any"
    assert isinstance(purchases, EventCond) and purchases.within == "180d"
    assert purchases.count.op == ">=" and purchases.count.value == 2
    assert isinstance(notg, Not) and notg.child == EventCond("orders", within="30d")
    assert ref == SegmentRef("vip")
    # the saved file keeps the documented shape: one-line conditions in flow style
    assert "- {field: loyalty_tier, op: in, value: [gold, platinum]}" in saved
    assert "- {segment: vip}" in saved


def test_key_and_value_order_preserved(tmp_path):
    _, _, saved = _roundtrip(tmp_path, DESIGN_EXAMPLE)
    lines = saved.splitlines()
    assert lines[0].startswith("name:")
    assert lines[1].startswith("description:")
    assert lines[2] == "where:"
    # conditions in their original order
    order = [
        saved.index("loyalty_tier"),
        saved.index("email_opt_in"),
        saved.index("prefecture"),
        saved.index("purchases"),
        saved.index("event: orders"),
        saved.index("segment: vip"),
    ]
    assert order == sorted(order)
    # within a condition: field, op, value; within an event: event, where, count, within
    assert saved.index("field: prefecture") < saved.index("op: in, value: [東京都")
    ev = saved[saved.index("event: purchases") :]
    assert ev.index("where:") < ev.index("count:") < ev.index("within: 180d")
    # list values keep their order (not sorted)
    assert "[東京都, 大阪府]" in saved
    _, _, saved2 = _roundtrip(tmp_path / "n", OTHERS["numbers"])
    assert "[3, 1, 2]" in saved2


def test_japanese_stays_readable(tmp_path):
    _, second, saved = _roundtrip(tmp_path, OTHERS["japanese"])
    assert "\\u" not in saved and "\\U" not in saved
    for text in ("東京の優良顧客", "髙橋さん・山﨑さん向け", "𠮷野", "東京都", "化粧水", "山﨑"):
        assert text in saved
    assert second.name == "東京の優良顧客"
    raw = (tmp_path / "out" / "saved.yaml").read_bytes()
    assert "東京都".encode() in raw


def test_tricky_strings_survive(tmp_path):
    first, second, _ = _roundtrip(tmp_path, OTHERS["tricky_strings"])
    _same(first, second)
    tiers = second.where.children[0].value
    assert tiers == [
        "yes",
        "no",
        "on",
        "null",
        "~",
        "001",
        "1.0",
        "true",
        "- x",
        "a: b",
        "#tag",
        "'quote",
        " lead",
        "",
        "2026-01-01",
    ]
    assert all(isinstance(t, str) for t in tiers)
    assert second.name == "Tricky: strings # not a comment"
    assert second.description == "line one\nline two"
    assert second.where.children[2].value == "back\\\\slash"


def test_dates_stay_dates(tmp_path):
    _, second, saved = _roundtrip(tmp_path, OTHERS["dates"])
    between = second.where.children[0]
    assert between.value == [date(1980, 1, 1), date(1999, 12, 31)]
    assert second.where.children[1].op == "on"
    rng = second.where.children[-1].within
    assert rng == {"from": date(2025, 12, 1), "to": date(2026, 1, 15)}
    assert "{from: 2025-12-01, to: 2026-01-15}" in saved


def test_operators_needing_quotes_are_quoted(tmp_path):
    _, _, saved = _roundtrip(tmp_path, DESIGN_EXAMPLE)
    # `>=` must not start a plain scalar (`>` is YAML's folded-block indicator)
    assert "op: '>='" in saved or 'op: ">="' in saved
    assert yaml.safe_load(saved)


def test_model_built_in_code_saves_and_loads(tmp_path):
    seg = Segment(
        "Built in code",
        Group(
            "all",
            (
                FieldCond("prefecture", "in", ["東京都", "大阪府"]),
                Not(EventCond("orders", within="30d")),
                EventCond(
                    "purchases",
                    where=Group("all", (FieldCond("category", "=", "skincare"),)),
                    within={"from": date(2026, 1, 1), "to": date(2026, 1, 31)},
                ),
            ),
        ),
        "説明",
    )
    path = seg.save(tmp_path / "segments" / "built.yaml")
    assert path.is_file() and not list(path.parent.glob("*.partial"))
    again = load_segment(path, CATALOG)
    _same(seg, again)
    assert seg.path == path
    assert seg.stem == "built"
