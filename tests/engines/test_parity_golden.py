"""Golden SQL per dialect for the example segments: a sqlglot upgrade shows up as a diff.

tests/golden/<dialect>/<segment>.sql holds what `kizuna sql SEGMENT --dialect D` prints on
the demo snapshot, and tests/golden/<dialect>/_features.sql the derived features transpiled
for that engine. After reviewing a change, regenerate with:

    python -m tests.golden_update
    (or: KIZUNA_UPDATE_GOLDEN=1 pytest tests/engines/test_parity_golden.py)
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from queries.engines.dialects import DIALECT_NAMES, render
from queries.query.features import features_select
from queries.query.session import Session, open_session

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SEGMENTS = sorted(p.stem for p in (ROOT / "segments").glob("*.yaml"))


def golden_texts(session: Session) -> dict[Path, str]:
    """Every golden file's expected content, rendered now."""
    out: dict[Path, str] = {}
    for dialect in DIALECT_NAMES:
        for name in SEGMENTS:
            sql = session.runner.sql(session.segment(name), dialect)
            out[GOLDEN / dialect / f"{name}.sql"] = sql.rstrip() + "\n"
        if dialect != "duckdb":
            feats = features_select(session.catalog, session.snapshot.as_of)
            out[GOLDEN / dialect / "_features.sql"] = render(feats, dialect, pretty=True) + "\n"
    return out


def demo_session(folder: Path) -> Session:
    """The demo workspace (its segments) over the committed demo.duckdb, in `folder`."""
    shutil.copytree(ROOT / "segments", folder / "segments", dirs_exist_ok=True)
    (folder / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{(ROOT / "demo.duckdb").as_posix()}"\n', encoding="utf-8"
    )
    return open_session(folder)


def write_golden(session: Session) -> list[Path]:
    changed = []
    for path, text in golden_texts(session).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    s = demo_session(tmp_path_factory.mktemp("golden_ws"))
    yield s
    s.close()


def test_golden_sql_matches(demo):
    if os.environ.get("KIZUNA_UPDATE_GOLDEN"):
        write_golden(demo)
    problems = []
    for path, text in golden_texts(demo).items():
        rel = path.relative_to(GOLDEN)
        if not path.is_file():
            problems.append(f"missing {rel}")
            continue
        old = path.read_text(encoding="utf-8")
        if old != text:
            diff = difflib.unified_diff(
                old.splitlines(), text.splitlines(), f"golden/{rel}", "now", lineterm="", n=1
            )
            problems.append("\n".join(list(diff)[:40]))
    assert not problems, (
        "generated SQL differs from tests/golden (review, then `python -m tests.golden_update`):\n"
        + "\n\n".join(problems[:5])
    )


def test_no_stale_golden_files(demo):
    expected = set(golden_texts(demo))
    stale = [p for p in GOLDEN.rglob("*.sql") if p not in expected]
    assert stale == [], f"golden files for segments or dialects that no longer exist: {stale}"
