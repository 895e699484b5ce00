"""`kizuna validate` checks campaign files as well as segments."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.campaigns.validate import validate_file
from queries.core.errors import SegmentError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted((ROOT / "campaigns").glob("*.yaml")), ids=lambda p: p.stem)
def test_demo_campaigns_validate(path: Path) -> None:
    assert validate_file(path, ROOT).name


def test_campaign_with_unknown_segment_names_file_line_and_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nwho: {segment: vipp}\nhow: {channel: email}\n"
        "what: {variants: [{name: A, subject: hi, body: yo}]}\n"
    )
    with pytest.raises(SegmentError) as info:
        validate_file(bad, ROOT)
    text = info.value.render()
    assert str(bad) in text and ":2" in text and "did you mean `vip`" in text
