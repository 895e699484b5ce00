"""`kizuna history` and `kizuna restore`: see and bring back kept versions of segments/campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from queries.core.i18n import _
from tui.cli.main import WorkspaceOpt, app, err, guarded, out

KindOpt = Annotated[
    bool, typer.Option("--campaign", help=_("A campaign file (default: a segment file)."))
]


def _folders(workspace: Path | None, campaign: bool) -> tuple[Path, str, Path]:
    from queries.core.workspace import load_workspace

    ws = load_workspace(workspace)
    kind = "campaigns" if campaign else "segments"
    folder = ws.campaigns_dir if campaign else ws.segments_dir
    return ws.state_dir, kind, folder


@app.command(
    help=_("List the kept versions of a segment (or --campaign) file, deleted ones included.")
)
def history(
    name: Annotated[
        str | None, typer.Argument(help=_("File stem; leave out to list every kept file."))
    ] = None,
    campaign: KindOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """List the kept versions of a segment (or --campaign) file, deleted ones included."""
    from queries.core.history import kept_stems, versions

    def body() -> None:
        state, kind, folder = _folders(workspace, campaign)
        if name is None:
            table = Table(title=f"kept versions in .kizuna/history/{kind}", title_justify="left")
            for col in ("file", "versions", "newest", "state"):
                table.add_column(col)
            for stem in kept_stems(state, kind):
                kept = versions(state, kind, stem)
                gone = not (folder / f"{stem}.yaml").exists()
                table.add_row(
                    Text(f"{stem}.yaml"),
                    str(len(kept)),
                    kept[-1].kept_at,
                    Text(_("deleted"), style="red") if gone else "",
                )
            out.print(table)
            return
        stem = Path(name).stem
        kept = versions(state, kind, stem)
        if not kept:
            err.print(
                _("error: no kept versions of {kind}/{stem}.yaml").format(kind=kind, stem=stem)
            )
            raise typer.Exit(1)
        current = folder / f"{stem}.yaml"
        text = current.read_text(encoding="utf-8") if current.is_file() else None
        table = Table(title=Text(f"{kind}/{stem}.yaml"), title_justify="left")
        for col in ("#", "kept at", "first line", ""):
            table.add_column(col)
        for v in kept:
            first = v.text.splitlines()[0] if v.text else ""
            mark = "current" if v.text == text else ""
            table.add_row(str(v.number), v.kept_at, Text(first), mark)
        out.print(table)
        out.print(_("restore one: kizuna restore {stem} --version N").format(stem=stem))

    guarded(body)


@app.command(
    help=_("Bring back a kept version (default: the newest that differs); the current one is kept.")
)
def restore(
    name: Annotated[str, typer.Argument(help=_("File stem of the segment (or --campaign)."))],
    version: Annotated[
        int | None, typer.Option("--version", help=_("Version number from `kizuna history`."))
    ] = None,
    campaign: KindOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Bring back a kept version (default: the newest that differs); the current one is kept."""
    from queries.core.history import restore as restore_version

    def body() -> None:
        state, kind, folder = _folders(workspace, campaign)
        target, chosen = restore_version(state, kind, folder, Path(name).stem, version)
        out.print(
            _("Restored {kind}/{name} from version {number} ({kept_at})").format(
                kind=kind, name=target.name, number=chosen.number, kept_at=chosen.kept_at
            )
        )

    guarded(body)
