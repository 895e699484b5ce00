"""The catalog: what a marketer can filter on, with types, labels and the SQL behind each name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlglot
from sqlglot import exp

from queries.core.errors import ConfigError
from queries.core.i18n import LANGUAGES, N_, _, in_language, language
from queries.core.presence import Presence, assume_all
from queries.core.schema import CUSTOMER_COLUMNS, FEATURE_COLUMNS, TABLE_COLUMNS
from queries.core.workspace import Workspace

TYPES = ("string", "number", "boolean", "date", "timestamp")
CUSTOMER_ALIAS = "c"
FEATURE_ALIAS = "f"


@dataclass(frozen=True)
class Field:
    """One filterable value: a customer column, a derived feature, or an event property."""

    name: str
    type: str
    label: str
    description: str = ""
    pii: bool = False
    table: str = "customers"  # customers | features | an event source name
    column: str | None = None  # physical column, after mapping
    sql: str | None = None  # a custom SQL expression from kizuna.toml
    unavailable: str | None = None  # why the snapshot cannot provide it ("needs orders.total")
    money: bool = False  # an amount in the workspace's currency
    labels: tuple[str, ...] = ()  # the label in every language (English, Japanese) for search

    @property
    def names(self) -> tuple[str, ...]:
        """The label in each language (search matches any of them)."""
        return self.labels or (self.label,)

    def expr(self, alias: str, as_of: date | None = None) -> exp.Expr:
        """The SQL expression that reads this field from the relation aliased `alias`.

        Custom SQL reads the customers row as `c` (CUSTOMER_ALIAS); bare columns are taken
        from it too; `{as_of}` becomes the as-of day as a DATE literal."""
        if self.sql is not None:
            return custom_sql(self.sql, alias, as_of)
        return exp.column(self.column or self.name, table=alias, quoted=True)


AS_OF_TOKEN = "{as_of}"


def custom_sql(text: str, alias: str, as_of: date | None) -> exp.Expr:
    """Parse a [fields] SQL expression: `{as_of}` → DATE literal, bare columns → `alias`."""
    day = (as_of or date.today()).isoformat()
    marker = "kz_as_of_marker"
    parsed = sqlglot.parse_one(text.replace(AS_OF_TOKEN, marker), read="duckdb")
    for col in list(parsed.find_all(exp.Column)):
        if col.name == marker and not col.table:
            col.replace(exp.cast(exp.Literal.string(day), exp.DataType.build("DATE")))
        elif (not col.table and col.find_ancestor(exp.Select) is None) or (
            col.table == CUSTOMER_ALIAS and alias != CUSTOMER_ALIAS
        ):
            col.set("table", exp.to_identifier(alias))
    return parsed


@dataclass(frozen=True)
class EventJoin:
    """A table joined into an event source only when one of its columns is used."""

    alias: str
    table: exp.Table
    on: exp.Expr
    kind: str = ""  # "" (inner) or "left"


@dataclass(frozen=True)
class EventSource:
    """Many rows per customer with a time column, e.g. orders or web events."""

    name: str
    label: str
    time_field: str
    description: str
    fields: dict[str, Field]
    base: exp.Table  # the driving table, aliased
    joins: tuple[EventJoin, ...]
    columns: dict[str, exp.Expr]  # logical name → expression over the aliases
    unavailable: str | None = None  # why the snapshot cannot provide this source

    def col(self, name: str) -> exp.Expr:
        """The expression for a logical column (customer_id, the time field, or a field)."""
        return self.columns[name].copy()

    def from_(self, select: exp.Select, used: set[str]) -> exp.Select:
        """Add FROM base plus only the joins the used columns need (no wrapping subquery)."""
        need = {
            col.table
            for name in used | {"customer_id", self.time_field}
            for col in self.columns[name].find_all(exp.Column)
        }
        select = select.from_(self.base.copy(), copy=False)
        for j in self.joins:
            if j.alias in need:
                select = select.join(
                    j.table.copy(), on=j.on.copy(), join_type=j.kind or None, copy=False
                )
        return select

    @property
    def relation(self) -> exp.Select:
        """All columns under their logical names, as one SELECT (for browsing values)."""
        names = [n for n in self.columns if n not in self.fields or not self.fields[n].unavailable]
        cols = [exp.alias_(self.columns[n].copy(), n, quoted=True) for n in names]
        return self.from_(exp.select(*cols), set(names))


# source: (label, time field, description, {field: (type, label, physical expression owner)})
EVENT_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "orders": {
        "order_id": ("string", N_("Order ID")),
        "total": ("number", N_("Order total ({cur})")),
        "channel": ("string", N_("Channel (store/web/app)")),
        "coupon_code": ("string", N_("Coupon code")),
    },
    "purchases": {
        "order_id": ("string", N_("Order ID")),
        "product_id": ("string", N_("Product ID")),
        "product_name": ("string", N_("Product name")),
        "category": ("string", N_("Category")),
        "brand": ("string", N_("Brand")),
        "quantity": ("number", N_("Quantity")),
        "unit_price": ("number", N_("Unit price ({cur})")),
        "channel": ("string", N_("Channel (store/web/app)")),
    },
    "web": {
        "event_type": ("string", N_("Event type")),
        "product_id": ("string", N_("Product ID")),
        "category": ("string", N_("Category of the product")),
        "search_term": ("string", N_("Search term")),
    },
    "messages": {
        "channel": ("string", N_("Channel (email/sms/line)")),
        "campaign_id": ("string", N_("Campaign ID")),
        "opened": ("boolean", N_("Opened")),
        "clicked": ("boolean", N_("Clicked")),
    },
    "nps": {
        "score": ("number", N_("Score 0..10")),
    },
}
EVENT_META: dict[str, tuple[str, str, str]] = {
    "orders": (N_("Orders"), "ordered_at", N_("One row per order")),
    "purchases": (N_("Purchases"), "ordered_at", N_("One row per order item, with its product")),
    "web": (
        N_("Web & app events"),
        "event_at",
        N_("Page/product views, cart adds, searches, app opens"),
    ),
    "messages": (
        N_("Messages received"),
        "sent_at",
        N_("Contact history from the sending systems"),
    ),
    "nps": (N_("NPS responses"), "responded_at", N_("Net Promoter Score survey answers")),
}


class Mapping:
    """Logical → physical table and column names from the workspace's kizuna.toml.

    `locations` says where each table is on the engine in use (a Spark view over Parquet
    files, a warehouse schema); it overrides `tables` but is not part of the fingerprint, so
    the same definitions approved on one engine stay approved on another.
    """

    def __init__(
        self,
        tables: dict[str, str] | None = None,
        columns: dict | None = None,
        locations: dict[str, str] | None = None,
    ):
        self.tables = tables or {}
        self.columns = columns or {}
        self.locations = locations or {}

    def physical(self, logical: str) -> str:
        return self.locations.get(logical) or self.tables.get(logical) or logical

    def table(self, logical: str, alias: str | None = None) -> exp.Table:
        """A quoted table reference for a logical table name (may be db.schema.table)."""
        physical = self.physical(logical)
        parts = physical.split(".")
        table = exp.Table(
            this=exp.to_identifier(parts[-1], quoted=True),
            db=exp.to_identifier(parts[-2], quoted=True) if len(parts) >= 2 else None,
            catalog=exp.to_identifier(parts[-3], quoted=True) if len(parts) >= 3 else None,
        )
        if alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
        return table

    def column(self, logical_table: str, logical_column: str) -> str:
        return self.columns.get(logical_table, {}).get(logical_column) or logical_column

    def col(self, logical_table: str, logical_column: str, alias: str) -> exp.Column:
        return exp.column(self.column(logical_table, logical_column), table=alias, quoted=True)

    def fingerprint(self) -> str:
        return repr((sorted(self.tables.items()), sorted(self.columns.items())))


def _project(mapping: Mapping, table: str, alias: str, cols: list[str]) -> list[exp.Expr]:
    return [exp.alias_(mapping.col(table, c, alias), c, quoted=True) for c in cols]


def _on(m: Mapping, left: tuple[str, str, str], right: tuple[str, str, str]) -> exp.EQ:
    return exp.EQ(this=m.col(*left), expression=m.col(*right))


def _event_sources(m: Mapping) -> dict[str, tuple[exp.Table, tuple[EventJoin, ...], dict]]:
    """The tables, lazy joins and column expressions behind each event source (mapped)."""

    def cols(table: str, alias: str, names: list[str]) -> dict[str, exp.Expr]:
        return {n: m.col(table, n, alias) for n in names}

    products_for = {
        "i": EventJoin(
            "p",
            m.table("products", "p"),
            _on(m, ("order_items", "product_id", "i"), ("products", "product_id", "p")),
            "left",
        ),
        "w": EventJoin(
            "p",
            m.table("products", "p"),
            _on(m, ("web_events", "product_id", "w"), ("products", "product_id", "p")),
            "left",
        ),
    }
    orders_join = EventJoin(
        "o",
        m.table("orders", "o"),
        _on(m, ("order_items", "order_id", "i"), ("orders", "order_id", "o")),
    )
    not_null = lambda c: exp.not_(exp.Is(this=c, expression=exp.Null()))  # noqa: E731
    return {
        "orders": (
            m.table("orders", "o"),
            (),
            cols(
                "orders",
                "o",
                ["customer_id", "ordered_at", "order_id", "total", "channel", "coupon_code"],
            ),
        ),
        "purchases": (
            m.table("order_items", "i"),
            (orders_join, products_for["i"]),
            {
                **cols("orders", "o", ["customer_id", "ordered_at", "order_id"]),
                **cols("order_items", "i", ["product_id", "quantity", "unit_price"]),
                "product_name": m.col("products", "name", "p"),
                **cols("products", "p", ["category", "brand"]),
                **cols("orders", "o", ["channel"]),
            },
        ),
        "web": (
            m.table("web_events", "w"),
            (products_for["w"],),
            {
                **cols("web_events", "w", ["customer_id", "event_at", "event_type", "product_id"]),
                **cols("products", "p", ["category"]),
                **cols("web_events", "w", ["search_term"]),
            },
        ),
        "messages": (
            m.table("messages", "m"),
            (),
            {
                **cols("messages", "m", ["customer_id", "sent_at", "channel", "campaign_id"]),
                "opened": not_null(m.col("messages", "opened_at", "m")),
                "clicked": not_null(m.col("messages", "clicked_at", "m")),
            },
        ),
        "nps": (
            m.table("nps_responses", "n"),
            (),
            cols("nps_responses", "n", ["customer_id", "responded_at", "score"]),
        ),
    }


# What each event source reads: the rows themselves, then each field (logical table, column).
EVENT_NEEDS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "orders": {
        "": [("orders", "customer_id"), ("orders", "ordered_at")],
        "order_id": [("orders", "order_id")],
        "total": [("orders", "total")],
        "channel": [("orders", "channel")],
        "coupon_code": [("orders", "coupon_code")],
    },
    "purchases": {
        "": [
            ("order_items", "order_id"),
            ("orders", "order_id"),
            ("orders", "customer_id"),
            ("orders", "ordered_at"),
        ],
        "product_id": [("order_items", "product_id")],
        "quantity": [("order_items", "quantity")],
        "unit_price": [("order_items", "unit_price")],
        "product_name": [
            ("order_items", "product_id"),
            ("products", "product_id"),
            ("products", "name"),
        ],
        "category": [
            ("order_items", "product_id"),
            ("products", "product_id"),
            ("products", "category"),
        ],
        "brand": [("order_items", "product_id"), ("products", "product_id"), ("products", "brand")],
        "channel": [("orders", "channel")],
    },
    "web": {
        "": [("web_events", "customer_id"), ("web_events", "event_at")],
        "event_type": [("web_events", "event_type")],
        "product_id": [("web_events", "product_id")],
        "category": [
            ("web_events", "product_id"),
            ("products", "product_id"),
            ("products", "category"),
        ],
        "search_term": [("web_events", "search_term")],
    },
    "messages": {
        "": [("messages", "customer_id"), ("messages", "sent_at")],
        "channel": [("messages", "channel")],
        "campaign_id": [("messages", "campaign_id")],
        "opened": [("messages", "opened_at")],
        "clicked": [("messages", "clicked_at")],
    },
    "nps": {
        "": [("nps_responses", "customer_id"), ("nps_responses", "responded_at")],
        "score": [("nps_responses", "score")],
    },
}

CURRENCY_SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "元", "KRW": "₩"}
MONEY = {"total_spend", "avg_order_value", "total", "unit_price"}


def currency_label(code: str) -> str:
    """What money labels show: the currency's symbol, or its ISO code."""
    return CURRENCY_SYMBOLS.get(code, code)


@dataclass
class Catalog:
    """Customer fields and event sources, resolved against one workspace's mapping."""

    fields: dict[str, Field]
    events: dict[str, EventSource]
    mapping: Mapping = field(default_factory=Mapping)
    presence: Presence | None = None
    currency: str = "JPY"
    base_as_of: date | None = None  # set when backtesting: the base is who existed that day
    consent: dict[str, str] = field(default_factory=dict)  # kizuna.toml [consent]

    def available(self) -> dict[str, Field]:
        """The customer fields this snapshot can provide."""
        return {n: f for n, f in self.fields.items() if not f.unavailable}

    def fingerprint(self) -> str:
        """A stable text describing the catalog, for cache keys and approvals."""
        parts = [f"{f.name}:{f.type}:{f.table}:{f.column}:{f.sql}" for f in self.fields.values()]
        return "|".join(parts) + "#" + self.mapping.fingerprint()

    @property
    def customers(self) -> exp.Table:
        return self.mapping.table("customers", CUSTOMER_ALIAS)

    def customer_id(self, alias: str = CUSTOMER_ALIAS) -> exp.Column:
        return self.mapping.col("customers", "customer_id", alias)

    def base_condition(self) -> exp.Expr | None:
        """When backtesting at D: signup_at on or before D, or unknown (docs/schema.md)."""
        if self.base_as_of is None or not self.has("customers", "signup_at"):
            return None
        signup = self.fields["signup_at"].expr(CUSTOMER_ALIAS)
        day = exp.cast(exp.Literal.string(self.base_as_of.isoformat()), exp.DataType.build("DATE"))
        return exp.or_(
            exp.Is(this=signup.copy(), expression=exp.Null()),
            exp.LTE(this=exp.cast(signup, exp.DataType.build("DATE")), expression=day),
        )

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the snapshot has this logical table (and column)."""
        return self.presence is None or self.presence.has(table, column)


def build_catalog(
    ws: Workspace | None = None,
    locations: dict[str, str] | None = None,
    presence: Presence | None = None,
) -> Catalog:
    """Build the catalog for a workspace: defaults, then its mapping and custom fields.

    `locations` places the logical tables on a non-DuckDB engine (see Mapping); `presence`
    says what the snapshot has (None: everything not mapped to `false`), and every field or
    event source that needs something absent is marked unavailable with the reason."""
    from queries.core.features_prune import unavailable_features

    tables = ws.tables if ws else {}
    columns = ws.columns if ws else {}
    if presence is None:
        presence = assume_all(tables, columns)
    mapping = Mapping(tables, columns, locations)
    cur = currency_label(ws.currency if ws else "JPY")
    fields: dict[str, Field] = {}
    for name, (typ, label, desc, pii) in CUSTOMER_COLUMNS.items():
        fields[name] = Field(
            name,
            typ,
            _(label),
            _(desc),
            pii,
            "customers",
            mapping.column("customers", name),
            unavailable=presence.needs([("customers", name)]),
            labels=both(label),
        )
    lost = unavailable_features(presence)
    for name, (typ, label, desc) in FEATURE_COLUMNS.items():
        fields[name] = Field(
            name,
            typ,
            _(label).format(cur=cur),
            _(desc),
            False,
            "features",
            name,
            unavailable=lost.get(name),
            money=name in MONEY,
            labels=both(label, cur),
        )
    for name, spec in (ws.fields if ws else {}).items():
        if (
            not isinstance(spec, dict)
            or "type" not in spec
            or ("sql" not in spec and "column" not in spec)
        ):
            raise ConfigError(f"kizuna.toml [fields.{name}] needs `type` and `sql` or `column`")
        if spec["type"] not in TYPES:
            raise ConfigError(f"kizuna.toml [fields.{name}] type must be one of {', '.join(TYPES)}")
        column = spec.get("column")
        missing = None
        if column is not None and presence.has("customers") and not presence.complete:
            physical = {mapping.column("customers", c) for c in presence.columns["customers"]}
            extra = presence.extra_columns.get("customers", frozenset())
            if column not in physical and column.lower() not in extra:
                missing = f"needs customers.{column}"
        fields[name] = Field(
            name,
            spec["type"],
            str(spec.get(f"label_{language()}") or spec.get("label", name)),
            spec.get("description", ""),
            bool(spec.get("pii", False)),
            "customers",
            column,
            spec.get("sql"),
            unavailable=missing,
            money=bool(spec.get("money", False)),
            labels=tuple(str(spec[k]) for k in ("label", "label_ja") if spec.get(k)),
        )
    sources = _event_sources(mapping)
    events: dict[str, EventSource] = {}
    for name, (label, time_field, desc) in EVENT_META.items():
        needs = EVENT_NEEDS[name]
        base_gone = presence.needs(needs[""])
        efields = {
            fname: Field(
                fname,
                typ,
                _(flabel).format(cur=cur),
                "",
                False,
                name,
                fname,
                unavailable=base_gone or presence.needs(needs.get(fname, [])),
                money=fname in MONEY,
                labels=both(flabel, cur),
            )
            for fname, (typ, flabel) in EVENT_FIELDS[name].items()
        }
        efields[time_field] = Field(
            time_field,
            "timestamp",
            _("Time"),
            "",
            False,
            name,
            time_field,
            unavailable=base_gone,
            labels=both(N_("Time")),
        )
        base, joins, columns_ = sources[name]
        events[name] = EventSource(
            name, _(label), time_field, _(desc), efields, base, joins, columns_, base_gone
        )
    return Catalog(
        fields,
        events,
        mapping,
        presence,
        ws.currency if ws else "JPY",
        consent=dict(ws.consent) if ws else {},
    )


def both(label: str, cur: str = "") -> tuple[str, ...]:
    """A label in English and Japanese (so either finds the field), without repeats."""
    out = [in_language(lang, label).format(cur=cur) for lang in LANGUAGES]
    return tuple(dict.fromkeys(out))


def logical_view(mapping: Mapping, table: str, presence: Presence | None = None) -> exp.Select:
    """SELECT the mapped physical table under its logical column names (those it has)."""
    cols = [c for c in TABLE_COLUMNS[table] if presence is None or presence.has(table, c)]
    return exp.select(*_project(mapping, table, "t", cols)).from_(mapping.table(table, "t"))
