"""The `kizuna` command: the headless twin of the TUI, over the same `queries` functions."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from queries.core.errors import KizunaError
from queries.core.i18n import _
from tui import render
from tui.interrupt import interrupted

if TYPE_CHECKING:  # the engine loads when a command needs it (`kizuna tui` paints first)
    from queries.query.session import Session

# modules whose commands load only when asked for (or for help): a plain `kizuna count` does
# not pay for Liquid, the campaign model, approval and export
LAZY_COMMAND_MODULES = ("calendar", "campaign", "check", "export", "history", "measure")


class LazyGroup(TyperGroup):
    """The root command group: loads the campaign commands' modules on first need."""

    def _load_all(self) -> None:
        import importlib

        before = len(app.registered_commands)
        for name in LAZY_COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{name}")
        if len(app.registered_commands) != before:
            for name, cmd in typer.main.get_group(app).commands.items():
                self.commands.setdefault(name, cmd)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            self._load_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._load_all()
        return super().list_commands(ctx)


app = typer.Typer(
    cls=LazyGroup,
    name="kizuna",
    help=_("Kizuna: segment customers, preview messages and hand off campaigns, from a terminal."),
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")

WorkspaceOpt = Annotated[
    Path | None, typer.Option("--workspace", "-w", help=_("Workspace folder (holds kizuna.toml)."))
]
DbOpt = Annotated[Path | None, typer.Option("--db", help=_("Snapshot file to open instead."))]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help=_("Pretend today is this date (YYYY-MM-DD)."))
]
JsonOpt = Annotated[bool, typer.Option("--json", help=_("Print one JSON object on stdout."))]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        "-e",
        help=_(
            "Run on this engine (kizuna.toml [engine] says where its tables are): "
            "duckdb|spark|postgres|trino|bigquery|snowflake."
        ),
    ),
]


def error_line(message: str) -> str:
    """`error: …` for stderr (Rich markup, the message escaped)."""
    return "[bold red]" + escape(_("error:")) + "[/] " + escape(message)


def fail(exc: KizunaError) -> None:
    """Print a user error as a short paragraph and exit with its code."""
    err.print(error_line(exc.render()), soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning user errors and Ctrl-C into messages and exit codes."""
    try:
        return fn()
    except KizunaError as exc:
        fail(exc)
    except KeyboardInterrupt:
        interrupted()
        raise typer.Exit(130) from None
    raise AssertionError("unreachable")


def demo_note(workspace: Path | None) -> None:
    """Say so when no workspace was given or found and the bundled demo is used."""
    if workspace is None:
        from queries.core.workspace import find_root

        if find_root(Path.cwd()) is None:
            err.print(
                _(
                    "note: no kizuna.toml in this folder or above: using the bundled demo "
                    "workspace (make your own with `kizuna init DIR`)"
                ),
                soft_wrap=True,
            )


def session(
    workspace: Path | None,
    db: Path | None,
    as_of: str | None = None,
    engine: str | None = None,
) -> Session:
    """Open the workspace, showing progress while the features cache is built."""
    status = None

    def progress(msg: str) -> None:
        nonlocal status
        if err.is_terminal:
            status = err.status(msg)
            status.start()
        else:
            err.print(escape(msg))

    demo_note(workspace)
    try:
        from queries.query.session import open_session

        return open_session(workspace, db, as_of, progress, engine=engine)
    finally:
        if status is not None:
            status.stop()


def _json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def _interactive() -> bool:
    """Both stdin and stdout are terminals (a pipe or a cron job cannot drive the TUI)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help=_("Language of the screens and messages: ja or en.")),
    ] = None,
) -> None:
    """Without a command, open the TUI on the workspace (the bundled demo when none)."""
    if lang is not None:  # tui.entry chose it already; this keeps `kizuna --lang ja` valid
        from queries.core.i18n import set_language

        set_language(lang)
    if ctx.invoked_subcommand is None:
        from tui.launch import launch

        if not _interactive():
            err.print(ctx.get_help())
            err.print(
                "\n"
                + _("error: the TUI needs a terminal; give a command (e.g. `kizuna count vip`)")
            )
            raise typer.Exit(2)

        guarded(lambda: launch(None, None, None))


@app.command(help=_("Open the segment builder TUI."))
def tui(
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Open the segment builder TUI."""
    from queries.core.workspace import load_workspace
    from tui.launch import launch

    _check_engine(engine)
    if workspace is not None:  # a folder that is no workspace: an error before any screen
        guarded(lambda: load_workspace(workspace, db, as_of))
    guarded(lambda: launch(workspace, db, as_of, engine))


@app.command(help=_("Create a workspace: kizuna.toml, segments/, campaigns/, templates/."))
def init(
    folder: Annotated[Path, typer.Argument(help=_("Folder for the new workspace."))],
    db: DbOpt = None,
) -> None:
    """Create a workspace: kizuna.toml, segments/, campaigns/, templates/."""
    from queries.query.init_map import init_workspace

    path = guarded(lambda: init_workspace(folder, db))
    out.print(_("Created workspace {path}").format(path=path))


@app.command(help=_("List the catalog: customer fields and event sources."))
def fields(workspace: WorkspaceOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the catalog: customer fields and event sources."""

    def body() -> None:
        s = session(workspace, db)
        if as_json:
            _json(render.catalog_json(s.catalog))
        else:
            render.print_catalog(out, s.catalog)

    guarded(body)


@app.command(help=_("Count a segment's audience exactly."))
def count(
    segment: Annotated[str, typer.Argument(help=_("Segment file or name in the workspace."))],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    waterfall: Annotated[
        bool, typer.Option("--waterfall", help=_("Show the count after each condition."))
    ] = False,
    engine: EngineOpt = None,
) -> None:
    """Count a segment's audience exactly."""
    _check_engine(engine)

    def body() -> None:
        from queries.core.i18n import language
        from queries.query import fastcount

        cacheable = as_json and not waterfall and engine is None  # what tui.fastpath serves
        args = (workspace, db, as_of)
        before = fastcount.count_key(*args, segment, language()) if cacheable else None
        s = session(workspace, db, as_of, engine)
        seg = s.segment(segment)
        start = time.perf_counter()
        if waterfall:
            base, steps = s.runner.waterfall(seg)
            from queries.query.runner import audience_of

            n = audience_of(base, steps)
        else:
            base, steps, n = s.snapshot.base_size, [], s.runner.count(seg)
        elapsed = time.perf_counter() - start
        if as_json:
            data = fastcount.count_json(seg.name, n, base, s.snapshot.as_of.isoformat(), elapsed)
            data["engine"] = s.engine.kind
            if waterfall:
                data["waterfall"] = [
                    {"condition": st.label, "count": st.count, "removed": st.removed}
                    for st in steps
                ]
            _json(data)
        else:
            render.print_count(out, s, seg, n, base, steps if waterfall else None, elapsed)
        fastcount.remember_count(s, segment, language(), args, before)

    guarded(body)


@app.command(help=_("Show a stable sample of members (personal data masked unless --unmask)."))
def sample(
    segment: Annotated[str, typer.Argument(help=_("Segment file or name in the workspace."))],
    n: Annotated[int, typer.Option("-n", help=_("How many members."), min=1, max=10000)] = 20,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    unmask: Annotated[
        bool, typer.Option("--unmask", help=_("Show personal data in clear."))
    ] = False,
    engine: EngineOpt = None,
) -> None:
    """Show a stable sample of members (personal data masked unless --unmask)."""
    _check_engine(engine)

    def body() -> None:
        s = session(workspace, db, as_of, engine)
        seg = s.segment(segment)
        rows = s.runner.sample(seg, n, unmask)
        if as_json:
            _json(
                {
                    "segment": seg.name,
                    "count": s.runner.count(seg),  # the audience size, as everywhere
                    "sample_size": len(rows),
                    "masked": not unmask,
                    "rows": rows,
                }
            )
        else:
            render.print_rows(
                out, rows, _("{name}: sample of {n}").format(name=seg.name, n=len(rows))
            )

    guarded(body)


@app.command(help=_("Explain, condition by condition, why a customer is in or out of a segment."))
def why(
    segment: Annotated[str, typer.Argument(help=_("Segment file or name in the workspace."))],
    customer_id: Annotated[str, typer.Argument(help=_("The customer to explain."))],
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    engine: EngineOpt = None,
) -> None:
    """Explain, condition by condition, why a customer is in or out of a segment."""
    _check_engine(engine)

    def body() -> None:
        s = session(workspace, db, as_of, engine)
        seg = s.segment(segment)
        cid = s.runner.resolve_customer(customer_id)
        member, verdicts = s.runner.why(seg, cid)
        if as_json:
            _json(
                {
                    "segment": seg.name,
                    "customer_id": cid,
                    "member": member,
                    "conditions": [
                        {
                            "depth": v.depth,
                            "condition": v.label,
                            "verdict": v.verdict,
                            "value": v.value,
                        }
                        for v in verdicts
                    ],
                }
            )
        else:
            render.print_why(out, seg, cid, member, verdicts)

    guarded(body)


def _check_engine(engine: str | None) -> None:
    if engine is None:
        return  # no import: queries.engines loads sqlglot, which `kizuna tui` loads after painting
    from queries.engines import KINDS

    if engine not in KINDS:
        err.print(f"error: unknown engine `{engine}`; use one of {', '.join(KINDS)}")
        raise typer.Exit(2)


@app.command(
    help=_(
        "Print the SQL that selects the segment's members.\n\n"
        "--engine prints exactly what runs on that engine (its tables, its features view);\n"
        "--dialect prints the portable form for a dialect, reading features from `features`."
    )
)
def sql(
    segment: Annotated[str, typer.Argument(help=_("Segment file or name in the workspace."))],
    dialect: Annotated[
        str | None,
        typer.Option("--dialect", "-d", help=_("duckdb|spark|trino|bigquery|snowflake|postgres")),
    ] = None,
    workspace: WorkspaceOpt = None,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Print the SQL that selects the segment's members.

    --engine prints exactly what runs on that engine (its tables, its features view);
    --dialect prints the portable form for a dialect, reading features from `features`.
    """
    from queries.engines.dialects import DIALECT_NAMES

    if dialect is not None and dialect not in DIALECT_NAMES:
        err.print(f"error: unknown dialect `{dialect}`; use one of {', '.join(DIALECT_NAMES)}")
        raise typer.Exit(2)
    _check_engine(engine)
    if engine is not None and dialect is not None and engine != dialect:
        err.print(f"error: --engine {engine} runs {engine} SQL; leave out --dialect {dialect}")
        raise typer.Exit(2)

    def body() -> None:
        if dialect is not None and dialect != "duckdb" and engine is None:
            s = session(workspace, db, as_of)  # the portable form: no engine needed
        else:
            s = session(workspace, db, as_of, engine)
        target = None if engine is not None else dialect
        sys.stdout.write(s.runner.sql(s.segment(segment), target) + "\n")

    guarded(body)


@app.command(help=_("Check segment files against the catalog without opening the snapshot."))
def validate(
    files: Annotated[list[Path], typer.Argument(help=_("Segment files to check."))],
    workspace: WorkspaceOpt = None,
) -> None:
    """Check segment files against the catalog without opening the snapshot."""
    from queries.campaigns.validate import validate_file

    def body() -> None:
        bad = 0
        for f in files:
            try:
                validate_file(f, workspace)
                out.print(f"[green]ok[/]  {f}")
            except KizunaError as exc:
                bad += 1
                err.print(error_line(exc.render()), soft_wrap=True)
        if bad:
            raise typer.Exit(1)

    guarded(body)


@app.command(
    help=_("Generate the demo snapshot, or a scale one for benchmarks (--customers 1000000).")
)
def demo(
    customers: Annotated[int, typer.Option("--customers", min=10)] = 25_000,
    out_path: Annotated[Path, typer.Option("--out")] = Path("demo.duckdb"),
    seed: Annotated[int, typer.Option("--seed")] = 7,
    continue_from: Annotated[
        Path | None,
        typer.Option(
            "--continue-from",
            help=_(
                "Copy this demo snapshot and simulate --days more days of orders, with the "
                "exported campaigns having a SIMULATED effect (see docs/measure.md)."
            ),
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help=_("With --continue-from."))] = 45,
    effect: Annotated[
        float,
        typer.Option(
            "--effect",
            help=_(
                "With --continue-from: the simulated uplift in "
                "conversion of treated people (0.05 = +5 percentage points)."
            ),
        ),
    ] = 0.05,
    workspace: WorkspaceOpt = None,
) -> None:
    """Generate the demo snapshot, or a scale one for benchmarks (--customers 1000000)."""
    from queries.demo.generate import generate_demo

    if continue_from is not None:
        guarded(lambda: _continue(continue_from, out_path, days, effect, seed, workspace))
        return

    def body() -> None:
        start = time.perf_counter()
        generate_demo(out_path, customers=customers, seed=seed, progress=lambda m: err.print(m))
        took = time.perf_counter() - start
        out.print(f"Wrote {out_path} ({customers:,} customers, seed {seed}) in {took:.1f}s")

    guarded(body)


def _continue(src: Path, dest: Path, days: int, effect: float, seed: int, ws: Path | None) -> None:
    """`kizuna demo --continue-from`: the demo world after its as-of day (simulated effect)."""
    from queries.core.workspace import load_workspace
    from queries.demo.continuation import continue_demo

    root = load_workspace(ws).root
    r = continue_demo(src, dest, days, effect, seed, root / "exports", lambda m: err.print(m))
    camps = ", ".join(f"{k} (export {v})" for k, v in r.campaigns.items()) or "none exported"
    out.print(
        f"Wrote {dest}: {r.orders:,} orders from {r.as_of} to {r.new_as_of} (as of "
        f"{r.new_as_of}); campaigns with a simulated +{effect * 100:g} pp effect: {camps}"
    )


def parse_date(value: str) -> date:
    return date.fromisoformat(value)
