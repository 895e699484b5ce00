"""One part of a campaign checked alone (the editor's dialogs) gives the whole file's verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from queries.campaigns.parse import check_part
from queries.core.errors import SegmentError
from tests.campaigns.test_campaign import BASE, CATALOG, load
from tests.campaigns.test_campaign import ws as ws

WHOLE = {  # part → how it sits in the campaign file
    "coupon": lambda v: {"what": {"coupon": v}},
    "exclude": lambda v: {"who": {"exclude": v}},
    "policy": lambda v: {"policy": v},
    "quiet_hours": lambda v: {"when": {"quiet_hours": v}},
    "drift_limit": lambda v: {"drift_limit": v},
}
CASES = [
    ("coupon", {"prefix": "W B", "length": 8}),
    ("coupon", {"prefix": "WB", "length": 99}),
    ("coupon", {"pool_file": "nope.csv"}),
    ("coupon", {"pool_file": "../outside.csv"}),
    ("coupon", {"pool_file": "pool.csv", "prefix": "X"}),
    ("coupon", {"prefix": "WB", "value": -1}),
    ("exclude", [{"field": "no_such_field", "op": "=", "value": 1}]),
    ("exclude", [{"event": "messages", "within": "3 weeks"}]),
    ("policy", {"max_contacts": {"count": 0, "within": "7d"}}),
    ("policy", {"max_contacts": {"count": 2, "within": "7d", "channels": ["fax"]}}),
    ("policy", {"dedupe_by": "fax"}),
    ("policy", {"require_consent": "yes please"}),
    ("quiet_hours", ["21:00", "21:00"]),
    ("quiet_hours", ["25:00", "08:00"]),
    ("drift_limit", "0%"),
]


def merged(part: str, value) -> str:
    doc = yaml.safe_load(BASE)
    for key, sub in WHOLE[part](value).items():
        doc[key] = {**doc.get(key, {}), **sub} if isinstance(sub, dict) and key != "policy" else sub
    return yaml.safe_dump(doc, allow_unicode=True)


@pytest.mark.parametrize(("part", "value"), CASES)
def test_a_part_alone_fails_as_the_whole_file_does(ws: Path, part: str, value) -> None:
    with pytest.raises(SegmentError) as whole:
        load(ws, merged(part, value))
    with pytest.raises(SegmentError) as alone:
        check_part(part, value, CATALOG, ws)
    assert (alone.value.message, alone.value.loc.field) == (
        whole.value.message,
        whole.value.loc.field,
    )


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("coupon", {"prefix": "WB11", "length": 8, "value": 500}),
        ("coupon", {"pool_file": "pool.csv"}),
        ("exclude", [{"segment": "dormant"}]),
        ("policy", {"max_contacts": "none", "dedupe_by": "customer_id"}),
        ("quiet_hours", ["21:00", "08:00"]),
        ("drift_limit", "15%"),
    ],
)
def test_good_parts_pass_alone_and_in_the_file(ws: Path, part: str, value) -> None:
    check_part(part, value, CATALOG, ws)
    load(ws, merged(part, value))
