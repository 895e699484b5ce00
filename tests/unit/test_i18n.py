"""The Japanese catalog: complete for every marked string, compiled as committed, and chosen
from --lang, KIZUNA_LANG, kizuna.toml and the locale in that order."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

import pytest

from queries.core import i18n
from queries.segments.describe import describe
from queries.segments.model import EventCond, FieldCond, Group
from tests import i18n_catalog

ROOT = Path(__file__).resolve().parent.parent.parent


def test_every_marked_string_has_a_japanese_translation() -> None:
    template = i18n_catalog.extract()  # what `pybabel extract -k N_ -k bind:3` finds today
    po = i18n_catalog.read()
    missing, fuzzy = [], []
    for msg in template:
        if not msg.id:
            continue
        have = po.get(msg.id)
        strings = () if have is None else have.string
        if isinstance(strings, str):
            strings = (strings,)
        if have is None or not all(strings):
            missing.append(msg.id)
        elif have.fuzzy:
            fuzzy.append(msg.id)
    assert len(template) > 300
    assert not missing, f"untranslated (run python -m tests.i18n_catalog): {missing[:20]}"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:20]}"


def test_the_committed_mo_is_the_compiled_po() -> None:
    fresh = gettext.GNUTranslations(io.BytesIO(i18n_catalog.compiled(i18n_catalog.read())))
    with i18n_catalog.MO.open("rb") as fh:
        committed = gettext.GNUTranslations(fh)
    assert committed._catalog == fresh._catalog  # type: ignore[attr-defined]


def test_placeholders_survive_translation() -> None:
    import re

    for msg in i18n_catalog.read():
        if not msg.id or isinstance(msg.id, tuple):
            continue
        assert set(re.findall(r"{\w*}", msg.id)) == set(re.findall(r"{\w*}", msg.string)), msg.id


@pytest.mark.parametrize(
    ("explicit", "env", "configured", "want"),
    [
        (None, {}, None, "en"),
        (None, {"LANG": "ja_JP.UTF-8"}, None, "ja"),
        (None, {"LANG": "ja_JP.UTF-8", "LC_ALL": "C"}, None, "en"),
        (None, {"LANG": "C", "LC_MESSAGES": "ja_JP.UTF-8"}, None, "ja"),
        (None, {"LANG": "en_US.UTF-8"}, "ja", "ja"),
        (None, {"KIZUNA_LANG": "en", "LANG": "ja_JP.UTF-8"}, "ja", "en"),
        ("ja", {"KIZUNA_LANG": "en"}, "en", "ja"),
        (None, {"LANG": "fr_FR.UTF-8"}, None, "en"),
    ],
)
def test_the_language_is_chosen_in_order(explicit, env, configured, want) -> None:
    assert i18n.choose(explicit, configured, env) == want


def test_condition_sentences_in_both_languages() -> None:
    cond = FieldCond("loyalty_tier", "in", ["gold", "platinum"])
    ev = EventCond("orders", FieldCond("total", ">=", 5000), within="30d")
    assert describe(cond) == "loyalty_tier is one of [gold, platinum]"
    i18n.set_language("ja")
    assert describe(cond) == "loyalty_tier が [gold, platinum] のいずれか"
    assert describe(Group("all")) == "全員"
    assert describe(FieldCond("birth_date", "anniversary_within", "14d")) == (
        "birth_date の記念日まで 14d 以内"
    )
    assert "直近 30d" in describe(ev)


def test_field_labels_carry_both_languages(session) -> None:
    f = session.catalog.fields["birth_date"]
    assert f.label == "Birth date"
    assert f.names == ("Birth date", "誕生日")


def test_workspace_lang_is_checked(workspace: Path) -> None:
    from queries.core.errors import ConfigError
    from queries.core.workspace import configured_language, load_workspace

    cfg = workspace / "kizuna.toml"
    cfg.write_text('lang = "ja"\n' + cfg.read_text())
    assert configured_language(workspace) == "ja"
    assert load_workspace(workspace).lang == "ja"
    cfg.write_text('lang = "fr"\n' + cfg.read_text().split("\n", 1)[1])
    with pytest.raises(ConfigError, match="lang"):
        load_workspace(workspace)


def test_the_cli_speaks_japanese_under_a_japanese_locale(workspace: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "ja_JP.UTF-8", "HOME": str(workspace)}
    run = [sys.executable, "-c", "from tui.entry import main; main()"]
    out = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "画面とメッセージの言語" in out.stdout
    env["LANG"] = "en_US.UTF-8"
    out = subprocess.run([*run, "--lang", "ja", "--help"], capture_output=True, text=True, env=env)
    assert "画面とメッセージの言語" in out.stdout
    out = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "Language of the screens" in out.stdout


def test_field_search_matches_both_languages_in_either_mode(workspace: Path) -> None:
    from queries.query.session import open_session
    from tui.screens.builder.field_picker import rank

    i18n.set_language("ja")
    s = open_session(workspace)
    try:
        f = s.catalog.fields["birth_date"]
        assert f.label == "誕生日"  # shown in Japanese
        assert f.description == "生年月日"
        assert rank(f, "Birth date") == 0  # the English label still finds it
        assert rank(f, "誕生日") == 0
        assert s.catalog.events["purchases"].label == "購入商品"
    finally:
        s.close()


def test_lang_in_kizuna_toml_makes_the_cli_japanese(workspace: Path) -> None:
    cfg = workspace / "kizuna.toml"
    cfg.write_text('lang = "ja"\n' + cfg.read_text())
    env = {"PATH": "/usr/bin:/bin", "LANG": "en_US.UTF-8", "HOME": str(workspace)}
    run = [sys.executable, "-c", "from tui.entry import main; main()", "count", "nosuch"]
    out = subprocess.run([*run, "-w", str(workspace)], capture_output=True, text=True, env=env)
    assert "エラー" in out.stderr and "セグメント `nosuch` はありません" in out.stderr
    env["KIZUNA_LANG"] = "en"
    out = subprocess.run([*run, "-w", str(workspace)], capture_output=True, text=True, env=env)
    assert "error: no segment `nosuch`" in out.stderr
