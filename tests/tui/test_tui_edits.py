"""Unit tests for the builder's pure helpers: tree edits, typed values, key maps."""

from __future__ import annotations

import pytest

from queries.segments.model import FieldCond, Group, Not, SegmentRef
from tui.keymap import bind, binding_ids, read_keymap
from tui.screens.builder.event import flat_filters, parse_within
from tui.widgets import edits
from tui.widgets.value_parse import parse_list, parse_number, parse_scalar, parse_window

A = FieldCond("points", ">=", 1)
B = FieldCond("loyalty_tier", "=", "gold")
C = SegmentRef("vip")
ROOT = Group("all", (A, Group("any", (B, C))))


def test_get_insert_remove():
    assert edits.get(ROOT, (1, 0)) == B
    assert edits.insertion_point(ROOT, (0,)) == ((), 1)
    assert edits.insertion_point(ROOT, (1,)) == ((1,), 2)  # inside a selected group
    assert edits.insertion_point(ROOT, (1, 1)) == ((1,), 2)
    new, path = edits.insert(ROOT, (1,), 2, A)
    assert path == (1, 2) and edits.get(new, path) == A
    new, path = edits.remove(ROOT, (1, 0))
    assert new == Group("all", (A, Group("any", (C,)))) and path == (1, 0)
    new, path = edits.remove(new, (1, 0))
    assert new == Group("all", (A, Group("any"))) and path == (1,)
    with pytest.raises(ValueError):
        edits.remove(ROOT, ())
    assert Group("all", (A, Group("any", (B, C)))) == ROOT  # never mutated


def test_move_wrap_negate_toggle():
    moved, path = edits.move(ROOT, (0,), 1)
    assert moved.children[1] == A and path == (1,)
    assert edits.move(ROOT, (0,), -1) is None  # at the edge
    wrapped, path = edits.wrap(ROOT, (0,), "any")
    assert edits.get(wrapped, (0,)) == Group("any", (A,))
    negated, path = edits.toggle_not(ROOT, (0,))
    assert edits.get(negated, (0,)) == Not(A)
    back, path = edits.toggle_not(negated, (0, 0))  # from the child, the not goes
    assert back == ROOT and path == (0,)
    flipped, _ = edits.toggle_kind(ROOT, (1,))
    assert edits.get(flipped, (1,)).kind == "all"
    with pytest.raises(ValueError):
        edits.toggle_kind(ROOT, (0,))
    # removing the only child of a `not` removes the `not`
    new, _ = edits.remove(negated, (0, 0))
    assert new == Group("all", (Group("any", (B, C)),))


def test_normalize_and_references():
    assert edits.normalize_root(A) == Group("all", (A,))
    from queries.segments.model import Segment

    assert edits.referenced(Segment("x", ROOT)) == {"vip"}


@pytest.mark.parametrize(
    "text,value",
    [("5000", 5000), ("５，０００", 5000), ("¥1,200", 1200), ("-3", -3), ("0.25", 0.25)],
)
def test_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "5千", "nan", "1e999"])
def test_bad_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_dates_lists_windows():
    assert parse_scalar("date", "2026/03/01") == "2026-03-01"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_scalar("date", "March 1st")
    assert parse_list("string", "東京都、大阪府, 北海道") == ["東京都", "大阪府", "北海道"]
    assert parse_list("number", "1, 2,3") == [1, 2, 3]
    assert parse_window(" 30 D ") == "30d"
    assert parse_within("") is None
    assert parse_within("2026-01-01..2026-02-01") == {"from": "2026-01-01", "to": "2026-02-01"}
    assert parse_within("6MO") == "6mo"


def test_flat_filters():
    assert flat_filters(None) == []
    assert flat_filters(B) == [B]
    assert flat_filters(Group("all", (A, B))) == [A, B]
    assert flat_filters(Group("any", (A, B))) is None  # kept as is, not flattened


class _Owner:
    BINDINGS = [bind("f", "x", "X", id="owner.x"), bind("g", "y", "Y", id="owner.y")]


def test_keymap_reading():
    known = binding_ids([_Owner])
    keymap, problems = read_keymap({"owner.x": "f5, ctrl+k", "nope": "z", "owner.y": 3}, known)
    assert keymap == {"owner.x": "f5,ctrl+k"}
    assert len(problems) == 2 and "nope" in problems[0]
