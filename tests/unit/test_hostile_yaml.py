"""Hostile and broken YAML: every one is a located error (file, line), never a crash or a stall.

Alias bombs, deep nesting, huge files, impossible dates, non-finite numbers, overflowing
windows and SQL-looking dates, in segment and campaign files, through the parser, the
compiler and the CLI.
"""

from __future__ import annotations

import random
import re
import time
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.campaigns.parse import campaign_from_text
from queries.core.catalog import build_catalog
from queries.core.errors import KizunaError, SegmentError
from queries.core.yaml_limits import MAX_ALIASES, MAX_BYTES, MAX_DEPTH
from queries.core.yamlio import dump_yaml, load_yaml
from queries.segments.parse import load_segment, segment_from_text
from tui.cli.main import app

CATALOG = build_catalog()

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
name: bomb
where: {all: *i}
"""


def _seg_error(text: str, file: str = "segments/bad.yaml") -> SegmentError:
    with pytest.raises(SegmentError) as info:
        segment_from_text(text, CATALOG, file)
    return info.value


def test_alias_bomb_is_refused_quickly_with_a_line():
    start = time.perf_counter()
    err = _seg_error(BOMB)
    assert time.perf_counter() - start < 5  # (a bound against a stall, not a benchmark)
    assert err.loc.file == "segments/bad.yaml" and err.loc.line is not None
    assert "alias" in err.message
    assert "*" in BOMB.splitlines()[err.loc.line - 1]  # the line of a collection of aliases


def test_many_aliases_beyond_the_budget_name_the_line():
    items = "\n".join("    - *c" for _ in range(MAX_ALIASES + 1))
    text = f"name: x\nc: &c {{field: points, op: '>', value: 1}}\nwhere:\n  all:\n{items}\n"
    err = _seg_error(text)
    assert f"more than {MAX_ALIASES} aliases" in err.message
    assert err.loc.line == 4 + MAX_ALIASES + 1  # the first alias over the budget


def test_a_few_aliases_still_work():
    text = (
        "name: x\nwhere:\n  any:\n    - &gold {field: loyalty_tier, op: '=', value: gold}\n"
        "    - not: *gold\n"
    )
    assert segment_from_text(text, CATALOG).name == "x"


@pytest.mark.parametrize("style", ["flow", "block"])
def test_hundreds_of_levels_of_not_and_all_are_a_located_error(style):
    n = 1000 if style == "flow" else 300  # (1000 indented levels would pass the size limit)
    if style == "flow":
        where = "{not: {all: [" * n + "{field: points, op: '>', value: 1}" + "]}}" * n
        text = f"name: deep\nwhere: {where}\n"
    else:
        lines, pad = ["name: deep", "where:"], "  "
        for _ in range(n):
            lines.append(pad + "not:")
            pad += "  "
        lines.append(pad + "{field: points, op: '>', value: 1}")
        text = "\n".join(lines) + "\n"
    err = _seg_error(text)
    assert f"more than {MAX_DEPTH} levels" in err.message
    assert err.loc.line is not None and err.loc.file == "segments/bad.yaml"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text("name: big\nwhere: {all: []}\n" + filler * (MAX_BYTES // 100 + 10))
    start = time.perf_counter()
    with pytest.raises(SegmentError) as info:
        load_segment(path, CATALOG)
    assert time.perf_counter() - start < 5
    assert info.value.loc.file == str(path) and "MB" in info.value.message


def test_text_over_the_size_limit_is_refused_too():
    with pytest.raises(SegmentError, match="MB"):
        load_yaml("a: " + "x" * (MAX_BYTES + 1), "t.yaml")


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("2024-13-45", "2024-13-45"),
        ("2024-02-30", "2024-02-30"),
        ("\"2026-01-01' OR '1'='1\"", "OR '1'='1"),
        ("'2026-01-01xyz'", "2026-01-01xyz"),
    ],
)
def test_bad_dates_are_located_errors(value, fragment):
    text = f"name: d\nwhere:\n  all:\n    - {{field: birth_date, op: before, value: {value}}}\n"
    err = _seg_error(text)
    assert err.loc.line == 4 and err.loc.field == "where.all[0].value"
    assert fragment in err.message


def test_sql_looking_dates_in_a_range_are_refused():
    text = (
        "name: d\nwhere:\n  event: orders\n  within: {from: 2026-01-01, "
        "to: \"2026-02-01' OR '1'='1\"}\n"
    )
    err = _seg_error(text)
    assert err.loc.line == 4 and "OR '1'='1" in err.message


def test_good_dates_and_timestamps_still_parse():
    for value in ("2024-02-29", "'2024-02-29'", "2024-02-29T10:00:00+09:00", "2024-02-29 10:00"):
        text = f"name: d\nwhere: {{field: birth_date, op: after, value: {value}}}\n"
        assert segment_from_text(text, CATALOG).name == "d"


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", ".NaN", "1.0e+999"])
def test_non_finite_numbers_are_located_errors(value):
    text = f"name: n\nwhere:\n  all:\n    - {{field: points, op: '>', value: {value}}}\n"
    err = _seg_error(text)
    assert err.loc.line == 4 and "finite" in err.message


def test_integers_beyond_64_bits_and_absurd_digit_strings_are_located():
    for value in ("9" * 30, "9" * 5000):
        text = f"name: n\nwhere:\n  all:\n    - {{field: points, op: '>', value: {value}}}\n"
        err = _seg_error(text)
        assert err.loc.line == 4


@pytest.mark.parametrize("within", ["99999999999d", "9999999y", "1001y", "60000w"])
def test_overflowing_windows_are_located_errors(within):
    text = f"name: w\nwhere:\n  event: orders\n  within: {within}\n"
    err = _seg_error(text)
    assert err.loc.line == 4 and "years" in err.message


def test_overflowing_in_last_is_a_located_error():
    text = "name: w\nwhere:\n  all:\n    - {field: birth_date, op: in_last, value: 99999999999d}\n"
    err = _seg_error(text)
    assert err.loc.line == 4


CAMPAIGN = """\
name: C
who:
  where: {{field: points, op: '>', value: 1}}
how: {{channel: email}}
what:
  variants:
    - {{name: A, subject: Hi, body: Hello}}
{extra}
"""


@pytest.mark.parametrize(
    "extra, line",
    [
        ("policy:\n  max_contacts: {count: 1, within: 99999999999d}", 9),
        ("holdout: {percent: .nan}", 8),
        ("policy:\n  max_contacts: {count: .inf, within: 7d}", 9),
        ("when:\n  send_at: 2026-13-45T10:00:00+09:00", 9),
        ('when:\n  send_at: "2026-11-28T10:00:00+09:00\' OR 1=1"', 9),
    ],
)
def test_campaign_values_are_located_errors(extra, line):
    text = CAMPAIGN.format(extra=extra)
    with pytest.raises(SegmentError) as info:
        campaign_from_text(text, CATALOG, "campaigns/c.yaml")
    assert info.value.loc.file == "campaigns/c.yaml" and info.value.loc.line == line


def test_campaign_send_at_still_parses():
    text = CAMPAIGN.format(extra="when:\n  send_at: 2026-11-28T10:00:00+09:00")
    c = campaign_from_text(text, CATALOG, "campaigns/c.yaml")
    assert c.when.send_at is not None and c.when.send_at.utcoffset().total_seconds() == 9 * 3600


def test_dates_are_written_plain_and_read_back_as_the_same_day():
    text = dump_yaml({"day": date(2024, 1, 2), "text": "2024-01-02"})
    assert "day: 2024-01-02\n" in text  # a date is written as a person writes it
    loaded = load_yaml(text)[0]
    assert loaded == {"day": "2024-01-02", "text": "2024-01-02"}  # read as text, both
    seg = segment_from_text(
        f"name: d\nwhere: {{field: birth_date, op: on, value: {loaded['day']}}}\n", CATALOG
    )
    assert seg.where.value == date(2024, 1, 2)  # the model holds the date


def test_references_nesting_too_deep_are_a_located_error_not_a_recursion_error(session):
    folder = session.ws.segments_dir
    nots = 10
    for i in range(12):  # 12 files of 10 `not`s, each referring to the next
        inner = f"{{segment: s{i + 1}}}" if i < 11 else "{field: points, op: '>', value: 1}"
        body = "{not: " * nots + inner + "}" * nots
        (folder / f"s{i}.yaml").write_text(f"name: s{i}\nwhere: {body}\n")
    with pytest.raises(SegmentError) as info:
        session.runner.count(session.segment("s0"))
    assert "levels deep" in info.value.message
    assert info.value.loc.file is not None and info.value.loc.file.endswith(".yaml")


def test_long_reference_chains_are_a_located_error(session):
    folder = session.ws.segments_dir
    for i in range(300):
        inner = f"{{segment: s{i + 1}}}" if i < 299 else "{field: points, op: '>', value: 1}"
        (folder / f"s{i}.yaml").write_text(f"name: s{i}\nwhere: {inner}\n")
    with pytest.raises(SegmentError, match="levels deep"):
        session.runner.sql(session.segment("s0"), "spark")


def _mutations(rng: random.Random, text: str) -> str:
    """A random hostile edit of a valid file: anchors, aliases, brackets, tags, odd scalars."""
    pieces = [
        "&a ",
        "*a",
        "*zz",
        "[",
        "]",
        "{",
        "}",
        "!!timestamp ",
        "!!float ",
        "!!int ",
        "!!binary ",
        ".inf",
        ".nan",
        "2024-13-45",
        "99999999999d",
        "<<: *a",
        "? ",
        "\t",
        "\x00",
        "'",
        '"',
        "\n  - ",
        ": ",
        "-" * 3,
        "9" * 400,
        "0x" + "f" * 40,
        "1:2:3",
        "~",
    ]
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        text = text[:i] + rng.choice(pieces) + text[i:]
    return text


SEEDS = [
    "name: s\nwhere:\n  all:\n    - {field: points, op: '>', value: 5}\n"
    "    - {field: birth_date, op: before, value: 2000-01-01}\n",
    "name: s\nwhere:\n  any:\n    - event: orders\n      within: 30d\n"
    "    - not: {field: loyalty_tier, op: in, value: [gold, silver]}\n",
    CAMPAIGN.format(extra="policy:\n  max_contacts: {count: 1, within: 7d}"),
]


def test_random_hostile_edits_only_ever_raise_located_kizuna_errors():
    """2,000 mutated files (seeded): each either parses or is a KizunaError, never a crash."""
    rng = random.Random(20261202)
    errors = 0
    for n in range(2000):
        seed = SEEDS[n % len(SEEDS)]
        text = _mutations(rng, seed)
        try:
            if seed.startswith("name: C"):
                campaign_from_text(text, CATALOG, "c.yaml")
            else:
                segment_from_text(text, CATALOG, "s.yaml")
        except KizunaError:
            errors += 1
    assert errors > 500  # most edits break the file; they were all reported, none crashed


def test_cli_validate_reports_each_hostile_file_with_its_line(tmp_path):
    ws = tmp_path / "ws"
    (ws / "segments").mkdir(parents=True)
    files = {
        "bomb.yaml": BOMB,
        "deep.yaml": "name: d\nwhere: " + "{not: " * 500 + "{all: []}" + "}" * 500 + "\n",
        "date.yaml": "name: d\nwhere: {field: birth_date, op: on, value: 2024-13-45}\n",
        "inf.yaml": "name: d\nwhere: {field: points, op: '>', value: .inf}\n",
    }
    for name, text in files.items():
        (ws / "segments" / name).write_text(text)
    runner = CliRunner()
    for name in files:
        path = ws / "segments" / name
        res = runner.invoke(app, ["validate", str(path)])
        assert res.exit_code == 1, (name, res.output)
        assert "Traceback" not in res.output
        assert re.search(re.escape(str(path)) + r":\d+", res.output), (name, res.output)


def test_every_limit_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "safety.md").read_text()
    for number in (f"{MAX_BYTES / 1e6:g} MB", str(MAX_DEPTH), str(MAX_ALIASES)):
        assert number in doc
