"""A campaign's audience as SQL: its segment and exclusions, each member's arm and fields."""

from __future__ import annotations

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT, arm_sql
from queries.campaigns.coupons import coupon_sql
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import CAMPAIGN_FIELDS
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.query.session import Session
from queries.segments.describe import describe
from queries.segments.model import Group, Not, Segment


def audience_segment(c: Campaign) -> Segment:
    """The campaign's audience as a segment: who (segment or where) and not each exclusion."""
    steps = (c.who.base, *(Not(e) for e in c.who.exclude))
    return Segment(f"campaign {c.stem}", Group("all", steps))


def step_labels(c: Campaign) -> list[str]:
    """Funnel labels in the order of `audience_segment`'s top-level conditions."""
    first = (
        _("segment {name}").format(name=c.who.segment)
        if c.who.segment
        else _("who: {condition}").format(condition=describe(c.who.base))
    )
    return [
        first,
        *(_("exclude: {condition}").format(condition=describe(e)) for e in c.who.exclude),
    ]


class CampaignQuery:
    """SQL for a campaign's audience, each member's arm and the fields its templates read.

    The contact-policy funnel (consent, suppression, frequency cap, dedupe) slots in as more
    conditions in `audience_segment` and more labels in `step_labels`.
    """

    def __init__(self, session: Session, campaign: Campaign):
        self.session, self.campaign = session, campaign
        self.catalog = session.catalog
        self.segment = audience_segment(campaign)
        self.comp = session.runner.compiler(self.segment)
        self.member = self.comp.node(self.segment.where)
        self.cid = self.catalog.customer_id()
        self.plan = campaign.plan()
        self.dialect = session.engine.dialect
        self.arm = arm_sql(self.cid.copy(), self.plan, self.dialect)
        self.fields = [f for f in campaign.template_fields() if f not in CAMPAIGN_FIELDS]
        cp = campaign.coupon
        # the first coupon candidate in SQL where the engine has DuckDB's 64-bit hex casts;
        # elsewhere NULL, and CodeAllocator derives the same code in Python
        coupon: exp.Expr = (
            coupon_sql(self.cid.copy(), campaign.salt, cp.prefix, cp.length)
            if cp and not cp.pool_file and self.dialect == "duckdb"
            else exp.Null()
        )
        # customer_id, arm, first coupon candidate, then the fields the templates read
        self.columns: list[exp.Expr] = [
            exp.alias_(self.cid.copy(), "customer_id", quoted=True),
            exp.alias_(self.arm.copy(), "kz_arm", quoted=True),
            exp.alias_(coupon, "kz_coupon", quoted=True),
        ] + [
            exp.alias_(self.comp.field_expr(self.catalog.fields[f]), f, quoted=True)
            for f in self.fields
        ]

    def recipients(self) -> exp.Expr:
        """Members who get a message: in the audience and not in the holdout."""
        return exp.and_(
            self.member.copy(),
            exp.NEQ(this=self.arm.copy(), expression=exp.Literal.string(HOLDOUT)),
        )

    def select(self, where: exp.Expr, extra: list[exp.Expr] | None = None) -> exp.Select:
        cols = [c.copy() for c in self.columns] + list(extra or [])
        return self.comp.base_from(exp.select(*cols)).where(where)

    def arm_counts(self, job: Job | None = None) -> dict[str, int]:
        """Audience members per arm (holdout and each variant)."""
        q = (
            self.comp.base_from(
                exp.select(exp.alias_(self.arm.copy(), "a"), exp.func("count", exp.Star()))
            )
            .where(self.member.copy())
            .group_by(exp.column("a"))
        )
        rows = self.session.runner.fetch(q, job)
        counts = {HOLDOUT: 0, **{name: 0 for name, _ in self.plan.arms}}
        counts.update({a: int(n) for a, n in rows})
        return counts

    def pool_ranks(self, ids: list[str], job: Job | None = None) -> dict[str, int]:
        """0-based rank in customer_id order among recipients (which pool code each gets)."""
        if not ids:
            return {}
        rank = exp.alias_(
            exp.Sub(
                this=exp.Window(
                    this=exp.RowNumber(), order=exp.Order(expressions=[self.cid.copy()])
                ),
                expression=exp.Literal.number(1),
            ),
            "r",
        )
        inner = self.comp.base_from(exp.select(exp.alias_(self.cid.copy(), "id"), rank)).where(
            self.recipients()
        )
        q = (
            exp.select("id", "r")
            .from_(inner.subquery("t"))
            .where(exp.column("id").isin(*[exp.Literal.string(str(i)) for i in ids]))
        )
        rows = self.session.runner.fetch(q, job)
        return {str(i): int(r) for i, r in rows}
