"""Preview a campaign: its audience steps, holdout and variants, and sample messages rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from .assign import HOLDOUT, arm_sql
from .campaign import Campaign
from .channels import budget, unencodable
from .coupons import candidate, coupon_sql, load_pool
from .describe import describe
from .errors import CustomerNotFound
from .html_text import html_to_text
from .jobs import Job
from .mask import mask_value
from .personalize import CAMPAIGN_FIELDS, describe_error
from .render_batch import render_batch
from .segment import Group, Not, Segment, SegmentRef
from .session import Session


@dataclass(frozen=True)
class FunnelStep:
    """One step of the audience: how many remain after it and how many it removed."""

    label: str
    count: int
    removed: int


def audience_segment(c: Campaign) -> Segment:
    """The campaign's audience as a segment: who (segment or where) and not each exclusion."""
    base = SegmentRef(c.who.segment) if c.who.segment else c.who.where
    steps = (base, *(Not(e) for e in c.who.exclude))
    return Segment(f"campaign {c.stem}", Group("all", steps))  # type: ignore[arg-type]


def step_labels(c: Campaign) -> list[str]:
    """Funnel labels in the order of `audience_segment`'s top-level conditions."""
    first = f"segment {c.who.segment}" if c.who.segment else f"who: {describe(c.who.where)}"  # type: ignore[arg-type]
    return [first, *(f"exclude: {describe(e)}" for e in c.who.exclude)]


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
        coupon: exp.Expression = (
            coupon_sql(self.cid.copy(), campaign.salt, cp.prefix, cp.length)
            if cp and not cp.pool_file and self.dialect == "duckdb"
            else exp.Null()
        )
        # customer_id, arm, first coupon candidate, then the fields the templates read
        self.columns: list[exp.Expression] = [
            exp.alias_(self.cid.copy(), "customer_id", quoted=True),
            exp.alias_(self.arm.copy(), "kz_arm", quoted=True),
            exp.alias_(coupon, "kz_coupon", quoted=True),
        ] + [
            exp.alias_(self.comp.field_expr(self.catalog.fields[f]), f, quoted=True)
            for f in self.fields
        ]

    def recipients(self) -> exp.Expression:
        """Members who get a message: in the audience and not in the holdout."""
        return exp.and_(
            self.member.copy(),
            exp.NEQ(this=self.arm.copy(), expression=exp.Literal.string(HOLDOUT)),
        )

    def select(
        self, where: exp.Expression, extra: list[exp.Expression] | None = None
    ) -> exp.Select:
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
        rows = self.session.runner.execute(q, job)
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
        rows = self.session.runner.execute(q, job)
        return {str(i): int(r) for i, r in rows}


@dataclass
class Rendered:
    """One part as rendered for one recipient, with its size and any problem."""

    text: str | None
    size: str = ""
    over: bool = False
    error: str | None = None
    fallbacks: list[str] = field(default_factory=list)
    unencodable: list[str] = field(default_factory=list)


@dataclass
class SampleMessage:
    """A recipient, the arm they are in, the values used and each variant's message."""

    customer_id: str
    arm: str
    member: bool
    values: dict[str, Any]
    messages: dict[str, dict[str, Rendered]]


@dataclass
class Preview:
    """What `kizuna preview` shows: the 3W1H, the audience steps, arms and sample messages."""

    campaign: Campaign
    as_of: Any
    base: int
    funnel: list[FunnelStep]
    arms: dict[str, int]
    samples: list[SampleMessage]
    policies_off: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. the file carries attributes only

    @property
    def audience(self) -> int:
        return self.funnel[-1].count if self.funnel else self.base


def funnel(session: Session, c: Campaign, job: Job | None = None) -> tuple[int, list[FunnelStep]]:
    """The base and the audience after each step (one scan)."""
    base, steps = session.runner.waterfall(audience_segment(c), job)
    labels = step_labels(c)
    return base, [FunnelStep(lbl, s.count, s.removed) for lbl, s in zip(labels, steps)]


def campaign_values(c: Campaign, session: Session, arm: str, coupon: Any) -> dict[str, Any]:
    """The campaign's own template variables for one recipient."""
    variant = arm if arm != HOLDOUT else c.variants[0].name
    return {
        "coupon": coupon,
        "variant": variant,
        "send_date": c.send_date(session.snapshot.as_of),
        "campaign_name": c.name,
    }


def render_one(tpl: Any, ctx: dict[str, Any]) -> tuple[str | None, list[int], str | None]:
    """One recipient's part through the export's renderer: text, fallbacks fired, error."""
    batch = render_batch(tpl, {f: (ctx[f],) for f in tpl.fields}, 1)
    if 0 in batch.errors:
        return None, [], describe_error(tpl, batch.errors[0])
    return batch.texts[0], list(batch.fired), None


def render_for(
    c: Campaign, values: dict[str, Any], shown: dict[str, Any], encoding: str | None = None
) -> dict[str, dict[str, Rendered]]:
    """Every variant's parts for one recipient: measured on real values, shown with `shown`."""
    out: dict[str, dict[str, Rendered]] = {}
    for v in c.variants:
        ctx = {**values, "variant": v.name}
        show_ctx = {**shown, "variant": v.name}
        parts: dict[str, Rendered] = {}
        for part in c.parts:
            tpl = c.templates[(v.name, part)]
            text, fired, err = render_one(tpl, ctx)
            display = text if show_ctx == ctx or err else render_one(tpl, show_ctx)[0]
            if err is not None or text is None:
                parts[part] = Rendered(None, error=err)
                continue
            display = text if display is None else display  # (masked values may not render)
            b = budget(c.how.channel, part, c.how.max_segments or 1)
            parts[part] = Rendered(
                display,
                b.describe(text),
                b.over(text),
                None,
                [tpl.sites[s].label for s in dict.fromkeys(fired)],
                unencodable(text, encoding or c.encoding),
            )
        out[v.name] = parts
    return out


def preview(
    session: Session,
    c: Campaign,
    n: int = 5,
    customer: str | None = None,
    unmask: bool = False,
    job: Job | None = None,
    encoding: str | None = None,
) -> Preview:
    """Audience steps, arm sizes and `n` stable-sample recipients (or one chosen customer)."""
    from .funnel import policy_funnel

    pf = policy_funnel(session, c, job)
    q, arms, base = pf.query, pf.arms, pf.base
    steps = [FunnelStep(s.label, s.count, s.removed) for s in pf.steps]
    member_col = exp.alias_(
        exp.func("COALESCE", q.member.copy(), exp.false()), "kz_member", quoted=True
    )
    if customer is not None:
        sel = q.select(
            exp.EQ(this=q.cid.copy(), expression=exp.convert(str(customer))), [member_col]
        )
    else:
        order = exp.func("md5", exp.cast(q.cid.copy(), "VARCHAR"))
        sel = q.select(q.recipients(), [member_col]).order_by(order, q.cid.copy()).limit(n)
    rows = session.runner.execute(sel, job)
    if customer is not None and not rows:
        raise CustomerNotFound(f"no customer with id `{customer}` in the snapshot")
    ids = [str(r[0]) for r in rows]
    pool = None
    if c.coupon and c.coupon.pool_file:
        pool = load_pool(session.ws.root / c.coupon.pool_file, c.coupon.pool_file)
        ranks = q.pool_ranks(ids, job)
    samples = []
    for row in rows:
        cid, arm, coupon, *vals, member = row
        values = dict(zip(q.fields, vals))
        if pool is not None:
            r = ranks.get(str(cid))
            coupon = pool[r] if r is not None and r < len(pool) else None
        elif c.coupon and coupon is None:  # no SQL candidate on this engine: same code in Python
            coupon = c.coupon.prefix + candidate(c.salt, cid, c.coupon.length)
        values.update(campaign_values(c, session, arm, coupon))
        shown = dict(values)
        if not unmask:
            for k in q.fields:
                if session.catalog.fields[k].pii:
                    shown[k] = mask_value(k, shown[k])
        samples.append(
            SampleMessage(
                str(cid),
                arm if member else "not in audience",
                bool(member),
                shown,
                render_for(c, values, shown, encoding),
            )
        )
    from .handoff_checks import attributes_note

    notes = [n for n in (attributes_note(c),) if n]
    return Preview(c, session.snapshot.as_of, base, steps, arms, samples, pf.policies_off, notes)


__all__ = ["Preview", "SampleMessage", "html_to_text", "preview"]
