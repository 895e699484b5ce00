"""Why a customer gets no message from a campaign: the funnel step that removed them."""

from __future__ import annotations

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.funnel import labels
from queries.campaigns.funnel_sql import FunnelSQL
from queries.campaigns.model import Campaign
from queries.core.i18n import _
from queries.engines.jobs import Job
from queries.query.session import Session


def removed_by(
    session: Session, c: Campaign, customer_id: str, job: Job | None = None
) -> str | None:
    """`removed by "consent": email opt-in and a usable email` (None for a recipient)."""
    status = FunnelSQL(session, c).status().subquery("kz_s")
    cols = [exp.column(n, "kz_s", quoted=True) for n in ("kz_step", "kz_reason", "kz_arm")]
    cid = exp.cast(exp.column("customer_id", "kz_s", quoted=True), "VARCHAR")
    query = (
        exp.select(*cols)
        .from_(status)
        .where(exp.EQ(this=cid, expression=exp.convert(str(customer_id))))
    )
    rows = session.runner.fetch(query, job)
    if not rows:
        where = labels(c).get("segment") or _("the segment")
        return _("not in the audience: not in {segment}").format(segment=where)
    step, reason, arm = rows[0]
    if step is None:
        return (
            _("in the holdout (kept out on purpose, to measure the effect)")
            if arm == HOLDOUT
            else None
        )
    why = labels(c).get(str(step), str(step))
    extra = f" ({reason})" if reason and str(reason) != str(step) else ""
    return _("removed by the “{step}” step: {why}{extra}").format(step=step, why=why, extra=extra)
