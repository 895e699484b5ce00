"""Preview a campaign: its audience steps, holdout and variants, and sample messages rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.audience import audience_segment, step_labels
from queries.campaigns.channels import budget, unencodable
from queries.campaigns.coupons import candidate, load_pool
from queries.campaigns.html_text import html_to_text
from queries.campaigns.model import Campaign
from queries.campaigns.personalize import describe_error
from queries.campaigns.render_batch import render_batch
from queries.core.errors import CustomerNotFound
from queries.core.mask import mask_value
from queries.engines.jobs import Job
from queries.query.session import Session


@dataclass(frozen=True)
class FunnelStep:
    """One step of the audience: how many remain after it and how many it removed."""

    label: str
    count: int
    removed: int


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
    from queries.campaigns.funnel import policy_funnel

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
    rows = session.runner.fetch(sel, job)
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
    from queries.campaigns.presets import attributes_note

    notes = [n for n in (attributes_note(c),) if n]
    return Preview(c, session.snapshot.as_of, base, steps, arms, samples, pf.policies_off, notes)


__all__ = ["Preview", "SampleMessage", "html_to_text", "preview"]
