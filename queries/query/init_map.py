"""`kizuna init --db`: guess a kizuna.toml mapping for a snapshot that is not the demo.

Tables and columns are recognised by common names (synonyms, any schema, case and
punctuation ignored). What is recognised is written as mapping keys; what is not is left
as a comment naming what to fill in, so the analyst edits one file and runs `kizuna check`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from queries.core.errors import ConfigError
from queries.core.presence import DEFAULT_SCHEMA
from queries.core.schema import TABLE_COLUMNS
from queries.core.workspace import CONFIG_NAME, DEFAULT_CONFIG, bundled_demo

_ID = [
    "customer_id",
    "cust_id",
    "customerid",
    "customer_no",
    "cust_no",
    "customer_code",
    "cust_code",
    "customer_number",
    "member_no",
    "client_no",
    "client_id",
    "member_id",
    "user_id",
    "userid",
    "account_id",
    "customer",
]
TABLE_SYNONYMS: dict[str, list[str]] = {
    "customers": [
        "customers",
        "customer",
        "customer_master",
        "clients",
        "client",
        "members",
        "member",
        "users",
        "user",
        "accounts",
        "kunden",
        "people",
        "contacts",
    ],
    "orders": [
        "orders",
        "order",
        "transactions",
        "transaction",
        "purchases",
        "sales",
        "receipts",
        "invoices",
        "order_header",
        "orders_header",
    ],
    "order_items": [
        "order_items",
        "order_item",
        "order_lines",
        "order_line",
        "line_items",
        "orderlines",
        "transaction_items",
        "order_details",
        "sales_lines",
    ],
    "products": ["products", "product", "items", "articles", "skus", "catalog", "catalogue"],
    "web_events": [
        "web_events",
        "events",
        "page_views",
        "pageviews",
        "clickstream",
        "web_logs",
        "app_events",
        "tracking_events",
    ],
    "messages": [
        "messages",
        "sends",
        "message_history",
        "contact_history",
        "campaign_sends",
        "email_sends",
        "deliveries",
    ],
    "nps_responses": ["nps_responses", "nps", "survey_responses", "nps_surveys", "surveys"],
    "suppression_list": [
        "suppression_list",
        "suppressions",
        "suppression",
        "unsubscribes",
        "do_not_contact",
        "dnc",
        "blocklist",
        "blacklist",
        "optouts",
    ],
}
COLUMN_SYNONYMS: dict[str, list[str]] = {
    "customer_id": _ID,
    "email": ["email", "email_address", "mail", "e_mail", "mail_address"],
    "phone": ["phone", "phone_number", "mobile", "mobile_phone", "tel", "telephone", "cell"],
    "line_user_id": ["line_user_id", "line_id", "lineid"],
    "family_name": ["family_name", "last_name", "surname", "lastname"],
    "given_name": ["given_name", "first_name", "firstname", "forename"],
    "gender": ["gender", "sex"],
    "birth_date": ["birth_date", "birthdate", "date_of_birth", "dob", "birthday"],
    "prefecture": ["prefecture", "region", "state", "province"],
    "signup_at": [
        "signup_at",
        "signup_date",
        "signed_up_at",
        "registered_at",
        "registration_date",
        "created_at",
        "join_date",
        "joined_at",
        "first_seen",
        "customer_since",
    ],
    "signup_channel": ["signup_channel", "acquisition_channel", "registration_channel"],
    "loyalty_tier": ["loyalty_tier", "tier", "member_rank", "rank", "membership_level"],
    "points": ["points", "loyalty_points", "point_balance", "points_balance"],
    "email_opt_in": [
        "email_opt_in",
        "email_optin",
        "email_consent",
        "accepts_marketing",
        "newsletter_opt_in",
    ],
    "sms_opt_in": ["sms_opt_in", "sms_optin", "sms_consent"],
    "line_opt_in": ["line_opt_in", "line_optin", "line_consent"],
    "preferred_channel": ["preferred_channel", "preferred_contact_channel"],
    "order_id": [
        "order_id",
        "orderid",
        "order_no",
        "order_number",
        "transaction_id",
        "invoice_no",
        "invoice_id",
        "receipt_id",
    ],
    "ordered_at": [
        "ordered_at",
        "order_date",
        "order_datetime",
        "purchased_at",
        "purchase_date",
        "transaction_date",
        "invoice_date",
        "date",
        "created_at",
        "timestamp",
    ],
    "total": [
        "total",
        "order_total",
        "amount",
        "total_amount",
        "revenue",
        "value",
        "dollar_value",
        "sales",
        "price_total",
        "net_amount",
    ],
    "channel": ["channel", "sales_channel", "order_channel"],
    "coupon_code": ["coupon_code", "coupon", "promo_code", "discount_code", "voucher"],
    "product_id": ["product_id", "productid", "sku", "item_id", "article_id", "stock_code"],
    "quantity": ["quantity", "qty", "units", "cds_bought", "number_of_items"],
    "unit_price": ["unit_price", "price", "item_price"],
    "name": ["name", "product_name", "title", "description"],
    "category": ["category", "product_category", "department"],
    "brand": ["brand", "manufacturer", "maker"],
    "price": ["price", "list_price", "unit_price"],
    "event_at": ["event_at", "event_time", "timestamp", "occurred_at", "created_at"],
    "event_type": ["event_type", "event_name", "type", "action"],
    "search_term": ["search_term", "query", "search_query", "keyword"],
    "message_id": ["message_id", "send_id", "id"],
    "campaign_id": ["campaign_id", "campaign"],
    "sent_at": ["sent_at", "send_time", "sent_time", "delivered_at"],
    "opened_at": ["opened_at", "open_time", "opened_time"],
    "clicked_at": ["clicked_at", "click_time", "clicked_time"],
    "responded_at": ["responded_at", "response_date", "answered_at", "submitted_at"],
    "score": ["score", "nps_score", "rating"],
    "reason": ["reason", "suppression_reason"],
    "added_at": ["added_at", "suppressed_at", "created_at", "date_added"],
}


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _words(name: str) -> list[str]:
    """The head noun of a name: `cd_customers` → customers; `OrderLines` → lines, order_lines."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]
    return [*words[-1:], "_".join(words[-2:])] if len(words) > 1 else words


def _pick(names: Iterable[str], synonyms: list[str]) -> str | None:
    by_norm: dict[str, str] = {}
    for n in names:
        by_norm.setdefault(_norm(n), n)
    for syn in synonyms:
        if _norm(syn) in by_norm:
            return by_norm[_norm(syn)]
    return None


def guess(rows: Iterable[tuple[str, str, str]]) -> tuple[dict, dict, list[str]]:
    """(tables, columns, notes) recognised in (schema, table, column) rows."""
    cols: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        cols.setdefault((schema, table), []).append(column)
    # tables in the default schema first, so a same-named copy elsewhere loses
    keys = sorted(cols, key=lambda k: (k[0] != DEFAULT_SCHEMA, k[0], k[1]))
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    taken: set[tuple[str, str]] = set()
    for logical, syns in TABLE_SYNONYMS.items():
        found = None
        for syn in syns:
            found = next((k for k in keys if k not in taken and _norm(k[1]) == _norm(syn)), None)
            if found:
                break
        for syn in syns if found is None else ():  # then a name with a synonym as one word
            found = next((k for k in keys if k not in taken and syn in _words(k[1])), None)
            if found:
                break
        if found is None:
            notes.append(f"{logical}: no table recognised")
            continue
        taken.add(found)
        schema, table = found
        physical = table if schema == DEFAULT_SCHEMA else f"{schema}.{table}"
        tables[logical] = physical
        mapped: dict[str, str] = {}
        for col in TABLE_COLUMNS[logical]:
            hit = _pick(cols[found], COLUMN_SYNONYMS.get(col, [col]) or [col])
            if hit is None:
                notes.append(f"{logical}.{col}: no column recognised in {physical}")
            elif hit != col:
                mapped[col] = hit
        if mapped:
            columns[logical] = mapped
    return tables, columns, notes


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mapping_toml(rows: Iterable[tuple[str, str, str]]) -> str:
    """The [tables]/[columns.*] part of kizuna.toml for a snapshot, with comments for gaps."""
    tables, columns, notes = guess(rows)
    lines = [
        "",
        "# Mapping written by `kizuna init` from the names it recognised. Check it with",
        "# `kizuna check`. Anything not mapped and not in the snapshot is unavailable;",
        "# map it by name, or write `false` to state the snapshot has no such table/column.",
        "[tables]",
    ]
    for logical in TABLE_SYNONYMS:
        if logical in tables:
            lines.append(f"{logical} = {_q(tables[logical])}")
        else:
            lines.append(f'# {logical} = "schema.table"   # not recognised')
    for logical in TABLE_SYNONYMS:
        if logical not in tables:
            continue
        lines += ["", f"[columns.{logical}]"]
        for col, phys in columns.get(logical, {}).items():
            lines.append(f"{col} = {_q(phys)}")
        for note in notes:
            if note.startswith(f"{logical}."):
                col = note.split(":")[0].split(".", 1)[1]
                lines.append(f'# {col} = "..."   # not recognised in {tables[logical]}')
    return "\n".join(lines) + "\n"


def snapshot_mapping(db: Path) -> str:
    """ "" for a snapshot already in Kizuna's schema, else a guessed mapping (mapping_toml)."""
    from queries.core.presence import probe, read_columns
    from queries.query.snapshot import SNAPSHOT_ALIAS, _connect_read_only

    conn = _connect_read_only(db, retries=0)
    try:
        rows = read_columns(conn, SNAPSHOT_ALIAS)
    finally:
        conn.close()
    p = probe(rows, {}, {})
    if not p.errors and all(p.has(t, c) for t, cols in TABLE_COLUMNS.items() for c in cols):
        return ""
    return mapping_toml(rows)


def init_workspace(folder: Path, db: Path | None = None) -> Path:
    """Create a new workspace folder with kizuna.toml and empty segments/campaigns/templates."""
    folder = Path(folder)
    cfg = folder / CONFIG_NAME
    if cfg.exists():
        raise ConfigError(f"{cfg} already exists; not overwriting it")
    target = Path(db).resolve() if db else bundled_demo()[0]
    mapping = ""
    if db is not None:
        if not target.is_file():
            raise ConfigError(f"--db {db}: no such snapshot file; nothing was created")
        mapping = snapshot_mapping(target)  # read before creating anything
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("segments", "campaigns", "templates"):
        (folder / sub).mkdir(exist_ok=True)
    cfg.write_text(DEFAULT_CONFIG.format(db=target.as_posix()) + mapping, encoding="utf-8")
    (folder / ".gitignore").write_text(".kizuna/cache/\nexports/\n", encoding="utf-8")
    return folder
