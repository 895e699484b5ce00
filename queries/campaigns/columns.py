"""The SQL of each export column that comes straight from the snapshot (not a message part)."""

from __future__ import annotations

from sqlglot import exp

from queries.campaigns.audience import CampaignQuery
from queries.campaigns.coupons import coupon_sql
from queries.campaigns.policy_gaps import consent_field
from queries.campaigns.presets import OutColumn
from queries.query.address_book import ADDRESS_FIELDS, lookup


def column_sql(q: CampaignQuery, col: OutColumn) -> exp.Expr:
    """The SQL for a column that comes straight from the snapshot (not a message part)."""
    if col.kind == "customer_id":
        return q.cid.copy()
    if col.kind == "variant":
        return q.arm.copy()
    if col.kind == "coupon":
        cp = q.campaign.coupon
        assert cp is not None and not cp.pool_file
        return coupon_sql(q.cid.copy(), q.campaign.salt, cp.prefix, cp.length)
    name = consent_field(q.catalog, col.name) if col.kind == "consent" else col.name
    if name is None:  # kizuna.toml [consent]: everyone in the snapshot consented
        return exp.true()
    f = q.catalog.fields[name]
    if f.unavailable:  # a preset column the snapshot has no data for: left empty
        return exp.cast(exp.Null(), exp.DataType.build("VARCHAR"))
    if col.kind == "field" and col.name in ADDRESS_FIELDS:  # the exported address: normalised
        return lookup(q.session, col.name, q.cid.copy())
    return q.comp.field_expr(f)
