"""Coupon codes: unique, stable, unambiguous; pools used once and in order."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlglot import exp

from queries.campaigns.coupons import (
    ALPHABET,
    CodeAllocator,
    CouponError,
    PoolAllocator,
    allocate,
    candidate,
    coupon_sql,
    load_pool,
)
from queries.core.errors import SegmentError


def test_alphabet_has_no_lookalikes() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("0O1I") & set(ALPHABET)


def test_codes_are_stable_and_shaped() -> None:
    ids = [f"C{i:06d}" for i in range(5000)]
    a = allocate("winback", "WB11", 8, ids)
    b = allocate("winback", "WB11", 8, list(reversed(ids)))
    assert a == b  # the same set gives the same codes, whatever the input order
    assert len(set(a.values())) == len(ids)
    assert all(c.startswith("WB11") and len(c) == 12 for c in a.values())
    assert all(set(c[4:]) <= set(ALPHABET) for c in a.values())
    assert allocate("other-salt", "WB11", 8, ids) != a


def test_collisions_are_resolved_deterministically() -> None:
    ids = [f"C{i:06d}" for i in range(20_000)]
    alloc = CodeAllocator("tiny", "", 4)  # 32^4 codes: collisions are certain
    codes = alloc.codes(ids)
    assert alloc.collisions > 0
    assert len(set(codes)) == len(codes)
    assert CodeAllocator("tiny", "", 4).codes(ids) == codes
    # the earlier customer_id keeps the first candidate; the later one is rehashed
    first = {candidate("tiny", i, 4) for i in ids}
    assert sum(c in first for c in codes) < len(codes)


def test_batch_accept_matches_one_by_one() -> None:
    ids = [f"C{i:06d}" for i in range(20_000)]
    one = CodeAllocator("tiny", "P", 4).codes(ids)
    batch = CodeAllocator("tiny", "P", 4)
    got: list[str] = []
    for k in range(0, len(ids), 1000):
        chunk = ids[k : k + 1000]
        got += batch.accept(chunk, ["P" + candidate("tiny", i, 4) for i in chunk])
    assert got == one


@pytest.mark.parametrize("length", [4, 5, 8, 12, 13, 24])
def test_sql_candidate_equals_python(length: int) -> None:
    expr = coupon_sql(exp.column("cid"), "salt-ä", "PX", length).sql("duckdb")
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT cid, {expr} FROM "
            "(SELECT 'C' || CAST(i AS VARCHAR) AS cid FROM range(3000) t(i))"
        )
        .fetchall()
    )
    assert all(code == "PX" + candidate("salt-ä", cid, length) for cid, code in rows)


def test_pool_with_header(tmp_path: Path) -> None:
    f = tmp_path / "pool.csv"
    f.write_text("id,code\n1,AAA\n2,BBB\n\n3,CCC\n", encoding="utf-8")
    assert load_pool(f) == ["AAA", "BBB", "CCC"]
    alloc = PoolAllocator(load_pool(f), "pool.csv")
    assert [alloc.code(c) for c in ("C1", "C2", "C3")] == ["AAA", "BBB", "CCC"]
    with pytest.raises(CouponError, match="too few"):
        alloc.code("C4")
    assert alloc.at(1) == "BBB" and alloc.at(3) is None


def test_pool_without_header(tmp_path: Path) -> None:
    f = tmp_path / "pool.csv"
    f.write_text("X1\nX2\n", encoding="utf-8")
    assert load_pool(f) == ["X1", "X2"]


def test_pool_errors_name_the_line(tmp_path: Path) -> None:
    f = tmp_path / "pool.csv"
    f.write_text("code\nA\nB\nA\n", encoding="utf-8")
    with pytest.raises(
        SegmentError, match=r"pool.csv:4: coupon code `A` repeats \(first on line 2\)"
    ):
        load_pool(f, "pool.csv")
    f.write_text("code\n", encoding="utf-8")
    with pytest.raises(SegmentError, match="no codes"):
        load_pool(f)
    with pytest.raises(SegmentError, match="not found"):
        load_pool(tmp_path / "missing.csv")
