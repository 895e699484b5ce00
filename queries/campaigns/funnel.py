"""The contact-policy funnel: segment → consent → suppression → cap → dedupe → exclusions → holdout.

`FunnelSQL.status` (funnel_sql.py) gives every segment member the first step that removed them;
the counts, the preview and the export all read that statement, so every number is one the
export reproduces. `policy_funnel` is what preview, approval and the TUI call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlglot import exp

from queries.campaigns.assignment import HOLDOUT
from queries.campaigns.audience import CampaignQuery
from queries.campaigns.funnel_sql import OPT_IN, FunnelSQL
from queries.campaigns.model import ADDRESS, Campaign
from queries.campaigns.policy_gaps import gaps
from queries.core.i18n import _
from queries.engines.dialects import DIALECT_NAMES
from queries.engines.jobs import Job
from queries.query.session import Session
from queries.segments.describe import describe

__all__ = ["OPT_IN", "Funnel", "FunnelSQL", "PolicyStep", "policy_funnel", "policy_query"]

STEPS = ("segment", "consent", "suppression", "frequency_cap", "dedupe", "exclusions", "holdout")


def _is_null(x: exp.Expr) -> exp.Expr:
    return exp.Is(this=x, expression=exp.Null())


@dataclass
class PolicyStep:
    """One funnel step: who remains after it, whom it removed (by reason), and if it is off."""

    key: str
    label: str
    count: int
    removed: int
    by_reason: dict[str, int] = field(default_factory=dict)
    off: bool = False


@dataclass
class Funnel:
    """The policy funnel of a campaign on one snapshot; `query` selects its final audience."""

    campaign: str
    as_of: date
    base: int
    steps: list[PolicyStep]
    arms: dict[str, int]
    ledger_files: list[str] = field(default_factory=list)
    query: Any = field(default=None, repr=False, compare=False)  # a policy CampaignQuery

    @property
    def recipients(self) -> int:
        return self.steps[-1].count

    @property
    def holdout(self) -> int:
        return self.arms.get(HOLDOUT, 0)

    @property
    def audience(self) -> int:
        """Everyone who passed the policy steps (recipients plus the holdout)."""
        return self.recipients + self.holdout

    @property
    def policies_off(self) -> list[str]:
        return [s.key for s in self.steps if s.off]

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "as_of": self.as_of.isoformat(),
            "base": self.base,
            "steps": [vars(s) for s in self.steps],
            "arms": self.arms,
            "recipients": self.recipients,
            "holdout": self.holdout,
            "policies_off": self.policies_off,
            "ledger_files": self.ledger_files,
        }


def member_of(status: exp.Expr, cid: exp.Expr) -> exp.Expr:
    """`customer_id IN (final audience of a status relation)`: the policy membership test."""
    sub = (
        exp.select(exp.column("customer_id", quoted=True))
        .from_(status)
        .where(_is_null(exp.column("kz_step", quoted=True)))
    )
    return exp.In(this=cid, query=exp.Subquery(this=sub))


def policy_query(session: Session, c: Campaign, status: exp.Expr | None = None) -> CampaignQuery:
    """A CampaignQuery whose audience is the funnel's final audience (holdout included)."""
    q = CampaignQuery(session, c)
    rel = status if status is not None else FunnelSQL(session, c).status().subquery("kz_f")
    q.member = member_of(rel, q.cid.copy())
    return q


def labels(c: Campaign) -> dict[str, str]:
    """What each step means for this campaign, in words."""
    pol, ch = c.policy, c.how.channel
    mc = pol.max_contacts
    cap = _("frequency cap off")
    if mc is not None:
        on = " " + _("on {channels}").format(channels=", ".join(mc.channels)) if mc.channels else ""
        cap = _("fewer than {n} contacts in {window}{on} (history + ledger)").format(
            n=mc.count, window=mc.within, on=on
        )
    key = pol.dedupe_field(ch)
    who = (
        _("segment {name}").format(name=c.who.segment)
        if c.who.segment
        else _("who: {condition}").format(condition=describe(c.who.base))
    )
    return {
        "segment": who,
        "consent": _("{channel} opt-in and a usable {address}").format(
            channel=ch, address=ADDRESS[ch]
        ),
        "suppression": _("not on the suppression list (all or {channel})").format(channel=ch),
        "frequency_cap": cap,
        "dedupe": _("one per {key}").format(key=key) if key else _("duplicates kept"),
        "exclusions": _("exclusions ({n})").format(n=len(c.who.exclude)),
        "holdout": _("holdout {pct}% (control group)").format(pct=f"{c.holdout.percent:g}"),
    }


def counts_query(status: exp.Expr) -> exp.Select:
    """Members per (step, reason, arm) of a status relation."""
    cols = [exp.column(n, quoted=True) for n in ("kz_step", "kz_reason", "kz_arm")]
    q = exp.select(*cols, exp.func("count", exp.Star())).from_(status, copy=False)
    return q.group_by(*cols, copy=False)


def count_funnel(
    session: Session, c: Campaign, fs: FunnelSQL, status: exp.Expr, job: Job | None
) -> Funnel:
    """Run `counts_query` over a status relation on the session's engine; the Funnel."""
    rows = session.runner.fetch(counts_query(status), job)
    return build_funnel(session, c, rows, fs.ledger_files)


def build_funnel(
    session: Session, c: Campaign, rows: list[tuple], ledger_files: list[str]
) -> Funnel:
    """Steps and arms from the (step, reason, arm, n) rows of `counts_query`."""
    names = labels(c)
    pol = c.policy
    off = {
        "consent": not pol.require_consent,
        "suppression": not pol.suppression,
        "frequency_cap": pol.max_contacts is None,
        "dedupe": pol.dedupe_field(c.how.channel) is None,
    }
    source = session.catalog.consent.get(c.how.channel)
    if source and pol.require_consent:
        names["consent"] += f" (consent source: kizuna.toml [consent] {c.how.channel} = {source})"
    for key, why in gaps(session.catalog, c.how.channel, pol.dedupe_field(c.how.channel)).items():
        if off[key]:
            continue
        names[key] += f" — CANNOT RUN: {why}" if key != "frequency_cap" else f" — {why}"
        off[key] = key != "frequency_cap"
    removed: dict[str, int] = {}
    reasons: dict[str, dict[str, int]] = {}
    arms = {HOLDOUT: 0, **{name: 0 for name, _ in c.plan().arms}}
    for step, reason, arm, n in rows:
        if step is None:
            arms[arm] = arms.get(arm, 0) + int(n)
            continue
        removed[step] = removed.get(step, 0) + int(n)
        if reason is not None:
            if step == "exclusions":
                reason = _("exclude: {condition}").format(
                    condition=describe(c.who.exclude[int(reason)])
                )
            reasons.setdefault(step, {})
            reasons[step][reason] = reasons[step].get(reason, 0) + int(n)
    base = session.snapshot.base_size
    members = sum(int(r[3]) for r in rows)
    steps = [PolicyStep("segment", names["segment"], members, base - members)]
    left = members
    for key in STEPS[1:-1]:
        if key == "exclusions" and not c.who.exclude:
            continue
        gone = removed.get(key, 0)
        left -= gone
        by = dict(sorted(reasons.get(key, {}).items(), key=lambda kv: (-kv[1], kv[0])))
        label = names[key] + (" — OFF" if off.get(key) and "CANNOT RUN" not in names[key] else "")
        steps.append(PolicyStep(key, label, left, gone, by, off.get(key, False)))
    steps.append(PolicyStep("holdout", names["holdout"], left - arms[HOLDOUT], arms[HOLDOUT]))
    return Funnel(c.stem, session.snapshot.as_of, base, steps, arms, ledger_files)


def policy_funnel(session: Session, c: Campaign, job: Job | None = None) -> Funnel:
    """Count every step of the campaign's policy funnel; `.query` selects the final audience."""
    fs = FunnelSQL(session, c)
    status = fs.status().subquery("kz_f")
    f = count_funnel(session, c, fs, status, job)
    f.query = policy_query(session, c, status.copy())
    return f


def final_audience(session: Session, c: Campaign, job: Job | None = None) -> list[tuple[str, str]]:
    """(customer_id, arm) of everyone past the policy steps, holdout included, by id.

    Small audiences only on a distributed engine (it caps what comes back); exports stream."""
    fs = FunnelSQL(session, c)
    rows = session.runner.fetch(fs.audience_select(), job)
    return [(str(cid), str(arm)) for cid, arm in rows]


def dialect_sql(session: Session, c: Campaign) -> dict[str, str]:
    """The final audience query printed for every engine."""
    return {d: FunnelSQL(session, c, d).audience_sql() for d in DIALECT_NAMES}


def workspace_rel(root: Path, path: Path) -> str:
    """A path relative to the workspace when inside it (else absolute), with forward slashes."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).resolve().as_posix()


def customer_step(
    session: Session, c: Campaign, customer_id: str, job: Job | None = None
) -> tuple[str | None, str | None, str | None]:
    """Why one customer is in or out: (step that removed them, reason, arm).

    The step is `segment` when they are not in the segment; None when they are in the final
    audience (the arm then says holdout or their variant).
    """
    status = FunnelSQL(session, c).status().subquery("kz_f")
    cid = exp.column("customer_id", quoted=True)
    q = (
        exp.select(*(exp.column(n, quoted=True) for n in ("kz_step", "kz_reason", "kz_arm")))
        .from_(status)
        .where(exp.EQ(this=cid, expression=exp.convert(str(customer_id))))
    )
    rows = session.runner.fetch(q, job)
    if not rows:
        return "segment", None, None
    step, reason, arm = rows[0]
    if step == "exclusions" and reason is not None:
        reason = _("exclude: {condition}").format(condition=describe(c.who.exclude[int(reason)]))
    return step, reason, arm
