"""Holdout and variant assignment by the portable md5 rule, as SQL and as a pure-Python twin.

bucket = int(first 8 hex chars of md5(cast(customer_id as varchar) || ':' || salt)) mod 10000;
holdout when bucket < percent × 100, else the variant whose cumulative-weight range on the
remaining buckets holds it. The boundaries are integers worked out here once, so every engine
only compares an integer with literals.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

from sqlglot import exp

BUCKETS = 10_000
HOLDOUT = "holdout"
_HEX = "0123456789abcdef0123456789ABCDEF"  # position − 1, mod 16, is the digit value


def bucket(customer_id: object, salt: str) -> int:
    """The bucket 0..9999 of one customer for a salt (the Python twin of `bucket_sql`)."""
    digest = hashlib.md5(f"{customer_id}:{salt}".encode()).hexdigest()
    return int(digest[:8], 16) % BUCKETS


@dataclass(frozen=True)
class Plan:
    """Holdout size in buckets and each variant's exclusive upper bucket bound."""

    salt: str
    holdout: int
    arms: tuple[tuple[str, int], ...]

    @classmethod
    def build(cls, salt: str, percent: float, weights: list[tuple[str, float]]) -> Plan:
        """Split the buckets: the first percent × 100 to holdout, the rest by weight."""
        held = round(Fraction(str(percent)) * 100)
        if not 0 <= held < BUCKETS:
            raise ValueError("holdout percent must be at least 0 and below 100")
        total = sum(Fraction(str(w)) for _, w in weights)
        if not weights or total <= 0:
            raise ValueError("variants need a positive total weight")
        rest, cum, arms = BUCKETS - held, Fraction(0), []
        for name, w in weights:
            cum += Fraction(str(w))
            arms.append((name, held + int(rest * cum / total)))
        arms[-1] = (arms[-1][0], BUCKETS)
        return cls(salt, held, tuple(arms))

    def arm_of_bucket(self, b: int) -> str:
        if b < self.holdout:
            return HOLDOUT
        for name, upper in self.arms:
            if b < upper:
                return name
        return self.arms[-1][0]

    def arm(self, customer_id: object) -> str:
        """The arm (a variant name or `holdout`) of one customer."""
        return self.arm_of_bucket(bucket(customer_id, self.salt))

    def shares(self) -> dict[str, float]:
        """Expected share of each arm, in percent of the audience."""
        out = {HOLDOUT: 100 * self.holdout / BUCKETS} if self.holdout else {}
        lo = self.holdout
        for name, upper in self.arms:
            out[name] = out.get(name, 0) + 100 * (upper - lo) / BUCKETS
            lo = upper
        return out


def _md5_hex(customer_id: exp.Expr, salt: str) -> exp.Expr:
    key = exp.DPipe(
        this=exp.DPipe(
            this=exp.cast(customer_id, exp.DataType.build("VARCHAR")),
            expression=exp.Literal.string(":"),
        ),
        expression=exp.Literal.string(salt),
    )
    return exp.MD5(this=key)


def _substr(text: exp.Expr, start: int, length: int) -> exp.Expr:
    return exp.Substring(
        this=text, start=exp.Literal.number(start), length=exp.Literal.number(length)
    )


def bucket_sql(customer_id: exp.Expr, salt: str, dialect: str = "duckdb") -> exp.Expr:
    """The bucket as SQL: a hex cast in DuckDB; elsewhere digit-by-digit, portable everywhere."""
    digest = _md5_hex(customer_id, salt)
    n = exp.Literal.number(BUCKETS)
    if dialect == "duckdb":
        hex8 = exp.DPipe(this=exp.Literal.string("0x"), expression=_substr(digest, 1, 8))
        return exp.Mod(
            this=exp.paren(
                exp.cast(hex8, exp.DataType.build("UBIGINT", dialect="duckdb")), copy=False
            ),
            expression=n,
        )
    # Horner's rule mod 10000 keeps every intermediate below 2^31 on every engine.
    value: exp.Expr = exp.Literal.number(0)
    for k in range(1, 9):
        pos = exp.StrPosition(this=exp.Literal.string(_HEX), substr=_substr(digest.copy(), k, 1))
        digit = exp.Mod(
            this=exp.paren(exp.Sub(this=pos, expression=exp.Literal.number(1)), copy=False),
            expression=exp.Literal.number(16),
        )
        value = exp.Mod(
            this=exp.paren(
                exp.Add(
                    this=exp.Mul(
                        this=exp.paren(value, copy=False), expression=exp.Literal.number(16)
                    ),
                    expression=exp.paren(digit, copy=False),
                ),
                copy=False,
            ),
            expression=n.copy(),
        )
    return value


def arm_sql(customer_id: exp.Expr, plan: Plan, dialect: str = "duckdb") -> exp.Expr:
    """CASE over the bucket giving `holdout` or the variant name, identical to `Plan.arm`."""
    if not plan.holdout and len(plan.arms) == 1:
        return exp.Literal.string(plan.arms[0][0])
    b = bucket_sql(customer_id, plan.salt, dialect)
    case = exp.Case()
    if plan.holdout:
        case = case.when(
            exp.LT(this=b.copy(), expression=exp.Literal.number(plan.holdout)),
            exp.Literal.string(HOLDOUT),
        )
    for name, upper in plan.arms[:-1]:
        case = case.when(
            exp.LT(this=b.copy(), expression=exp.Literal.number(upper)), exp.Literal.string(name)
        )
    return case.else_(exp.Literal.string(plan.arms[-1][0]))
