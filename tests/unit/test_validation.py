"""Bad segment files: every error names the file, the line and the field path, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.campaigns.validate import validate_file
from queries.core.catalog import build_catalog
from queries.core.errors import SegmentCycle, SegmentError, UnknownField, UnknownSegment
from queries.segments.parse import load_segment
from tests.segtools import private_workspace
from tui.cli.main import app

CATALOG = build_catalog()

HEAD = "name: Bad\nwhere:\n  all:\n"

# (id, file text, line, field path, message fragment, hint fragment, error class)
CASES = [
    (
        "unknown_field",
        HEAD + "    - {field: loyalty_teir, op: '=', value: gold}\n",
        4,
        "where.all[0].field",
        "unknown field `loyalty_teir`",
        "did you mean `loyalty_tier`?",
        UnknownField,
    ),
    (
        "wrong_op_for_type",
        HEAD + "    - {field: points, op: contains, value: 5}\n",
        4,
        "where.all[0].op",
        "does not apply to number field `points`",
        "use one of",
        SegmentError,
    ),
    (
        "wrong_op_for_boolean",
        HEAD + "    - {field: email_opt_in, op: '=', value: true}\n",
        4,
        "where.all[0].op",
        "does not apply to boolean field",
        "is_true",
        SegmentError,
    ),
    (
        "unknown_operator",
        HEAD + "    - {field: email, op: start_with, value: a}\n",
        4,
        "where.all[0].op",
        "unknown operator `start_with`",
        "did you mean `starts_with`?",
        SegmentError,
    ),
    (
        "unknown_operator_number",
        HEAD + "    - {field: points, op: betwen, value: [1, 2]}\n",
        4,
        "where.all[0].op",
        "unknown operator `betwen`",
        "did you mean `between`?",
        SegmentError,
    ),
    (
        "text_for_number",
        HEAD + "    - {field: points, op: '>', value: lots}\n",
        4,
        "where.all[0].value",
        "expected a number, got `lots`",
        None,
        SegmentError,
    ),
    (
        "number_for_text",
        HEAD + "    - {field: prefecture, op: '=', value: [東京都]}\n",
        4,
        "where.all[0].value",
        "expected text",
        None,
        SegmentError,
    ),
    (
        "bad_date",
        HEAD + "    - {field: birth_date, op: before, value: yesterday}\n",
        4,
        "where.all[0].value",
        "expected a date like 2026-11-01",
        None,
        SegmentError,
    ),
    (
        "bad_window_field",
        HEAD + "    - {field: signup_at, op: in_last, value: 30days}\n",
        4,
        "where.all[0].value",
        "`30days` is not a window",
        None,
        SegmentError,
    ),
    (
        "bad_window_event",
        HEAD + "    - event: orders\n      within: 30days\n",
        5,
        "where.all[0].within",
        "`30days` is not a window",
        None,
        SegmentError,
    ),
    (
        "between_lo_above_hi",
        HEAD + "    - {field: points, op: between, value: [500, 100]}\n",
        4,
        "where.all[0].value",
        "low 500 is above high 100",
        None,
        SegmentError,
    ),
    (
        "between_wrong_length",
        HEAD + "    - {field: points, op: between, value: [1, 2, 3]}\n",
        4,
        "where.all[0].value",
        "needs two values",
        None,
        SegmentError,
    ),
    (
        "between_dates_reversed",
        HEAD + "    - {field: birth_date, op: between, value: [2000-01-01, 1990-01-01]}\n",
        4,
        "where.all[0].value",
        "is above high",
        None,
        SegmentError,
    ),
    (
        "empty_in_list",
        HEAD + "    - {field: points, op: in, value: []}\n",
        4,
        "where.all[0].value",
        "non-empty list",
        None,
        SegmentError,
    ),
    (
        "missing_where",
        "name: Bad\ndescription: no where\n",
        1,
        "",
        "needs a `where`",
        None,
        SegmentError,
    ),
    (
        "missing_op",
        HEAD + "    - {field: points, value: 1}\n",
        4,
        "where.all[0]",
        "has no `op`",
        "one of",
        SegmentError,
    ),
    (
        "missing_value",
        HEAD + "    - {field: points, op: '>'}\n",
        4,
        "where.all[0]",
        "needs a value",
        None,
        SegmentError,
    ),
    (
        "unknown_top_level_key",
        "name: Bad\ndescripton: typo\nwhere: {all: []}\n",
        2,
        "descripton",
        "unexpected key `descripton`",
        "did you mean `description`?",
        SegmentError,
    ),
    (
        "unknown_node_key",
        HEAD + "    - {field: points, op: '>', value: 1, vale: 2}\n",
        4,
        "where.all[0].vale",
        "unexpected key `vale`",
        "did you mean `value`?",
        SegmentError,
    ),
    (
        "misspelt_node_kind",
        HEAD + "    - {feild: points, op: is_null}\n",
        4,
        "where.all[0]",
        "needs one of all/any/not/field/event/segment",
        "did you mean `field`?",
        SegmentError,
    ),
    (
        "two_node_kinds",
        HEAD + "    - {field: points, op: '>', value: 1, segment: vip}\n",
        4,
        "where.all[0]",
        "exactly one of field, segment",
        None,
        SegmentError,
    ),
    (
        "group_not_a_list",
        "name: Bad\nwhere:\n  all: {field: points, op: is_null}\n",
        3,
        "where.all",
        "takes a list",
        None,
        SegmentError,
    ),
    (
        "month_out_of_range",
        HEAD + "    - {field: birth_date, op: month_in, value: [12, 13]}\n",
        4,
        "where.all[0].value",
        "`13` is not a month",
        None,
        SegmentError,
    ),
    (
        "month_zero",
        HEAD + "    - {field: birth_date, op: month_in, value: [0]}\n",
        4,
        "where.all[0].value",
        "`0` is not a month",
        None,
        SegmentError,
    ),
    (
        "anniversary_in_months",
        HEAD + "    - {field: birth_date, op: anniversary_within, value: 1mo}\n",
        4,
        "where.all[0].value",
        "days or weeks",
        None,
        SegmentError,
    ),
    (
        "unknown_event_source",
        HEAD + "    - {event: order, within: 30d}\n",
        4,
        "where.all[0].event",
        "unknown event source `order`",
        "did you mean `orders`?",
        SegmentError,
    ),
    (
        "unknown_event_field",
        HEAD + "    - event: orders\n      where:\n        all:\n"
        "          - {field: totl, op: '>', value: 1}\n",
        7,
        "where.all[0].where.all[0].field",
        "unknown field `totl` in event `orders`",
        "did you mean `total`?",
        UnknownField,
    ),
    (
        "customer_field_in_event_where",
        HEAD + "    - event: orders\n      where: {all: [{field: loyalty_tier, op: is_null}]}\n",
        5,
        "where.all[0].where.all[0].field",
        "unknown field `loyalty_tier` in event `orders`",
        None,
        UnknownField,
    ),
    (
        "event_inside_event_where",
        HEAD + "    - event: orders\n      where: {all: [{event: web}]}\n",
        5,
        "where.all[0].where.all[0]",
        "cannot appear inside an event's where",
        None,
        SegmentError,
    ),
    (
        "value_on_is_true",
        HEAD + "    - {field: email_opt_in, op: is_true, value: true}\n",
        4,
        "where.all[0].value",
        "`is_true` takes no value",
        None,
        SegmentError,
    ),
    (
        "value_on_is_null",
        HEAD + "    - {field: points, op: is_null, value: 0}\n",
        4,
        "where.all[0].value",
        "`is_null` takes no value",
        None,
        SegmentError,
    ),
    (
        "duplicate_key",
        "name: Bad\nwhere: {all: []}\nname: Again\n",
        3,
        "name",
        "`name` appears twice",
        None,
        SegmentError,
    ),
    (
        "duplicate_key_in_condition",
        HEAD + "    - {field: points, op: '>', op: '<', value: 1}\n",
        4,
        "op",
        "`op` appears twice",
        None,
        SegmentError,
    ),
    (
        "count_text",
        HEAD + "    - event: orders\n      count: {op: '>=', value: two}\n",
        5,
        "where.all[0].count.value",
        "expected a number, got `two`",
        None,
        SegmentError,
    ),
    (
        "count_negative",
        HEAD + "    - event: orders\n      count: {op: '>=', value: -1}\n",
        5,
        "where.all[0].count.value",
        "whole numbers",
        None,
        SegmentError,
    ),
    (
        "count_bad_comparison",
        HEAD + "    - event: orders\n      count: {op: '=>', value: 1}\n",
        5,
        "where.all[0].count.op",
        "unknown comparison `=>`",
        "use one of",
        SegmentError,
    ),
    (
        "unknown_aggregate",
        HEAD
        + "    - event: orders\n      aggregate: {fn: summ, field: total, op: '>', value: 1}\n",
        5,
        "where.all[0].aggregate.fn",
        "unknown aggregate `summ`",
        "did you mean `sum`?",
        SegmentError,
    ),
    (
        "sum_of_text",
        HEAD
        + "    - event: orders\n      aggregate: {fn: sum, field: channel, op: '>', value: 1}\n",
        5,
        "where.all[0].aggregate.field",
        "`sum` needs a number field",
        None,
        SegmentError,
    ),
    (
        "range_reversed",
        HEAD + "    - event: orders\n      within: {from: 2026-02-01, to: 2026-01-01}\n",
        5,
        "where.all[0].within",
        "is after `to`",
        None,
        SegmentError,
    ),
    (
        "range_missing_to",
        HEAD + "    - event: orders\n      within: {from: 2026-02-01}\n",
        5,
        "where.all[0].within",
        "needs both `from` and `to`",
        None,
        SegmentError,
    ),
    (
        "not_a_mapping",
        HEAD + "    - just text\n",
        4,
        "where.all[0]",
        "expected a condition",
        None,
        SegmentError,
    ),
    (
        "name_missing",
        "description: x\nwhere: {all: []}\n",
        1,
        "",
        "needs a `name`",
        None,
        SegmentError,
    ),
    ("top_level_list", "- name: x\n", 1, "", "a segment file is a mapping", None, SegmentError),
]


def _write(tmp_path: Path, stem: str, text: str) -> Path:
    path = tmp_path / f"{stem}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "field", "message", "hint", "cls"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_segment_file(tmp_path, text, line, field, message, hint, cls):
    path = _write(tmp_path, "bad", text)
    with pytest.raises(cls) as err:
        load_segment(path, CATALOG)
    e = err.value
    assert e.loc.file == str(path)
    assert e.loc.line == line
    assert (e.loc.field or "") == field
    assert message in e.message
    if hint is not None:
        assert e.hint is not None and hint in e.hint
    # the rendered text carries all of it: file:line, `field`, message and hint
    text_out = e.render()
    assert text_out.startswith(f"{path}:{line}")
    if field:
        assert f"`{field}`" in text_out
    assert message in text_out
    if hint is not None:
        assert hint in text_out


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        # unclosed flow mapping: reported where the parser gave up
        (HEAD + "    - {field: points, op: '>', value: 5\n", 5, "expected ',' or '}'"),
        # a list item out of line
        (
            HEAD + "    - {field: points, op: is_null}\n   - {field: points, op: is_null}\n",
            5,
            "expected <block end>",
        ),
        ("name: x\nwhere:\n\tall: []\n", 3, "'\\t'"),
        ("name: x\ndescription: [unclosed\nwhere: {all: []}\n", 3, "expected ',' or ']'"),
    ],
)
def test_yaml_syntax_error_names_the_line(tmp_path, text, line, problem):
    path = _write(tmp_path, "broken", text)
    with pytest.raises(SegmentError) as err:
        load_segment(path, CATALOG)
    assert err.value.loc.file == str(path)
    assert err.value.loc.line == line
    assert "YAML syntax error" in err.value.message
    assert problem in err.value.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, text):
    path = _write(tmp_path, "empty", text)
    with pytest.raises(SegmentError) as err:
        load_segment(path, CATALOG)
    assert err.value.loc.file == str(path)
    assert "the file is empty" in err.value.message
    assert str(path) in err.value.render()


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(SegmentError, match="file not found"):
        load_segment(tmp_path / "nope.yaml", CATALOG)
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\nwhere: {all: []}\n".encode("latin-1"))
    with pytest.raises(SegmentError, match="not UTF-8") as err:
        load_segment(path, CATALOG)
    assert err.value.loc.file == str(path)


def test_error_inside_nested_groups_names_the_full_path(tmp_path):
    text = (
        "name: Deep\nwhere:\n  all:\n    - {field: points, op: is_null}\n    - any:\n"
        "        - {field: points, op: is_null}\n        - not:\n"
        "            all:\n              - {field: pointz, op: is_null}\n"
    )
    path = _write(tmp_path, "deep", text)
    with pytest.raises(UnknownField) as err:
        load_segment(path, CATALOG)
    assert err.value.loc.line == 9
    assert err.value.loc.field == "where.all[1].any[1].not.all[0].field"
    assert err.value.hint == "did you mean `points`?"


# -- validate_file: references and cycles need the workspace ----------------------------------


@pytest.fixture()
def ws(tmp_path, fixture_db):
    return private_workspace(tmp_path, fixture_db)


def test_validate_file_ok(ws):
    path = _write(
        ws / "segments",
        "vip",
        "name: VIP\nwhere: {all: [{field: points, op: '>=', value: 5000}]}\n",
    )
    seg = validate_file(path, ws)
    assert seg.name == "VIP"


def test_validate_unknown_segment_reference(ws):
    _write(ws / "segments", "vip", "name: VIP\nwhere: {all: []}\n")
    path = _write(ws / "segments", "main", "name: Main\nwhere:\n  all:\n    - segment: vipp\n")
    with pytest.raises(UnknownSegment) as err:
        validate_file(path, ws)
    e = err.value
    assert e.loc.file == str(path)
    assert e.loc.line == 4
    assert e.loc.field == "segment"
    assert "unknown segment `vipp`" in e.message
    assert e.hint == "did you mean `vip`?"


def test_validate_cycle(ws):
    a = _write(ws / "segments", "a", "name: A\nwhere:\n  all:\n    - {segment: b}\n")
    b = _write(ws / "segments", "b", "name: B\nwhere:\n  any:\n    - {segment: a}\n")
    with pytest.raises(SegmentCycle) as err:
        validate_file(a, ws)
    e = err.value
    assert "a → b → a" in e.message
    assert e.loc.file == str(b.resolve())
    assert e.loc.line == 4
    assert e.loc.field == "segment"


def test_validate_file_outside_segments_folder_resolves_in_workspace(ws, tmp_path):
    _write(
        ws / "segments",
        "vip",
        "name: VIP\nwhere: {all: [{field: points, op: '>=', value: 5000}]}\n",
    )
    elsewhere = tmp_path / "drafts"
    elsewhere.mkdir()
    path = _write(elsewhere, "draft", "name: Draft\nwhere: {all: [{segment: vip}]}\n")
    assert validate_file(path, ws).name == "Draft"


# -- the CLI: exit 1, a short message, no traceback ------------------------------------------

BAD_FOR_CLI = {
    "unknown_field": HEAD + "    - {field: loyalty_teir, op: '=', value: gold}\n",
    "yaml": HEAD + "    - {field: points, op: '>', value: 5\n",
    "empty": "",
    "cycle": "name: Loop\nwhere: {all: [{segment: cycle}]}\n",
    "unknown_ref": "name: Ref\nwhere: {all: [{segment: nowhere}]}\n",
}


def _no_traceback(result) -> None:
    for text in (result.stdout, result.stderr):
        assert "Traceback" not in text
        assert 'File "' not in text


@pytest.mark.parametrize("kind", list(BAD_FOR_CLI))
def test_cli_validate_bad_file_exits_1(ws, kind):
    path = _write(ws / "segments", kind, BAD_FOR_CLI[kind])
    result = CliRunner().invoke(app, ["validate", str(path), "--workspace", str(ws)])
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert str(path) in result.stderr.replace("\n", "")
    assert "error" in result.stderr


def test_cli_validate_names_the_line_and_field(ws):
    path = _write(ws / "segments", "typo", BAD_FOR_CLI["unknown_field"])
    result = CliRunner().invoke(app, ["validate", str(path), "--workspace", str(ws)])
    err = result.stderr.replace("\n", "")
    assert f"{path}:4" in err
    assert "where.all[0].field" in err
    assert "did you mean `loyalty_tier`?" in err


def test_cli_validate_mixed_files(ws):
    good = _write(ws / "segments", "good", "name: Good\nwhere: {all: []}\n")
    bad = _write(ws / "segments", "bad", BAD_FOR_CLI["unknown_field"])
    result = CliRunner().invoke(app, ["validate", str(good), str(bad), "--workspace", str(ws)])
    assert result.exit_code == 1
    assert "ok" in result.stdout and "good.yaml" in result.stdout.replace("\n", "")
    assert "bad.yaml" in result.stderr.replace("\n", "")
    _no_traceback(result)


@pytest.mark.parametrize("kind", list(BAD_FOR_CLI))
def test_cli_count_bad_file_exits_1(ws, kind):
    path = _write(ws / "segments", kind, BAD_FOR_CLI[kind])
    result = CliRunner().invoke(app, ["count", str(path), "--workspace", str(ws)])
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "error" in result.stderr
