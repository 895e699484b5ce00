"""`kizuna export` starts its writer process before the CLI loads, and only for an export."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from queries.handoff.export import spare
from queries.query.session import Session
from tests.handoff_tools import approved, write_campaign
from tui import entry
from tui.cli.main import app


@pytest.fixture(autouse=True)
def no_spare_left():
    spare.discard()
    yield
    spare.discard()


@pytest.mark.parametrize(
    ("argv", "started"),
    [
        (["export", "spring"], True),
        (["--lang", "ja", "export", "spring", "--force"], True),
        (["export", "--help"], False),
        (["count", "vip", "--json"], False),
        ([], False),
    ],
)
def test_only_an_export_starts_a_writer_early(argv: list[str], started: bool) -> None:
    entry._start_export_worker(argv)
    assert (spare._spare is not None) is started


def test_the_early_writer_is_the_one_that_exports(workspace: Path, session: Session) -> None:
    write_campaign(workspace)
    approved(session)
    entry._start_export_worker(["export", "spring"])
    early = spare._spare
    assert early is not None
    r = CliRunner().invoke(app, ["export", "spring", "--workspace", str(workspace)])
    assert r.exit_code == 0, r.output
    assert "Exported 4 recipients" in r.output
    assert spare._spare is None and early.proc.wait(timeout=10) >= 0  # used, not killed
