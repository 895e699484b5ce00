"""Start the Textual app on a workspace (imported lazily so the CLI stays fast)."""

from __future__ import annotations

from pathlib import Path


def launch(
    workspace: Path | None, db: Path | None, as_of: str | None, engine: str | None = None
) -> None:
    """Open the segment builder TUI (on `engine` when given, else the workspace's)."""
    from tui.app import KizunaApp

    KizunaApp(workspace=workspace, db=db, as_of=as_of, engine=engine).run()
