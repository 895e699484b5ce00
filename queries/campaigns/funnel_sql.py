"""The funnel's SQL: one statement giving each segment member the first policy step that removed
them (`kz_step`, NULL for the final audience), why (`kz_reason`) and their arm (`kz_arm`).

Policy order (docs/campaigns.md): consent and a usable address → suppression → frequency cap →
duplicates → exclusions; holdout and variants by the md5 rule. Every value reaches SQL as a
sqlglot literal; the statement prints for every engine (features and ledger named per engine).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from queries.campaigns.assignment import arm_sql
from queries.campaigns.audience import audience_segment
from queries.campaigns.model import ADDRESS, Campaign
from queries.campaigns.policy_gaps import OPT_IN, consent_field, gaps
from queries.core.timewin import Window
from queries.engines.dialects import render
from queries.engines.errors import UnsupportedConstruct
from queries.query import address_book
from queries.query import contacts as ledger
from queries.query.session import Session
from queries.segments.compile import lit

__all__ = ["OPT_IN", "FunnelSQL"]
S = "kz_s"  # alias of the per-member status rows
A = "kz_a"  # alias of the member's normalised addresses (address_book.py)


def _s(name: str) -> exp.Column:
    return exp.column(name, S, quoted=True)


def _str(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _case(*whens: tuple[exp.Expr, exp.Expr]) -> exp.Expr:
    if not whens:
        return exp.Null()
    case = exp.Case()
    for cond, value in whens:
        case = case.when(cond, value)
    return case


def _is_null(x: exp.Expr) -> exp.Expr:
    return exp.Is(this=x, expression=exp.Null())


def _set(name: str) -> exp.Expr:
    return exp.not_(_is_null(_s(name)))


def _table(name: str, alias: str) -> exp.Table:
    return exp.Table(
        this=exp.to_identifier(name), alias=exp.TableAlias(this=exp.to_identifier(alias))
    )


def _true(x: exp.Expr) -> exp.Expr:
    """x is TRUE (NULL counts as false)."""
    return exp.func("COALESCE", exp.paren(x, copy=False), exp.false())


def _zero() -> exp.Expr:
    return exp.Literal.number(0)


def _norm(x: exp.Expr) -> exp.Expr:
    return exp.Lower(this=exp.Trim(this=x))


class FunnelSQL:
    """Builds the status query of a campaign for one dialect (features/ledger named per engine)."""

    def __init__(self, session: Session, c: Campaign, dialect: str | None = None):
        """`dialect` None builds what runs on the session's engine (the ledger loaded there);
        another dialect prints the portable form, features read from a `features` table."""
        engine = session.engine
        self.c, self.dialect = c, dialect or engine.dialect
        self.catalog = session.catalog
        self.mapping = self.catalog.mapping
        self.as_of = session.snapshot.as_of
        running = dialect is None or dialect == engine.dialect
        feats = None if running else exp.Table(this=exp.to_identifier("features"))
        self.comp = session.runner.compiler(audience_segment(c), feats)
        self.cid = self.catalog.customer_id()
        self.channel = c.how.channel
        self.ledger_files = [str(p) for p in ledger.other_files(session.ws, c.stem)]
        self.engine = engine if running else None  # where the statement runs, if it does
        self.session = session if running else None
        self.uses_addresses = False  # set when a column reads the normalised addresses
        # protections this snapshot cannot run (no suppression list, no history, no key)
        self.gaps = gaps(self.catalog, self.channel, c.policy.dedupe_field(self.channel))

    def runs(self, step: str) -> bool:
        """Whether a policy step is on and this snapshot can run it (fully or in part)."""
        pol = self.c.policy
        on = {
            "consent": pol.require_consent,
            "suppression": pol.suppression,
            "frequency_cap": pol.max_contacts is not None,
            "dedupe": pol.dedupe_field(self.channel) is not None,
        }[step]
        return on and (step == "frequency_cap" or step not in self.gaps)

    def address(self, name: str) -> exp.Expr:
        """The member's normalised address field (NULL when unusable), from `kizuna_addresses`."""
        self.uses_addresses = True
        column = "customer_key" if name == "customer_id" else name
        return exp.column(column, A, quoted=True)

    def field(self, name: str) -> exp.Expr:
        return self.comp.field_expr(self.catalog.fields[name])

    # -- per-member columns ----------------------------------------------------------------
    def consent(self) -> exp.Expr:
        """NULL when the customer opted in and has a usable address, else the reason."""
        usable = exp.not_(_is_null(self.address(ADDRESS[self.channel])))
        source = consent_field(self.catalog, self.channel)
        if source is None:  # kizuna.toml [consent]: everyone in the snapshot consented
            return _case((exp.not_(_true(usable)), _str(f"no usable {ADDRESS[self.channel]}")))
        opt = exp.EQ(this=self.field(source), expression=exp.true())
        return _case(
            (exp.not_(_true(opt)), _str(f"no {source}")),
            (exp.not_(_true(usable)), _str(f"no usable {ADDRESS[self.channel]}")),
        )

    def suppressed(self) -> exp.Expr:
        """The suppression reason matching the customer by id, else by email; else NULL.

        Both sides normalised (`kizuna_suppression` and `kizuna_addresses`). Two
        equality-correlated lookups (not one with OR), so engines join them by hash.
        """

        def lookup(match: exp.Expr) -> exp.Expr:
            chan = exp.column("channel", "s", quoted=True)
            reason = exp.column("reason", "s", quoted=True)
            sub = (
                exp.select(exp.Min(this=exp.func("COALESCE", reason, _str("(no reason)"))))
                .from_(address_book.suppression(self.session, "s", self.dialect), copy=False)
                .where(match, copy=False)
            )
            if self.catalog.has("suppression_list", "channel"):  # else every row is for all
                sub = sub.where(
                    exp.In(this=chan, expressions=[_str("all"), _str(self.channel)]), copy=False
                )
            return exp.Subquery(this=sub)

        by_id = exp.EQ(
            this=exp.column("customer_key", "s", quoted=True),
            expression=self.address("customer_id"),
        )
        by_email = exp.EQ(
            this=exp.column("email", "s", quoted=True), expression=self.address("email")
        )
        return exp.func("COALESCE", lookup(by_id), lookup(by_email))

    def contacts(self) -> tuple[exp.Expr, list[tuple[exp.Expr, exp.Expr]]]:
        """Contacts in the cap window (snapshot messages plus other campaigns' ledger rows),
        and the LEFT JOINs it reads: per-customer counts aggregated once, so every engine
        hash-joins them (a correlated count scans the history once per member on Postgres).
        """
        mc = self.c.policy.max_contacts
        assert mc is not None
        m = self.mapping
        start = Window.parse(mc.within).start(self.as_of)
        chans = [_str(ch) for ch in mc.channels] if mc.channels else None
        day = exp.cast(m.col("messages", "sent_at", "m"), exp.DataType.build("DATE"))
        conds: list[exp.Expr] = [exp.Between(this=day, low=lit(start), high=lit(self.as_of))]
        if chans:
            conds.append(exp.In(this=_norm(m.col("messages", "channel", "m")), expressions=chans))
        m_id = m.col("messages", "customer_id", "m")
        history = "frequency_cap" not in self.gaps
        if chans and not self.catalog.has("messages", "channel"):
            conds.pop()  # no channel column: every message counts (the stricter reading)
        hist = (
            exp.select(exp.alias_(m_id.copy(), "customer_id", quoted=True))
            .select(exp.alias_(exp.func("count", exp.Star()), "n", quoted=True))
            .from_(m.table("messages", "m"), copy=False)
            .where(exp.and_(*conds), copy=False)
            .group_by(m_id, copy=False)
        )
        h_on = exp.EQ(
            this=exp.column("customer_id", "kz_h", quoted=True), expression=self.cid.copy()
        )
        joins: list[tuple[exp.Expr, exp.Expr]] = []
        total: exp.Expr = _zero()
        if history:
            joins.append((hist.subquery("kz_h"), h_on))
            total = exp.func("COALESCE", exp.column("n", "kz_h", quoted=True), _zero())
        rel = (
            ledger.on_engine(self.engine, self.ledger_files, "l")
            if self.engine is not None
            else ledger.relation(self.ledger_files, "l", self.dialect)
        )
        own = [hist] if history else []  # the per-id counts the address totals add up
        if rel is None:
            return self._by_address(total, joins, own)
        l_id = exp.column("customer_id", "l", quoted=True)
        l_camp = exp.column("campaign", "l", quoted=True)
        lconds: list[exp.Expr] = []
        back = exp.select(exp.Literal.number(1)).from_(m.table("messages", "m2"), copy=False)
        back = back.where(
            exp.and_(
                exp.EQ(this=m.col("messages", "customer_id", "m2"), expression=l_id.copy()),
                exp.EQ(this=m.col("messages", "campaign_id", "m2"), expression=l_camp.copy()),
            )
        )
        lconds += [
            exp.GTE(
                this=exp.cast(
                    exp.column("contacted_at", "l", quoted=True), exp.DataType.build("DATE")
                ),
                expression=lit(start),
            ),
            exp.NEQ(this=l_camp, expression=_str(self.c.stem)),
        ]
        if history and self.catalog.has("messages", "campaign_id"):
            lconds.append(exp.not_(exp.Exists(this=back)))  # already back in the history
        if chans:
            lconds.append(
                exp.In(this=_norm(exp.column("channel", "l", quoted=True)), expressions=chans)
            )
        led = (
            exp.select(exp.alias_(l_id.copy(), "customer_id", quoted=True))
            .select(exp.alias_(exp.func("count", exp.Star()), "n", quoted=True))
            .from_(rel, copy=False)
            .where(exp.and_(*lconds), copy=False)
            .group_by(l_id.copy(), copy=False)
        )
        total = exp.Add(
            this=total,
            expression=exp.func("COALESCE", exp.column("n", "kz_l", quoted=True), _zero()),
        )
        as_text = exp.cast(self.cid.copy(), exp.DataType.build("VARCHAR"))
        l_on = exp.EQ(this=exp.column("customer_id", "kz_l", quoted=True), expression=as_text)
        return self._by_address(total, [*joins, (led.subquery("kz_l"), l_on)], [*own, led])

    def _by_address(
        self,
        own: exp.Expr,
        joins: list[tuple[exp.Expr, exp.Expr]],
        counts: list[exp.Select],
    ) -> tuple[exp.Expr, list[tuple[exp.Expr, exp.Expr]]]:
        """The cap compares normalised addresses: the contacts of every customer id sharing
        the member's address for the channel (its own `own` when it has no usable one).

        `counts` are the per-id (customer_id, n) selects (history, ledger), summed per address
        through `kizuna_addresses`.
        """
        if not counts:  # no history and no ledger: nothing to add up
            return own, joins
        key = ADDRESS[self.channel]
        text = exp.DataType.build("VARCHAR")
        parts = [
            exp.select(
                exp.alias_(
                    exp.cast(exp.column("customer_id", "kz_u", quoted=True), text),
                    "customer_id",
                    quoted=True,
                ),
                exp.column("n", "kz_u", quoted=True),
            ).from_(q.subquery("kz_u"))
            for q in counts
        ]
        union: exp.Query = parts[0]
        for part in parts[1:]:
            union = exp.union(union, part, distinct=False)
        ax = address_book.addresses(self.session, "kz_ax", self.dialect)
        addr = exp.column(key, "kz_ax", quoted=True)
        on = exp.EQ(
            this=exp.column("customer_id", "kz_ax", quoted=True),
            expression=exp.column("customer_id", "kz_cu", quoted=True),
        )
        per_addr = (
            exp.select(
                exp.alias_(addr.copy(), "addr", quoted=True),
                exp.alias_(exp.Sum(this=exp.column("n", "kz_cu", quoted=True)), "n", quoted=True),
            )
            .from_(union.subquery("kz_cu"))
            .join(ax, on=on, join_type="inner")
            .where(exp.not_(_is_null(addr.copy())))
            .group_by(addr.copy())
        )
        c_on = exp.EQ(this=exp.column("addr", "kz_c", quoted=True), expression=self.address(key))
        total = exp.func("COALESCE", exp.column("n", "kz_c", quoted=True), own)
        return total, [*joins, (per_addr.subquery("kz_c"), c_on)]

    def dedupe_key(self, key: str) -> exp.Expr:
        """Duplicates share this value: a normalised address, or the id as text."""
        if key in address_book.ADDRESS_FIELDS or key == "customer_id":
            return self.address(key)
        return exp.cast(self.field(key), exp.DataType.build("VARCHAR"))

    def excluded(self) -> exp.Expr:
        """The index (as text) of the first exclusion the customer matches, else NULL."""
        return _case(
            *(
                (_true(self.comp.node(node)), _str(str(i)))
                for i, node in enumerate(self.c.who.exclude)
            )
        )

    # -- the statement ---------------------------------------------------------------------
    def members(self, extra: Sequence[tuple[str, exp.Expr]] = ()) -> exp.Select:
        """Segment members with the columns each policy step tests (and any `extra` ones)."""
        c, pol = self.c, self.c.policy
        base = c.who.base  # the first condition of audience_segment(c)
        cols: list[exp.Expr] = [exp.alias_(self.cid.copy(), "customer_id", quoted=True)]
        if self.runs("consent"):
            cols.append(exp.alias_(self.consent(), "kz_consent", quoted=True))
        if self.runs("suppression"):
            cols.append(exp.alias_(self.suppressed(), "kz_suppressed", quoted=True))
        joins: list[tuple[exp.Expr, exp.Expr]] = []
        if pol.max_contacts is not None:
            contacts, joins = self.contacts()
            cols.append(exp.alias_(contacts, "kz_contacts", quoted=True))
        key = pol.dedupe_field(c.how.channel)
        if self.runs("dedupe") and key is not None:
            cols.append(exp.alias_(self.dedupe_key(key), "kz_key", quoted=True))
        if c.who.exclude:
            cols.append(exp.alias_(self.excluded(), "kz_excluded", quoted=True))
        cols.append(exp.alias_(arm_sql(self.cid.copy(), c.plan(), self.dialect), "kz_arm"))
        cols += [exp.alias_(e, name, quoted=True) for name, e in extra]
        where = self.comp.node(base)  # first: compiling decides whether features are joined
        select = self.comp.base_from(exp.select(*cols))
        if self.uses_addresses:
            as_text = exp.cast(self.cid.copy(), exp.DataType.build("VARCHAR"))
            on = exp.EQ(this=exp.column("customer_id", A, quoted=True), expression=as_text)
            rel = address_book.addresses(self.session, A, self.dialect)
            select = select.join(rel, on=on, join_type="left", copy=False)
        for relation, cond in joins:
            select = select.join(relation, on=cond, join_type="left", copy=False)
        return select.where(where, copy=False)

    def status(self, extra: Sequence[tuple[str, exp.Expr]] = ()) -> exp.Select:
        """customer_id, kz_step, kz_reason, kz_arm (then `extra`) per member of the segment.

        `extra` are (name, expression over the customer) columns carried through, e.g. the
        columns of an export file, so one scan computes the funnel and the file's values.
        """
        pol = self.c.policy
        pre: list[tuple[exp.Expr, str, exp.Expr]] = []
        if self.runs("consent"):
            pre.append((_set("kz_consent"), "consent", _s("kz_consent")))
        if self.runs("suppression"):
            pre.append((_set("kz_suppressed"), "suppression", _s("kz_suppressed")))
        if pol.max_contacts is not None:
            n = exp.Literal.number(pol.max_contacts.count)
            pre.append((exp.GTE(this=_s("kz_contacts"), expression=n), "frequency_cap", exp.Null()))
        passed = exp.select(
            exp.Column(this=exp.Star(), table=exp.to_identifier(S)),
            exp.alias_(_case(*((w, _str(k)) for w, k, _ in pre)), "kz_pre", quoted=True),
            exp.alias_(_case(*((w.copy(), r) for w, _, r in pre)), "kz_pre_reason", quoted=True),
        ).from_(_table("kz_m", S), copy=False)
        pre_step, pre_reason = (
            exp.column("kz_pre", "p", quoted=True),
            exp.column("kz_pre_reason", "p", quoted=True),
        )
        # (condition, value) pairs of the CASE WHENs for the step and the reason
        steps: list[tuple[exp.Expr, exp.Expr]] = [
            (exp.not_(_is_null(pre_step.copy())), pre_step.copy())
        ]
        reasons: list[tuple[exp.Expr, exp.Expr]] = [
            (exp.not_(_is_null(pre_step.copy())), pre_reason)
        ]
        final = exp.select(
            exp.column("customer_id", "p", quoted=True),
        ).from_(_table("kz_p", "p"), copy=False)
        ctes = [("kz_m", self.members(extra)), ("kz_p", passed)]
        if self.runs("dedupe"):
            key, cid = exp.column("kz_key", quoted=True), exp.column("customer_id", quoted=True)
            rank = exp.Window(
                this=exp.RowNumber(), partition_by=[key], order=exp.Order(expressions=[cid])
            )
            ranked = (
                exp.select(cid.copy(), exp.alias_(rank, "kz_rank", quoted=True))
                .from_("kz_p")
                .where(
                    exp.and_(
                        _is_null(exp.column("kz_pre", quoted=True)), exp.not_(_is_null(key.copy()))
                    )
                )
            )
            ctes.append(("kz_d", ranked))
            dup = exp.GT(
                this=exp.column("kz_rank", "d", quoted=True), expression=exp.Literal.number(1)
            )
            steps.append((dup, _str("dedupe")))
            reasons.append((dup.copy(), exp.Null()))
            on = exp.EQ(
                this=exp.column("customer_id", "d", quoted=True),
                expression=exp.column("customer_id", "p", quoted=True),
            )
            final = final.join(_table("kz_d", "d"), on=on, join_type="left", copy=False)
        if self.c.who.exclude:
            excl = exp.column("kz_excluded", "p", quoted=True)
            steps.append((exp.not_(_is_null(excl.copy())), _str("exclusions")))
            reasons.append((exp.not_(_is_null(excl.copy())), excl))
        final = final.select(
            exp.alias_(_case(*steps), "kz_step", quoted=True),
            exp.alias_(_case(*reasons), "kz_reason", quoted=True),
            exp.alias_(exp.column("kz_arm", "p", quoted=True), "kz_arm", quoted=True),
            *(exp.column(name, "p", quoted=True) for name, _ in extra),
            copy=False,
        )
        for name, body in ctes:
            final = final.with_(name, as_=body, copy=False)
        return final

    def audience_select(self) -> exp.Select:
        """The final audience with each member's arm (holdout or a variant), by customer id."""
        return (
            exp.select(
                exp.column("customer_id", quoted=True),
                exp.alias_(exp.column("kz_arm", quoted=True), "arm", quoted=True),
            )
            .from_(self.status().subquery("kz_f", copy=False), copy=False)
            .where(_is_null(exp.column("kz_step", quoted=True)))
            .order_by(exp.column("customer_id", quoted=True))
        )

    def audience_sql(self, pretty: bool = True) -> str:
        """`audience_select` printed for this dialect (through Kizuna's dialect classes)."""
        try:
            return render(self.audience_select(), self.dialect, pretty)
        except UnsupportedConstruct as exc:
            return f"-- cannot print for {self.dialect}: {exc}"
