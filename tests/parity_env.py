"""The parity engines for the tests: the demo snapshot on DuckDB, Spark (local) and Postgres.

The demo snapshot (demo.duckdb, 25,000 customers) is exported to Parquet for Spark and copied
into a throwaway PostgreSQL server on 127.0.0.1 (started here from /usr/lib/postgresql/*/bin).
The fixtures are session-scoped, so every parity module shares one Spark and one server.

In CI (CI=true) a missing Spark, Java or Postgres is a failure, not a skip. Locally, deselect
the parity tests with `-m "not parity"`.
"""

from __future__ import annotations

import contextlib
import math
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from glob import glob
from pathlib import Path

import duckdb
import pytest

from queries.core.schema import TABLE_COLUMNS
from queries.engines import EngineError
from queries.query.session import Session, open_session

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo.duckdb"
SEGMENTS = sorted(p.stem for p in (ROOT / "segments").glob("*.yaml"))
TABLES = [*TABLE_COLUMNS, "snapshot_meta"]
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Fail in CI (the engines are part of the build there), skip on a developer's machine."""
    if IN_CI:
        pytest.fail(f"parity engine missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


# -- the snapshot, exported ------------------------------------------------------------------
@pytest.fixture(scope="session")
def export_dir() -> Iterator[Path]:
    """Every demo table as Parquet (for Spark) and CSV (for Postgres' COPY)."""
    folder = Path(tempfile.mkdtemp(prefix="kizuna-parity-"))
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{DEMO.as_posix()}' AS demo (READ_ONLY)")
        for t in TABLES:
            con.execute(f"COPY demo.main.{t} TO '{folder / t}.parquet' (FORMAT parquet)")
            con.execute(f"COPY demo.main.{t} TO '{folder / t}.csv' (FORMAT csv, HEADER true)")
    finally:
        con.close()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def parity_ws(tmp_path_factory: pytest.TempPathFactory, export_dir: Path) -> Path:
    ws = tmp_path_factory.mktemp("parity_ws")
    for folder in ("segments", "campaigns", "templates"):
        shutil.copytree(ROOT / folder, ws / folder)
    tables = "\n".join(f'{t} = "{(export_dir / t).as_posix()}.parquet"' for t in TABLES)
    (ws / "kizuna.toml").write_text(
        f'[snapshot]\npath = "{DEMO.as_posix()}"\n\n'
        '[engine.spark]\nmaster = "local[2]"\n'
        '[engine.spark.conf]\n"spark.sql.shuffle.partitions" = "4"\n'
        f"[engine.spark.tables]\n{tables}\n",
        encoding="utf-8",
    )
    return ws


@pytest.fixture(scope="session")
def duck(parity_ws: Path) -> Iterator[Session]:
    s = open_session(parity_ws)
    yield s
    s.close()


# -- Spark -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def spark(parity_ws: Path) -> Iterator[Session]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed (pip install 'kizuna[spark]')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        unavailable("no Java runtime for Spark (apt-get install default-jre-headless)")
    try:
        s = open_session(parity_ws, engine="spark")
    except EngineError as exc:
        unavailable(f"Spark did not start: {exc}")
    yield s
    s.close()


# -- PostgreSQL --------------------------------------------------------------------------------
PG_TYPES = {
    "VARCHAR": "text",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
    "DOUBLE": "double precision",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    ctl = shutil.which("pg_ctl")
    return Path(ctl).resolve().parent if ctl else None


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway server on 127.0.0.1 (run as the `postgres` user when we are root)."""
    bindir = _pg_bin()
    if bindir is None:
        unavailable("no PostgreSQL server binaries (apt-get install postgresql)")
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run the server")
    base = Path(tempfile.mkdtemp(prefix="kizuna-pg-"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    if user is not None:
        for p in (base, sock):
            os.chown(p, user.pw_uid, user.pw_gid)
    run_as = {"user": user.pw_uid, "group": user.pw_gid} if user else {}
    env = {**os.environ, "LC_ALL": "C"}
    port = _free_port()
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(data), "-U", "kizuna", "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        check=True, capture_output=True, env=env, **run_as,
    )  # fmt: skip
    opts = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sock} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"],
        check=True, capture_output=True, env=env, **run_as,
    )  # fmt: skip
    try:
        yield f"host=127.0.0.1 port={port} user=kizuna dbname=postgres"
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, env=env, **run_as,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


def load_postgres(dsn: str, export_dir: Path) -> None:
    """CREATE the demo tables in schema `snap` and COPY the CSV exports into them."""
    import psycopg

    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{DEMO.as_posix()}' AS demo (READ_ONLY)")
    cols = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = 'demo' ORDER BY table_name, ordinal_position"
    ).fetchall()
    con.close()
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("CREATE SCHEMA snap")
        for t in TABLES:
            defs = ", ".join(f'"{c}" {PG_TYPES[ty]}' for tab, c, ty in cols if tab == t)
            pg.execute(f'CREATE TABLE snap."{t}" ({defs})')
            with (
                pg.cursor() as cur,
                cur.copy(f'COPY snap."{t}" FROM STDIN (FORMAT csv, HEADER true)') as copy,
                (export_dir / f"{t}.csv").open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            pg.execute(f'ANALYZE snap."{t}"')


@pytest.fixture(scope="session")
def pg(parity_ws: Path, export_dir: Path) -> Iterator[Session]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install 'kizuna[postgres]')")
    with postgres_server() as dsn:
        load_postgres(dsn, export_dir)
        with (parity_ws / "kizuna.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[engine.postgres]\ndsn = "{dsn}"\nschema = "snap"\n')
        s = open_session(parity_ws, engine="postgres")
        yield s
        s.close()


# -- helpers -----------------------------------------------------------------------------------
def norm(value: object) -> object:
    """One representation per value across drivers (Decimal, float, timestamps)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (Decimal, float)):
        f = float(value)
        return round(f, 6) if not math.isnan(f) else "nan"
    if isinstance(value, int):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def seg(session: Session, name: str):
    return session.segment(name)
