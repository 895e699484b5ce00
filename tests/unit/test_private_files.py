"""Everything Kizuna writes in a workspace's state and exports is private, whatever the umask.

Files 0600, folders 0700: approvals (forging one would let anyone export), the contact
ledger, the audit log, the features cache (per-customer age, spend, NPS), locks, kept
versions and every export folder and file. Checked on real CLI runs under umask 000.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from queries.core.history import keep_text
from queries.core.private_fs import private_dir, write_private
from tests.cli.test_interrupt import kizuna_cmd
from tests.handoff_tools import write_campaign


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}


def _run(ws: Path, *argv: str, umask: int) -> subprocess.CompletedProcess:
    def set_umask() -> None:
        os.umask(umask)

    proc = subprocess.run(
        [*kizuna_cmd(), *argv, "--workspace", str(ws)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=set_umask,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("umask", [0o000, 0o022])
def test_state_and_exports_are_private_whatever_the_umask(workspace, umask):
    write_campaign(workspace, "spring")
    write_campaign(workspace, "spring_pq", dest="parquet")
    for stem in ("spring", "spring_pq"):
        _run(workspace, "approve", stem, "--by", "hanako", umask=umask)
        _run(workspace, "export", stem, umask=umask)
    state, exports = workspace / ".kizuna", workspace / "exports"
    found = {**_modes(state), **{f"exports/{k}": v for k, v in _modes(exports).items()}}
    kinds = {k.split("/")[0] for k in found}
    assert {"approvals", "ledger", "cache", "audit.log", "exports"} <= kinds, sorted(found)
    assert any(k.startswith("cache/features-") for k in found)
    assert any(k.endswith("audience.parquet") for k in found)
    assert any(k.endswith("manifest.json") for k in found)
    for rel, mode in found.items():
        path = (workspace / rel) if rel.startswith("exports") else state / rel
        want = 0o700 if path.is_dir() else 0o600
        assert mode == want, f"{rel} is {oct(mode)}, want {oct(want)} (umask {oct(umask)})"
    for top in (state, exports):
        assert stat.S_IMODE(top.stat().st_mode) == 0o700
    # the definitions a team shares follow the umask (see docs/safety.md)
    seg_mode = stat.S_IMODE((workspace / "segments" / "base.yaml").stat().st_mode)
    assert seg_mode == 0o666 & ~0o022  # (written by the test itself: untouched by Kizuna)


def test_loose_state_from_before_is_tightened(workspace):
    loose = workspace / ".kizuna" / "cache"
    loose.mkdir(parents=True)
    os.chmod(workspace / ".kizuna", 0o777)
    os.chmod(loose, 0o777)
    from queries.query.session import open_session

    s = open_session(workspace)
    try:
        assert stat.S_IMODE((workspace / ".kizuna").stat().st_mode) == 0o700
        assert stat.S_IMODE(loose.stat().st_mode) == 0o700
        assert stat.S_IMODE(s.snapshot.features_path.stat().st_mode) == 0o600
    finally:
        s.close()


def test_private_writers_ignore_the_umask(tmp_path):
    os.chmod(tmp_path, 0o755)
    old = os.umask(0)
    try:
        target = write_private(tmp_path / "a" / "b" / "x.json", "{}")
        kept = keep_text(tmp_path / ".kizuna", "segments", "vip", "name: vip\n")
        made = private_dir(tmp_path / "c" / "d", anchor=tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for d in (tmp_path / "a", tmp_path / "a" / "b", made, tmp_path / "c"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.path.stat().st_mode) == 0o600
    for d in kept.path.parents:
        if d == tmp_path:
            break
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # the anchor is not Kizuna's
