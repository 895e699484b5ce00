"""The batch renderer against python-liquid itself: generated templates × generated and real values.

Templates are generated from python-liquid's own filter table (every filter, with chains and
literal or variable arguments), plain and HTML, with whitespace control, tags that keep state
(assign, for, capture, increment) and Japanese text. Each is rendered for a batch of recipients
by `render_batch` and, one recipient at a time, by a separate python-liquid environment with
the same limits; text, errors and fallback counts must agree exactly.
"""

from __future__ import annotations

import inspect
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from liquid import Environment, StrictUndefined

from queries.campaigns.personalize import MessageEnvironment, compile_template
from queries.campaigns.render_batch import render_batch
from queries.core.errors import Location

FIELDS = ["family_name", "given_name", "points", "amount", "day", "tags"]
LOC = Location("campaigns/c.yaml", 1, "what.variants[0].text")
ROOT = Path(__file__).resolve().parents[2]


class Reference(Environment):
    """python-liquid with the message environment's settings (and none of Kizuna's code)."""

    loop_iteration_limit = MessageEnvironment.loop_iteration_limit
    output_stream_limit = MessageEnvironment.output_stream_limit
    context_depth_limit = MessageEnvironment.context_depth_limit
    local_namespace_limit = MessageEnvironment.local_namespace_limit


REF = {
    False: Reference(undefined=StrictUndefined, strict_filters=True),
    True: Reference(undefined=StrictUndefined, strict_filters=True, autoescape=True),
}


def _real_values() -> list[object]:
    """A few hundred values from the demo snapshot, of every column type it has."""
    con = duckdb.connect(str(ROOT / "demo.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT family_name, given_name, points, birth_date, signup_at, email_opt_in, "
            "loyalty_tier, round(points / 7.0, 2), round(-0.2), [prefecture, gender] "
            "FROM customers ORDER BY md5(customer_id) LIMIT 40"
        ).fetchall()
    finally:
        con.close()
    return [v for row in rows for v in row]


REAL = _real_values()
TEXT = st.lists(
    st.sampled_from(
        list("ab Z09.,-_/:;!?\n\t<>&\"'")
        + list("佐藤花子様のお客さま木村ｶﾀｶﾅﾊﾟ　")
        + ["🎁", "👍🏽", "&nbsp;", "<strong>", "é", "\u200b", "\r\n"]
    ),
    max_size=8,
).map("".join)
NUMBERS = st.sampled_from(
    [0, 1, -1, 7, 10**30, -0.0, 0.0, 1.0, 0.5, -2.5, 1e300, 5e-324, 1e-7, 123456.789]
)
ODD = st.sampled_from(
    [math.inf, -math.inf, math.nan, Decimal("1.0"), Decimal("1.00"), Decimal("-0"), True, False]
)
WHEN = st.sampled_from(
    [
        date(2026, 11, 28),
        date(1, 1, 1),
        datetime(2026, 11, 28, 10, 0),
        datetime(2026, 11, 28, 10, 0, tzinfo=timezone(timedelta(hours=9))),
        datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc),
        "2026-11-28",
        "now",
        10**12,
        -1,
    ]
)
VALUES = st.one_of(
    st.none(),
    st.just(""),
    TEXT,
    NUMBERS,
    ODD,
    WHEN,
    st.lists(TEXT, max_size=3),
    st.sampled_from(REAL),
)

# python-liquid's filters and how many positional arguments each takes (at least, at most)
ARITY: dict[str, tuple[int, int]] = {}
for _name, _func in MessageEnvironment().filters.items():
    params = [
        p
        for p in list(inspect.signature(_func).parameters.values())[1:]
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    ARITY[_name] = (sum(p.default is p.empty for p in params), len(params))


def _quote(s: str) -> str:
    q = "'" if "'" not in s else '"'
    return q + s.replace(q, "") + q


LITERAL = st.one_of(
    TEXT.map(_quote),
    st.sampled_from(["'&nbsp;様'", '"<strong>"', "'%Y年%m月%d日'", "'%-m'", "','", "'a'"]),
    st.integers(-3, 60).map(str),
    st.sampled_from(["1.5", "-0.0", "0", "nil", "true", "false", "(1..3)", "empty"]),
    st.sampled_from(FIELDS),
)


@st.composite
def filtered(draw: st.DrawFn, names: list[str]) -> str:
    """`left | filter: args | ...` with every filter python-liquid has."""
    left = draw(st.one_of(st.sampled_from(names), LITERAL))
    chain = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(ARITY)))
        lo, hi = ARITY[name]
        n = draw(st.integers(lo, max(lo, hi)))
        args = [draw(LITERAL) for _ in range(n)]
        chain.append(name + (": " + ", ".join(args) if args else ""))
    return " | ".join([left, *chain])


def _out(draw: st.DrawFn, expr: str) -> str:
    a, b = draw(st.sampled_from(["", "-"])), draw(st.sampled_from(["", "-"]))
    return f"{{{{{a} {expr} {b}}}}}"


def _tag(draw: st.DrawFn, inner: str) -> str:
    a, b = draw(st.sampled_from(["", "-"])), draw(st.sampled_from(["", "-"]))
    return f"{{%{a} {inner} {b}%}}"


@st.composite
def templates(draw: st.DrawFn, depth: int = 0) -> str:
    """Text, outputs and tags (if, unless, case, assign, for, capture, increment), nested."""
    parts = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(
            st.sampled_from(["text", "out", "out", "tag"] if depth < 2 else ["text", "out"])
        )
        if kind == "text":
            parts.append(draw(TEXT).replace("{", "").replace("}", "").replace("%", ""))
        elif kind == "out":
            parts.append(_out(draw, draw(filtered(FIELDS))))
        else:
            var = draw(st.sampled_from(FIELDS))
            body = draw(templates(depth + 1))
            tag = draw(st.sampled_from(["if", "unless", "case", "assign", "for", "capture", "inc"]))
            if tag in ("if", "unless"):
                op = draw(st.sampled_from(["", " == 0", " > 1", " == ''", " contains 'a'"]))
                parts.append(_tag(draw, f"{tag} {var}{op}") + body + _tag(draw, f"end{tag}"))
            elif tag == "case":
                lit = draw(LITERAL)
                parts.append(
                    _tag(draw, f"case {var}")
                    + _tag(draw, f"when {lit}")
                    + body
                    + _tag(draw, "else")
                    + "x"
                    + _tag(draw, "endcase")
                )
            elif tag == "assign":
                parts.append(_tag(draw, f"assign loc = {draw(filtered(FIELDS))}") + body)
                parts.append(_out(draw, "loc"))
            elif tag == "for":
                seq = draw(st.sampled_from(["(1..3)", var, "tags"]))
                parts.append(_tag(draw, f"for it in {seq} limit: 4") + body)
                parts.append(_out(draw, "it") + _tag(draw, "endfor"))
            elif tag == "capture":
                parts.append(_tag(draw, "capture cap") + body + _tag(draw, "endcapture"))
                parts.append(_out(draw, "cap | size"))
            else:
                parts.append(_tag(draw, "increment n") + body)
    return "".join(parts)


def _reference(source: str, html: bool, row: dict) -> tuple[str | None, str | None]:
    try:
        return REF[html].from_string(source, name="text").render(**row), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    source=templates(),
    html=st.booleans(),
    pool=st.lists(
        st.lists(VALUES, min_size=1, max_size=3), min_size=len(FIELDS), max_size=len(FIELDS)
    ),
    picks=st.lists(st.integers(0, 2), min_size=1, max_size=12),
)
def test_batch_renderer_equals_python_liquid(
    source: str, html: bool, pool: list[list[object]], picks: list[int]
) -> None:
    try:
        tpl = compile_template(source, "text", LOC, FIELDS, html)
    except Exception:
        return  # not a template python-liquid parses: nothing to render
    # a few values per field, repeated across rows (so the per-value cache is exercised)
    columns = {f: [pool[j][(p + j) % len(pool[j])] for p in picks] for j, f in enumerate(FIELDS)}
    n = len(picks)
    used = {f: columns[f] for f in tpl.fields}
    batch = render_batch(tpl, used, n)
    for i in range(n):
        row = {f: columns[f][i] for f in tpl.fields}
        want, error = _reference(source, html, row)
        got = batch.texts[i]
        if error is None:
            assert i not in batch.errors, (source, row, batch.errors.get(i))
            assert got == want, (source, row)
        else:
            assert i in batch.errors, (source, row, error)
            exc = batch.errors[i]
            assert f"{type(exc).__name__}: {exc}" == error


def test_fallback_counts_equal_python_liquid() -> None:
    src = (
        "<p>{{ family_name | default: '' }}{{ points | default: 0 | plus: 1 }}"
        "{{ day | date: '%Y' | default: 'x' }}</p>"
    )
    tpl = compile_template(src, "body", LOC, FIELDS, True)
    cols = {
        "family_name": [None, "", "木村", None, "木村"],
        "points": [None, 0, True, 1.5, -0.0],
        "day": [date(2026, 1, 1), 10**30, None, "x", 0],
    }
    batch = render_batch(tpl, cols, 5)
    want: dict[int, int] = {}
    failed = 0
    for i in range(5):
        try:
            text, fired = tpl.render({f: cols[f][i] for f in cols})
        except Exception:
            failed += 1
            assert i in batch.errors and batch.texts[i] is None
            continue
        for s in fired:
            want[s] = want.get(s, 0) + 1
        assert batch.texts[i] == text
    assert batch.fired == want and want and failed


@pytest.mark.parametrize(
    "source, values",
    [
        ("{{ day | date: '%Y' }}", [10**30, date(2026, 1, 1)]),
        ("{{ points | plus: 1.5 }}", [True, 1]),
        ("{{ family_name | base64_decode }}", ["木村", "YWI="]),
        ("{{ tags | join: ',' }}{{ tags | upcase }}", [["a", "b"], ["a", "b"], None]),
    ],
)
def test_filter_failures_are_per_recipient(source: str, values: list) -> None:
    tpl = compile_template(source, "text", LOC, FIELDS)
    field = tpl.fields[0]
    batch = render_batch(tpl, {field: values}, len(values))
    for i, v in enumerate(values):
        want, error = _reference(source, False, {field: v})
        assert (batch.texts[i], i in batch.errors) == (want, error is not None)
