"""What preflight found, as data: findings naming customers, fallback counts, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOW = 10  # customer ids kept per finding


@dataclass
class Finding:
    """A problem found in rendered messages, how many recipients it hit and the first few."""

    kind: str  # undefined | render_error | over_budget | unencodable | empty | coupon
    detail: str
    variant: str | None = None
    part: str | None = None
    count: int = 0
    customers: list[str] = field(default_factory=list)

    def hit(self, customer_id: Any) -> None:
        self.count += 1
        if len(self.customers) < SHOW:
            self.customers.append(str(customer_id))


@dataclass
class FallbackUse:
    """How often one `| default:` supplied the text."""

    variant: str
    part: str
    label: str
    line: int
    column: int
    count: int


@dataclass
class PreflightReport:
    """Everything preflight found; `ok` when nothing would block the export."""

    campaign: str
    encoding: str
    recipients: int = 0
    holdout: int = 0
    by_variant: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)  # do not block (formula-like values)
    fallbacks: list[FallbackUse] = field(default_factory=list)
    distinct: dict[str, int] = field(default_factory=dict)
    largest: dict[str, tuple[int, str, int]] = field(default_factory=dict)  # size, unit, limit
    fast: dict[str, bool] = field(default_factory=dict)
    coupon_collisions: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)  # about the handoff (stale snapshot, …)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def rate(self) -> float:
        return self.recipients / self.elapsed if self.elapsed else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "recipients": self.recipients,
            "holdout": self.holdout,
            "by_variant": self.by_variant,
            "encoding": self.encoding,
            "findings": [vars(f) for f in self.findings],
            "warnings": [vars(f) for f in self.warnings],
            "fallbacks": [vars(f) for f in self.fallbacks],
            "distinct_messages": self.distinct,
            "largest": {
                k: {"size": s, "unit": u, "limit": lim} for k, (s, u, lim) in self.largest.items()
            },
            "column_rendered": self.fast,
            "coupon_collisions": self.coupon_collisions,
            "notes": self.notes,
            "elapsed_s": round(self.elapsed, 3),
        }
