"""User text reaches SQL only as escaped string literals; identifiers come only from the catalog.

Fixture emails used (tests/fixture_db.py):
    C03 o'brien@example.com  (family_name O'Brien)
    C05 100%_sure@example.jp
    C07 back\\slash@example.jp   (two backslashes)
    C08 '; DROP TABLE customers; --
A small custom snapshot adds values holding `!` (the LIKE escape character) and quotes.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from queries.core.errors import CustomerNotFound, SegmentError, UnknownField, UnknownSegment
from queries.query.session import open_session
from queries.segments.model import FieldCond, Group, Segment
from queries.segments.parse import segment_from_text
from tests.segtools import ALL_IDS, build_db, customer, ids, private_workspace, workspace_for

DIALECTS = ["duckdb", "spark", "trino", "bigquery", "snowflake", "postgres"]
BS = "\\"


@pytest.fixture(scope="module")
def shared_session(tmp_path_factory, fixture_db):
    s = open_session(private_workspace(tmp_path_factory.mktemp("inj"), fixture_db))
    yield s
    s.close()


def seg_of(field: str, op: str, value) -> Segment:
    return Segment("t", Group("all", (FieldCond(field, op, value),)))


FIXTURE_CASES = [
    ("email", "=", "o'brien@example.com", ["C03"]),
    ("family_name", "=", "O'Brien", ["C03"]),
    ("family_name", "in", ["O'Brien", "佐藤"], ["C01", "C03", "C06"]),
    ("family_name", "not_in", ["O'Brien", "佐藤"], ["C02", "C04", "C05", "C07", "C08"]),
    ("email", "=", "'; DROP TABLE customers; --", ["C08"]),
    ("email", "in", ["o'brien@example.com", "'; DROP TABLE customers; --"], ["C03", "C08"]),
    ("email", "contains", "'", ["C03", "C08"]),
    ("email", "starts_with", "'", ["C08"]),
    ("email", "starts_with", "O'BRIEN", ["C03"]),
    ("email", "ends_with", "; --", ["C08"]),
    ("email", "contains", "drop table", ["C08"]),
    ("email", "contains", "'; DROP TABLE customers; --", ["C08"]),
    # % and _ are literal characters, not wildcards (unescaped, `%` would match everyone)
    ("email", "contains", "%", ["C05"]),
    ("email", "contains", "_", ["C05"]),
    ("email", "contains", "%_", ["C05"]),
    ("email", "starts_with", "100%", ["C05"]),
    ("email", "starts_with", "%", []),
    ("email", "ends_with", "_sure@example.jp", ["C05"]),
    # as a wildcard `_` would match taro@example.jp (C01, C06)
    ("email", "ends_with", "_aro@example.jp", []),
    ("email", "=", "_aro@example.jp", []),
    ("email", "not_contains", "%", [c for c in ALL_IDS if c != "C05"]),
    ("email", "=", "%", []),
    ("email", "in", ["%", "_"], []),
    # backslashes are literal too (C07 holds two)
    ("email", "contains", BS, ["C07"]),
    ("email", "contains", BS * 2, ["C07"]),
    ("email", "contains", BS * 3, []),
    ("email", "=", f"back{BS * 2}slash@example.jp", ["C07"]),
    ("email", "=", f"back{BS}slash@example.jp", []),
    ("email", "starts_with", f"BACK{BS}", ["C07"]),
    ("email", "ends_with", f"{BS}slash@example.jp", ["C07"]),
    # the escape character itself: nothing in the fixture holds `!`
    ("email", "contains", "!", []),
    ("email", "contains", "!%", []),
]


def _case_id(v):
    return repr(v) if isinstance(v, (str, list)) else None


@pytest.mark.parametrize(("field", "op", "value", "expected"), FIXTURE_CASES, ids=_case_id)
def test_special_characters_on_fixture(shared_session, field, op, value, expected):
    assert ids(shared_session, seg_of(field, op, value)) == expected


def test_values_through_yaml(shared_session):
    # the same values written in a segment file (single-quoted YAML keeps backslashes)
    text = (
        "name: t\nwhere:\n  any:\n"
        "    - {field: family_name, op: in, value: [\"O'Brien\", 'x''y']}\n"
        "    - {field: email, op: '=', value: '''; DROP TABLE customers; --'}\n"
        "    - {field: email, op: contains, value: 'back\\\\slash'}\n"
        "    - {field: email, op: starts_with, value: '100%_'}\n"
    )
    seg = segment_from_text(text, shared_session.catalog)
    assert seg.where.children[2].value == "back\\\\slash"
    assert ids(shared_session, seg) == ["C03", "C05", "C07", "C08"]
    # the table is still there (and the snapshot is read-only anyway)
    assert shared_session.runner.count(Segment("all", Group("all"))) == 8


# -- the custom snapshot: `!`, quotes, wildcard look-alikes --------------------------------

TRICKY = {
    "X1": "a!b@x.jp",
    "X2": "a!!b@x.jp",
    "X3": "a%b@x.jp",
    "X4": "a_b@x.jp",
    "X5": "axb@x.jp",
    "X6": f"a{BS}b@x.jp",
    "X7": "a!%b@x.jp",
    "X8": 'it\'s "quoted"@x.jp',
    "X9": "');DELETE FROM customers;--@x.jp",
}


@pytest.fixture(scope="module")
def tricky_session(tmp_path_factory):
    root = tmp_path_factory.mktemp("tricky")
    db = build_db(
        root / "tricky.duckdb",
        [customer(cid, email=email, family_name=email[:3]) for cid, email in TRICKY.items()],
    )
    s = open_session(workspace_for(root, db))
    yield s
    s.close()


TRICKY_CASES = [
    ("contains", "!", ["X1", "X2", "X7"]),
    ("contains", "!!", ["X2"]),
    ("contains", "a!b", ["X1"]),
    ("contains", "!%", ["X7"]),
    ("contains", "%", ["X3", "X7"]),
    ("contains", "_", ["X4"]),
    # unescaped `_` would match a!b, a%b, axb, a\b too
    ("contains", "a_b", ["X4"]),
    ("contains", "a%b", ["X3"]),
    ("starts_with", "a%", ["X3"]),
    ("starts_with", "a!", ["X1", "X2", "X7"]),
    ("ends_with", '"@x.jp', ["X8"]),
    ("contains", BS, ["X6"]),
    ("contains", f"a{BS}b", ["X6"]),
    ("contains", "'s \"", ["X8"]),
    ("contains", "');delete", ["X9"]),
    ("=", 'it\'s "quoted"@x.jp', ["X8"]),
    ("=", "a!b@x.jp", ["X1"]),
    ("=", "a_b@x.jp", ["X4"]),
    (
        "in",
        ["a!b@x.jp", 'it\'s "quoted"@x.jp', "');DELETE FROM customers;--@x.jp"],
        ["X1", "X8", "X9"],
    ),
    ("not_in", ["a!b@x.jp", "a%b@x.jp"], ["X2", "X4", "X5", "X6", "X7", "X8", "X9"]),
    ("not_contains", "!", ["X3", "X4", "X5", "X6", "X8", "X9"]),
]


@pytest.mark.parametrize(("op", "value", "expected"), TRICKY_CASES, ids=_case_id)
def test_special_characters_on_custom_snapshot(tricky_session, op, value, expected):
    assert ids(tricky_session, seg_of("email", op, value)) == expected


def test_value_suggestions_escape_the_prefix(tricky_session, shared_session):
    assert tricky_session.runner.values("email", prefix="a!") == [
        ("a!!b@x.jp", 1),
        ("a!%b@x.jp", 1),
        ("a!b@x.jp", 1),
    ]
    assert tricky_session.runner.values("email", prefix="a_") == [("a_b@x.jp", 1)]
    assert tricky_session.runner.values("email", prefix="%") == []
    assert shared_session.runner.values("email", prefix="100%") == [("100%_sure@example.jp", 1)]
    assert shared_session.runner.values("email", prefix="'") == [("'; DROP TABLE customers; --", 1)]


def test_why_with_a_hostile_customer_id(shared_session):
    seg = seg_of("points", ">", 0)
    with pytest.raises(CustomerNotFound):
        shared_session.runner.why(seg, "C01' OR '1'='1")


# -- the printed SQL keeps user text inside literals ----------------------------------------

HOSTILE = [
    ("=", "'; DROP TABLE customers; --"),
    ("=", "O'Brien"),
    ("in", ["O'Brien", "'; DROP TABLE customers; --", 'x"y']),
    ("contains", "'; DROP TABLE customers; --"),
    ("starts_with", "O'Brien' OR 1=1 --"),
    ("ends_with", f"{BS}'; DROP TABLE customers; --"),
    ("contains", f"{BS}{BS}' || (SELECT 1) || '"),
    ("not_contains", "%_!'\""),
]


def _string_literals(tree: exp.Expression) -> list[str]:
    return [lit.this for lit in tree.find_all(exp.Literal) if lit.is_string]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("op", "value"), HOSTILE, ids=_case_id)
def test_user_text_only_inside_string_literals(shared_session, dialect, op, value):
    field = "family_name"
    seg = seg_of(field, op, value)
    sql = shared_session.runner.sql(seg, dialect)
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1, "one statement, nothing smuggled after a `;`"
    tree = statements[0]
    assert isinstance(tree, exp.Select)
    assert not list(tree.find_all(exp.Drop, exp.Delete, exp.Command))
    literals = _string_literals(tree)
    values = value if isinstance(value, list) else [value]
    for v in values:
        if op in ("=", "in"):
            assert v in literals, f"{v!r} is a literal as is"
        elif dialect == "bigquery":
            # no LIKE ... ESCAPE there: STARTS_WITH / ENDS_WITH / INSTR take the text as is
            assert v.lower() in literals
        else:
            # LIKE patterns: lower-cased, escaped with `!`, inside one literal
            assert any(
                v.lower().replace("!", "!!").replace("%", "!%").replace("_", "!_") in lit
                for lit in literals
            )
    # blank every string literal: nothing of the user's text is left in the SQL
    blanked = tree.transform(
        lambda n: exp.Literal.string("") if isinstance(n, exp.Literal) and n.is_string else n
    ).sql(dialect=dialect)
    for v in values:
        for fragment in ("DROP", "Brien", "OR 1=1", "SELECT 1", '"y'):
            if fragment.lower() in v.lower():
                assert fragment.lower() not in blanked.lower()
    # every LIKE carries the `!` escape
    for like in tree.find_all(exp.Like):
        assert isinstance(like.parent, exp.Escape)
        assert like.parent.expression.this == "!"


@pytest.mark.parametrize(
    "bad_field",
    [
        "email; DROP TABLE customers",
        'email" OR 1=1 --',
        "c.email",
        "EMAIL",
        "email ",
        "1",
    ],
)
def test_field_names_cannot_inject(shared_session, bad_field):
    text = f"name: t\nwhere:\n  all:\n    - {{field: '{bad_field}', op: '=', value: x}}\n"
    with pytest.raises(UnknownField):
        segment_from_text(text, shared_session.catalog)


@pytest.mark.parametrize(
    "cond",
    [
        "{event: 'orders; DROP TABLE customers'}",
        "{event: orders, where: {all: [{field: 'total) OR (1=1', op: '>', value: 1}]}}",
        "{event: orders, aggregate: {fn: sum, field: 'total); --', op: '>', value: 1}}",
        "{event: orders, aggregate: {fn: 'sum(total)); --', field: total, op: '>', value: 1}}",
        "{field: points, op: '> 0 OR 1=1 --', value: 1}",
        "{event: orders, count: {op: '>= 0 OR 1=1', value: 1}}",
        "{event: orders, within: \"30d' OR '1'='1\"}",
        '{field: signup_at, op: in_last, value: "30d\'); DROP TABLE customers; --"}',
        "{field: points, op: '>', value: '1 OR 1=1'}",
    ],
)
def test_names_and_keywords_cannot_inject(shared_session, cond):
    text = f"name: t\nwhere:\n  all:\n    - {cond}\n"
    with pytest.raises(SegmentError):
        segment_from_text(text, shared_session.catalog)


def test_segment_reference_names_cannot_escape_the_folder(shared_session):
    for name in ("../../etc/passwd", "/etc/passwd", "vip'; --"):
        seg = segment_from_text(
            f'name: t\nwhere: {{all: [{{segment: "{name}"}}]}}\n', shared_session.catalog
        )
        with pytest.raises(UnknownSegment):
            shared_session.runner.count(seg)
