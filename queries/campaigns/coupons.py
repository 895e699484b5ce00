"""Coupon codes per recipient: derived from md5 (unique, stable) or drawn from a pool CSV."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from queries.core.cells import FORMULA_START
from queries.core.errors import KizunaError, Location, SegmentError
from queries.core.i18n import _

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison  # customer ids: str or int, sortable

# 32 symbols without the look-alikes 0/O and 1/I, so a code read aloud or typed is unambiguous.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MIN_LENGTH, MAX_LENGTH = 4, 24


class CouponError(KizunaError):
    """Coupons cannot be handed out: the pool is too small, or a code repeats."""


def candidate(salt: str, customer_id: object, length: int, attempt: int = 0) -> str:
    """The code for `customer_id` on try `attempt` (0 first; later tries after a collision).

    The code is the md5 digest's leading bits, 5 per symbol (the base32 of the digest,
    spelt in ALPHABET).
    """
    key = f"coupon:{salt}:{customer_id}" + (f":{attempt}" if attempt else "")
    n = int.from_bytes(hashlib.md5(key.encode()).digest(), "big") >> (128 - 5 * length)
    if length % 2:
        out = [ALPHABET[n & 31]]
        n >>= 5
    else:
        out = []
    for _pair in range(length // 2):
        out.append(_PAIRS[n & 1023])
        n >>= 10
    return "".join(reversed(out))


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]


class CodeAllocator:
    """Hands out derived codes in customer_id order; a taken code is rehashed with a counter."""

    def __init__(self, salt: str, prefix: str, length: int):
        self.salt, self.prefix, self.length = salt, prefix, length
        self.taken: set[str] = set()
        self.collisions = 0

    def code(self, customer_id: object, first: str | None = None) -> str:
        """The next recipient's code (call in ascending customer_id order)."""
        attempt = 0
        code = first or self.prefix + candidate(self.salt, customer_id, self.length)
        while code in self.taken:
            attempt += 1
            self.collisions += 1
            code = self.prefix + candidate(self.salt, customer_id, self.length, attempt)
        self.taken.add(code)
        return code

    def codes(self, customer_ids: Iterable[object]) -> list[str]:
        return [self.code(cid) for cid in customer_ids]

    def accept(self, customer_ids: list, firsts: list[str | None]) -> list[str]:
        """Codes for a batch whose first candidates came from SQL (`coupon_sql`)."""
        codes = [f for f in firsts if f is not None]
        if len(codes) < len(firsts):  # no SQL candidates (engine without coupon_sql): derive here
            return [self.code(cid, first) for cid, first in zip(customer_ids, firsts)]
        if len(set(codes)) == len(codes) and self.taken.isdisjoint(codes):
            self.taken.update(codes)
            return codes
        return [self.code(cid, first) for cid, first in zip(customer_ids, firsts)]


def coupon_sql(customer_id: exp.Expr, salt: str, prefix: str, length: int) -> exp.Expr:
    """The first candidate code in DuckDB SQL, equal to `prefix + candidate(salt, id, length)`."""
    key = exp.DPipe(
        this=exp.Literal.string(f"coupon:{salt}:"),
        expression=exp.cast(customer_id, exp.DataType.build("VARCHAR")),
    )
    digest = exp.MD5(this=key)
    out: exp.Expr = exp.Literal.string(prefix)
    for start in range(0, length, 12):  # 12 symbols = 60 bits = 15 hex digits per chunk
        k = min(12, length - start)
        hex_digits = -(-5 * k // 4)
        chunk = exp.cast(
            exp.DPipe(
                this=exp.Literal.string("0x"),
                expression=exp.Substring(
                    this=digest.copy(),
                    start=exp.Literal.number(15 * start // 12 + 1),
                    length=exp.Literal.number(hex_digits),
                ),
            ),
            exp.DataType.build("UBIGINT", dialect="duckdb"),
        )
        spare = 4 * hex_digits - 5 * k
        for j in range(k):
            shift = spare + 5 * (k - j - 1)
            sym = exp.BitwiseAnd(
                this=exp.paren(
                    exp.BitwiseRightShift(this=chunk.copy(), expression=exp.Literal.number(shift)),
                    copy=False,
                ),
                expression=exp.Literal.number(31),
            )
            pos = exp.Add(
                this=exp.cast(sym, exp.DataType.build("INT")), expression=exp.Literal.number(1)
            )
            char = exp.Substring(
                this=exp.Literal.string(ALPHABET), start=pos, length=exp.Literal.number(1)
            )
            out = exp.DPipe(this=out, expression=char)
    return out


def allocate(
    salt: str, prefix: str, length: int, customer_ids: Iterable[SupportsRichComparison]
) -> dict:
    """Codes for a whole audience: unique, and the same on every re-export of the same set."""
    ids = sorted(customer_ids)
    alloc = CodeAllocator(salt, prefix, length)
    return dict(zip(ids, alloc.codes(ids)))


def load_pool(path: Path, file_for_errors: str | None = None) -> list[str]:
    """Read a pool CSV: the `code` column when there is a header with it, else the first column."""
    shown = file_for_errors or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SegmentError(_("coupon pool file not found"), Location(shown)) from None
    except UnicodeDecodeError:
        raise SegmentError(_("coupon pool is not UTF-8 text"), Location(shown)) from None
    rows = list(csv.reader(text.splitlines()))
    col, start = 0, 0
    if rows:
        header = [c.strip().lower() for c in rows[0]]
        if "code" in header:
            col, start = header.index("code"), 1
    codes: list[str] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(rows[start:], start + 1):
        if not row or not any(c.strip() for c in row):
            continue
        value = row[col].strip() if col < len(row) else ""
        if not value:
            raise SegmentError(_("empty coupon code"), Location(shown, lineno))
        if value.startswith(FORMULA_START):
            raise SegmentError(
                _(
                    "coupon code `{code}` starts with `{first}`: a spreadsheet would run "
                    "it as a formula (codes may not start with = + - @)"
                ).format(code=value, first=value[0]),
                Location(shown, lineno),
            )
        if value in seen:
            raise SegmentError(
                _("coupon code `{code}` repeats (first on line {line})").format(
                    code=value, line=seen[value]
                ),
                Location(shown, lineno),
            )
        seen[value] = lineno
        codes.append(value)
    if not codes:
        raise SegmentError(_("the coupon pool holds no codes"), Location(shown))
    return codes


class PoolAllocator:
    """Hands out pool codes in file order to recipients in customer_id order, each once."""

    def __init__(self, codes: list[str], name: str = "the pool"):
        self.pool, self.name, self.used = codes, name, 0
        self.collisions = 0

    def code(self, customer_id: object) -> str:
        if self.used >= len(self.pool):
            raise CouponError(
                _(
                    "{name} has {n} codes, too few for the recipients (add codes or narrow "
                    "the audience)"
                ).format(name=self.name, n=format(len(self.pool), ","))
            )
        self.used += 1
        return self.pool[self.used - 1]

    def at(self, rank: int) -> str | None:
        """The code of the recipient with this 0-based rank in customer_id order."""
        return self.pool[rank] if 0 <= rank < len(self.pool) else None
