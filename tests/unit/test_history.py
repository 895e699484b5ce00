"""Segment file names keep a Japanese name's meaning; kept versions restore a lost segment."""

from __future__ import annotations

from typer.testing import CliRunner

from queries.core.history import deleted_stems, keep, restore, versions
from queries.segments.model import FieldCond, Group, Segment, slugify
from tests.tui.test_tui_builder import add_field
from tests.tui.test_tui_support import async_test, make_app, settle
from tui.cli.main import app
from tui.screens.dialogs import ConfirmScreen, PromptScreen


def test_japanese_names_keep_their_letters():
    assert slugify("誕生日14日以内 リピーター") == "誕生日14日以内_リピーター"
    assert slugify("冬14") == "冬14"
    assert slugify("誕生日") == "誕生日"
    assert slugify("Lapsed gold members") == "lapsed_gold_members"
    # path-unsafe characters never reach the file name
    assert slugify("../a/b\\c:d*?<>|") == "a_b_c_d"
    assert slugify("ＶＩＰ　会員") == "vip_会員"  # full-width folds to ascii (NFKC)
    assert len(slugify("長" * 500)) <= 60


def test_distinct_japanese_names_get_distinct_files():
    assert slugify("誕生日14日以内 リピーター") != slugify("冬14")


def test_keep_and_restore_a_deleted_segment(workspace):
    state, folder = workspace / ".kizuna", workspace / "segments"
    path = folder / "誕生日.yaml"
    Segment("誕生日", Group("all", (FieldCond("points", ">=", 1),))).save(path)
    keep(state, "segments", path)
    keep(state, "segments", path)  # the same content is kept once
    assert len(versions(state, "segments", "誕生日")) == 1
    first = path.read_text(encoding="utf-8")
    Segment("誕生日", Group("all")).save(path)
    keep(state, "segments", path)
    path.unlink()
    assert deleted_stems(state, "segments", folder) == ["誕生日"]
    target, chosen = restore(state, "segments", folder, "誕生日", 1)
    assert target.read_text(encoding="utf-8") == first and chosen.number == 1


def test_cli_history_and_restore(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    state, folder = workspace / ".kizuna", workspace / "segments"
    path = folder / "winter.yaml"
    Segment("Winter", Group("all", (FieldCond("points", ">=", 1),))).save(path)
    keep(state, "segments", path)
    path.unlink()
    runner = CliRunner()
    listed = runner.invoke(app, ["history"])
    assert listed.exit_code == 0 and "winter.yaml" in listed.output and "deleted" in listed.output
    done = runner.invoke(app, ["restore", "winter"])
    assert done.exit_code == 0, done.output
    assert path.is_file() and "Winter" in path.read_text(encoding="utf-8")
    missing = runner.invoke(app, ["restore", "nothing_here"])
    assert missing.exit_code == 1


@async_test
async def test_saving_a_japanese_name_never_replaces_another_segment(workspace):
    app = make_app(workspace)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        names = ["誕生日14日以内 リピーター", "冬14"]
        for name in names:
            await pilot.press("n")
            await settle(pilot)
            await add_field(pilot, "points", "5000")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PromptScreen)
            app.screen.query_one("#prompt-name").value = name
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("q")
            await settle(pilot)
        saved = sorted(p.name for p in (workspace / "segments").glob("*.yaml"))
        assert "誕生日14日以内_リピーター.yaml" in saved and "冬14.yaml" in saved
        # a third segment with the same name asks before replacing the file
        await pilot.press("n")
        await settle(pilot)
        await add_field(pilot, "points", "7")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        app.screen.query_one("#prompt-name").value = "冬14"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
    assert app.session.store.load("冬14").where.children[0].value == 5000
    assert versions(workspace / ".kizuna", "segments", "冬14")
