"""The read-only, locked-down DuckDB connection to a snapshot (no sqlglot: cached counts use it)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from queries.core.errors import SnapshotError, SnapshotLocked

CACHE_ALIAS = "kz_cache"
SNAPSHOT_ALIAS = "snapshot"


def connect_read_only(path: Path, retries: int = 4) -> duckdb.DuckDBPyConnection:
    """Connect read-only, retrying with backoff while a writer holds the lock."""
    if not path.is_file():
        raise SnapshotError(f"snapshot {path} does not exist")
    delay = 0.25
    for attempt in range(retries + 1):
        # a private in-memory instance per session: DuckDB shares one instance per file path
        # within a process, and this session's lock-down must not leak into another's
        con = duckdb.connect(":memory:")
        try:
            quoted = path.as_posix().replace("'", "''")
            con.execute(f"ATTACH '{quoted}' AS {SNAPSHOT_ALIAS} (READ_ONLY)")
            con.execute(f"USE {SNAPSHOT_ALIAS}")
            return con
        except duckdb.IOException as exc:
            con.close()
            if "lock" not in str(exc).lower():
                raise SnapshotError(f"cannot open snapshot {path}: {exc}") from None
            if attempt == retries:
                raise SnapshotLocked(
                    f"snapshot {path} is being refreshed (another program is writing it); "
                    "try again in a minute"
                ) from None
            time.sleep(delay)
            delay *= 2
        except duckdb.Error as exc:
            con.close()
            raise SnapshotError(f"cannot open snapshot {path}: {exc}") from None
    raise AssertionError("unreachable")


def attach_features(con: duckdb.DuckDBPyConnection, features: Path) -> None:
    """Attach the features cache file read-only as `kz_cache`."""
    quoted = features.as_posix().replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {CACHE_ALIAS} (READ_ONLY)")


def lock_down(con: duckdb.DuckDBPyConnection, root: Path, features: Path) -> None:
    """No file access outside the workspace and the features cache, no extensions, frozen."""
    allowed = [root.resolve().as_posix() + "/", features.parent.as_posix() + "/"]
    lst = ", ".join("'" + a.replace("'", "''") + "'" for a in allowed)
    con.execute(f"SET allowed_directories = [{lst}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET GLOBAL python_enable_replacements = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET lock_configuration = true")
