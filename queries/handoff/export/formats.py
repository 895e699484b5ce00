"""Write audience and holdout files in batches: CSV/TSV (RFC 4180), id lines, JSONL, Parquet.

Every file is created as `<name>.partial` (mode 0600) and hashed as it is written. Values are
formatted the way DuckDB's CSV writer formats them, so the COPY fast path and this writer give
byte-identical files. A value the encoding cannot carry, or one longer than the destination
allows, stops the export with the row and customer named.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from queries.campaigns.presets import Preset
from queries.core.cells import neutralise
from queries.core.mask import mask_value
from queries.core.private_fs import open_private
from queries.handoff.refusals import EncodingFailed, ExportError, FieldTooLong

_BOM = b"\xef\xbb\xbf"


def fmt(value: Any) -> str | None:
    """A value as DuckDB's CSV writer prints it (None stays None: an empty, unquoted cell)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text
    if isinstance(value, (date, int, Decimal)):
        return str(value)
    return str(value)


def too_long(text: str | None, limit: int) -> bool:
    """Whether a cell's UTF-8 bytes exceed the destination's per-field limit."""
    return text is not None and len(text) * 4 > limit and len(text.encode("utf-8")) > limit


def unusable_id(text: str | None) -> bool:
    """An id-list line that would be empty or split in two."""
    return not text or "\n" in text or "\r" in text


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


class Sink:
    """One `.partial` file being written: counts rows and bytes, hashes as it goes."""

    def __init__(self, folder: Path, name: str):
        self.name, self.path = name, folder / f"{name}.partial"
        fd = open_private(self.path, os.O_WRONLY | os.O_EXCL)
        self.file = os.fdopen(fd, "wb", buffering=1 << 20)
        self.sha, self.bytes, self.rows = hashlib.sha256(), 0, 0

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.sha.update(data)
        self.bytes += len(data)

    def close(self) -> dict[str, Any]:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        return {
            "name": self.name,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha.hexdigest(),
        }


def file_info(path: Path, name: str, rows: int | None) -> dict[str, Any]:
    """Rows, bytes and sha256 of a file someone else wrote (fsynced here)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
        os.fsync(f.fileno())
    return {"name": name, "rows": rows, "bytes": path.stat().st_size, "sha256": h.hexdigest()}


class Writer:
    """Writes one logical file (possibly split in parts) of a preset's rows, batch by batch."""

    def __init__(
        self,
        folder: Path,
        base: str,
        preset: Preset,
        encoding: str,
        headers: list[str],
        mask: list[str | None] | None = None,
        types: list[str] | None = None,
        total: int = 0,
        header: bool | None = None,
    ):
        self.folder, self.base, self.preset = folder, base, preset
        self.codec = encoding
        self.bom = encoding == "utf-8" and preset.bom
        self.headers, self.types = headers, types or ["VARCHAR"] * len(headers)
        self.mask = mask or [None] * len(headers)
        self.header = preset.header if header is None else header
        self.split = preset.split_rows if preset.format == "lines" else None
        self.parts = 1 if not self.split else max(1, -(-total // self.split))
        self.done: list[dict[str, Any]] = []
        self.sink: Sink | None = None
        self.row = 0  # data rows written so far
        self.quote = re.compile('["\r\n#' + re.escape(preset.delimiter) + "]")
        self.tmp: Path | None = None
        if preset.format == "parquet":
            self.tmp = folder / f".{base}.parquet.csv"
        self._open(1)

    # -- files ---------------------------------------------------------------------------
    def _name(self, part: int) -> str:
        if self.parts > 1:
            return f"{self.base}-{part}.{self.preset.ext}"
        return f"{self.base}.{self.preset.ext}"

    def _open(self, part: int) -> None:
        if self.tmp is not None:
            self.sink = Sink(self.folder, self.tmp.name)
            self.tmp = self.sink.path
            self.sink.write(self._line(self.headers, ",", "\n").encode())
            return
        self.sink = Sink(self.folder, self._name(part))
        if self.bom:
            self.sink.write(_BOM)
        if self.header and self.preset.format in ("csv", "tsv"):
            line = self._line(self.headers, self.preset.delimiter, self.preset.newline)
            self.sink.write(self._encode([line], [None], [[h] for h in self.headers]))

    def _column(self, j: int, col: Sequence[Any], ids: Sequence) -> list[str | None]:
        """One column of a batch as text: masked, formatted, formula-guarded, length-checked."""
        pre, m = self.preset, self.mask[j]
        if m is not None:
            col = [None if v is None else mask_value(m, v) for v in col]
        kinds = set(map(type, col)) - {str, type(None)}
        if kinds and kinds <= {int, Decimal, date}:
            col = [None if v is None else str(v) for v in col]
        elif kinds:
            col = list(map(fmt, col))
        if pre.formula_guard:
            col = list(map(neutralise, col))
        if pre.max_field_bytes:
            limit = pre.max_field_bytes
            for i, s in enumerate(col):
                if too_long(s, limit):
                    raise FieldTooLong(
                        f"row {self.row + i + 1:,} (customer {ids[i]}), column "
                        f"`{self.headers[j]}`: {len(s.encode('utf-8'))} bytes, over the "
                        f"{limit}-byte limit of {pre.name}",
                        {"column": self.headers[j], "limit": limit},
                    )
        return list(col)

    def _cells(self, ids: Sequence, rows: Sequence[Sequence[Any]]) -> list[list[str | None]]:
        """Format a batch column by column; returns the text cells per column."""
        return [self._column(j, col, ids) for j, col in enumerate(zip(*rows))]

    def _quoted(self, col: list[str | None]) -> list[str]:
        """RFC 4180 cells: empty for NULL, quoted (quotes doubled) where needed."""
        search = self.quote.search
        if not search("\x00".join(filter(None, col))):  # the common case: nothing to quote
            if None not in col and "" not in col:
                # no None in col (checked above; mypy cannot narrow a list by `in`): no copy
                return col  # type: ignore[return-value]
            return ["" if s is None else ('""' if s == "" else s) for s in col]
        return [
            "" if s is None else ('"' + s.replace('"', '""') + '"' if s == "" or search(s) else s)
            for s in col
        ]

    def _lines(self, cols: list[list[str | None]], delim: str, newline: str) -> list[str]:
        quoted = [self._quoted(c) for c in cols]
        return [delim.join(r) + newline for r in zip(*quoted)]

    def _line(self, cells: Sequence[str | None], delim: str, newline: str) -> str:
        return delim.join(self._quoted(list(cells))) + newline

    def _encode(self, lines: list[str], ids: Sequence, cols: Sequence[Sequence]) -> bytes:
        """Encode a batch; on failure name the first row, customer and column that cannot be."""
        try:
            return "".join(lines).encode(self.codec)
        except UnicodeEncodeError:
            pass
        for i in range(len(ids)):
            for j, col in enumerate(cols):
                try:
                    (col[i] or "").encode(self.codec)
                except UnicodeEncodeError as exc:
                    bad = exc.object[exc.start]
                    who = (
                        "header"
                        if ids[i] is None
                        else f"row {self.row + i + 1:,} (customer {ids[i]})"
                    )
                    raise EncodingFailed(
                        f"{who}, column `{self.headers[j]}`: {bad!r} (U+{ord(bad):04X}) cannot "
                        f"be written in {self.codec}; use utf-8 or exclude these customers",
                        {"char": f"U+{ord(bad):04X}", "encoding": self.codec},
                    ) from None
        raise AssertionError("unreachable")

    def write(self, ids: Sequence, rows: Sequence[Sequence[Any]]) -> None:
        """Append a batch (split across parts where the preset splits); `ids` name customers."""
        start = 0
        while start < len(rows):
            take = len(rows) - start
            if self.split:
                assert self.sink is not None
                if self.sink.rows >= self.split:
                    self._rotate()
                take = min(take, self.split - self.sink.rows)
            self._write(ids[start : start + take], rows[start : start + take])
            start += take

    def _write(self, ids: Sequence, rows: Sequence[Sequence[Any]]) -> None:
        fmt_ = self.preset.format
        if fmt_ == "jsonl":
            masked = [self._masked(r) for r in rows]
            cols: list = [list(map(fmt, c)) for c in zip(*masked)]
            lines = [
                json.dumps(dict(zip(self.headers, r)), ensure_ascii=False, default=_json_default)
                + "\n"
                for r in masked
            ]
        else:
            cols = self._cells(ids, rows)
            if fmt_ == "lines":
                lines = []
                for i, s in enumerate(cols[0]):
                    if not s or unusable_id(s):
                        n = self.row + i + 1
                        raise ExportError(f"row {n:,} (customer {ids[i]}) has no usable id")
                    lines.append(s + self.preset.newline)
            elif fmt_ == "parquet":
                lines = self._lines(cols, ",", "\n")
            else:
                lines = self._lines(cols, self.preset.delimiter, self.preset.newline)
        assert self.sink is not None
        if self.tmp is not None:
            data = "".join(lines).encode("utf-8")
        else:
            data = self._encode(lines, ids, cols)
        self.sink.write(data)
        self.sink.rows += len(rows)
        self.row += len(rows)

    def _masked(self, row: Sequence[Any]) -> list[Any]:
        return [
            mask_value(m, v) if m is not None and v is not None else v
            for m, v in zip(self.mask, row)
        ]

    def _rotate(self) -> None:
        assert self.sink is not None
        self.done.append(self.sink.close())
        self._open(len(self.done) + 1)

    def close(self) -> list[dict[str, Any]]:
        """Finish every part; returns rows, bytes and sha256 of each (names without .partial)."""
        assert self.sink is not None
        info = self.sink.close()
        if self.tmp is None:
            return [*self.done, info]
        name = f"{self.base}.parquet"
        _csv_to_parquet(self.tmp, self.folder / f"{name}.partial", self.headers, self.types)
        self.tmp.unlink()
        os.chmod(self.folder / f"{name}.partial", 0o600)
        return [file_info(self.folder / f"{name}.partial", name, info["rows"])]

    def abort(self) -> None:
        if self.sink is not None and not self.sink.file.closed:
            self.sink.file.close()


def _csv_to_parquet(src: Path, dst: Path, headers: list[str], types: list[str]) -> None:
    """Convert the staged CSV to typed Parquet on a private in-memory DuckDB."""
    cols = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.Literal.string(h), expression=exp.Literal.string(t))
            for h, t in zip(headers, types)
        ]
    )
    opts = {
        "header": exp.true(),
        "auto_detect": exp.false(),
        "allow_quoted_nulls": exp.false(),
        "delim": exp.Literal.string(","),
        "quote": exp.Literal.string('"'),
        "escape": exp.Literal.string('"'),
        "columns": cols,
    }
    args = [exp.Literal.string(str(src))] + [
        exp.EQ(this=exp.column(k), expression=v) for k, v in opts.items()
    ]
    read = exp.select(exp.Star()).from_(
        exp.Table(this=exp.Anonymous(this="read_csv", expressions=args))
    )
    con = duckdb.connect(":memory:")
    try:
        con.execute(
            f"COPY ({read.sql('duckdb')}) TO {exp.Literal.string(str(dst)).sql('duckdb')} "
            "(FORMAT parquet)"
        )
    except duckdb.Error as exc:
        raise ExportError(f"writing Parquet failed: {exc}") from None
    finally:
        con.close()
