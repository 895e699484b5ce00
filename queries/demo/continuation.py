"""Continue the demo world past its as-of day, with a SIMULATED true effect for exported campaigns.

`continue_demo(src, out, days, effect)` copies a demo snapshot and adds the orders of the
`days` days after its as-of day, so that `kizuna measure` has something to measure:

- everyone keeps buying at their own pace: each day a customer orders with probability λ,
  their orders per day over the 365 days up to the as-of (at least 0.2 a year);
- people in the treated arms (every variant) of the campaigns exported to `exports/` also
  respond to the campaign: a responder places one extra order with their exported coupon code
  within 14 days of the send day. Responders are drawn so that treated conversion over the
  30 days from the send is higher than it would have been by exactly `effect` (e.g. 0.05 =
  +5 percentage points) in expectation; the holdout buys at its base rate only;
- the sends themselves are added to `messages` (campaign_id = the campaign's file stem).

Every draw is an md5 of the seed and the customer, so the same inputs give the same file.
This effect is simulated: it exists so the loop can be shown and tested, nothing more.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from queries.campaigns.assignment import HOLDOUT
from queries.measure.exported import MeasureError, exports_of, read_export

RESPONSE_DAYS = 14  # responders order within this many days of the send
EFFECT_WINDOW = 30  # the stated effect is on conversion over this many days from the send
MIN_RATE = 0.2 / 365  # even a churned customer may come back


@dataclass
class Continued:
    """What the continuation added."""

    out: Path
    as_of: date
    new_as_of: date
    orders: int
    campaign_orders: int
    campaigns: dict[str, str] = field(default_factory=dict)  # stem → export id used


def _draw(key: str) -> str:
    """SQL for a uniform draw in [0, 1) from the md5 of a key expression."""
    return f"(('0x' || substr(md5({key}), 1, 12))::UBIGINT / 281474976710656.0)"


def continue_demo(
    src: Path,
    out: Path,
    days: int = 45,
    effect: float = 0.05,
    seed: int = 7,
    exports: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Continued:
    """Write `out`: `src` plus `days` more days of orders (see the module docstring)."""
    if days < 1:
        raise MeasureError("--days must be at least 1")
    if not 0 <= effect < 1:
        raise MeasureError("--effect is a share of people (0.05 = +5 percentage points)")
    src, out = Path(src), Path(out)
    if not src.is_file():
        raise MeasureError(f"snapshot {src} does not exist")
    if out.resolve() == src.resolve():
        raise MeasureError("--out must be a new file, not the snapshot it continues")
    say = progress or (lambda _m: None)
    tmp = out.with_name(out.name + ".partial")
    tmp.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, tmp)
    con = duckdb.connect(str(tmp))
    try:
        result = _extend(con, days, effect, seed, exports, say)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, out)
    result.out = out
    return result


def _treated(con: duckdb.DuckDBPyConnection, exports: Path | None, after: date) -> dict[str, str]:
    """Load the latest export of every exported campaign into a temp table `tr`."""
    con.execute(
        "CREATE TEMP TABLE tr(customer_id VARCHAR, campaign VARCHAR, arm VARCHAR, "
        "coupon VARCHAR, send_day DATE, channel VARCHAR)"
    )
    used: dict[str, str] = {}
    if exports is None or not exports.is_dir():
        return used
    for camp in sorted(p for p in exports.iterdir() if p.is_dir()):
        found = exports_of(exports, camp.name)
        if not found:
            continue
        try:
            rec = read_export(found[-1])
        except MeasureError:
            continue  # an export without customer ids cannot be continued
        spec_channel = _channel(found[-1])
        send = max(rec.send_day, after + timedelta(days=1))
        con.executemany(
            "INSERT INTO tr VALUES (?, ?, ?, ?, ?, ?)",
            [
                (m.customer_id, rec.campaign, m.arm, m.coupon, send, spec_channel)
                for m in rec.members
            ],
        )
        used[rec.campaign] = rec.export_id
    return used


def _channel(folder: Path) -> str:
    import json

    spec = json.loads((folder / "campaign.json").read_text(encoding="utf-8"))
    return str(spec.get("resolved", {}).get("channel") or "email")


def _extend(
    con: duckdb.DuckDBPyConnection,
    days: int,
    effect: float,
    seed: int,
    exports: Path | None,
    say: Callable[[str], None],
) -> Continued:
    as_of_ts = _one(con, "SELECT max(as_of) FROM snapshot_meta")[0]
    as_of: date = as_of_ts.date()
    new_as_of = as_of + timedelta(days=days)
    d0, d1 = as_of.isoformat(), new_as_of.isoformat()
    say("base rates")
    con.execute(
        f"""CREATE TEMP TABLE rate AS
        SELECT c.customer_id, greatest({MIN_RATE}, count(o.order_id) / 365.0) AS lam
        FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id
          AND o.ordered_at::DATE BETWEEN DATE '{d0}' - 364 AND DATE '{d0}'
        WHERE c.signup_at IS NULL OR c.signup_at::DATE <= DATE '{d0}'
        GROUP BY c.customer_id"""
    )
    campaigns = _treated(con, exports, as_of)
    con.execute(
        "CREATE TEMP TABLE prod AS SELECT row_number() OVER (ORDER BY product_id) - 1 AS k, "
        "product_id, price FROM products"
    )
    n_prod = _one(con, "SELECT count(*) FROM prod")[0]
    key = lambda tag, extra: f"'{seed}:{tag}:' || r.customer_id || ':' || {extra}"  # noqa: E731
    say(f"orders for {days} days")
    # one row per new order: the customer's own pace, then the campaign responders
    con.execute(
        f"""CREATE TEMP TABLE new_o AS
        SELECT r.customer_id, DATE '{d0}' + d.d::INTEGER AS day, NULL::VARCHAR AS coupon_code,
          {_draw(key("p", "d.d"))} AS u_prod, {_draw(key("t", "d.d"))} AS u_time, 0 AS campaign
        FROM rate r CROSS JOIN range(1, {days} + 1) d(d)
        WHERE {_draw(key("o", "d.d"))} < r.lam"""
    )
    if effect > 0:
        con.execute(
            f"""INSERT INTO new_o
            SELECT r.customer_id,
              t.send_day + floor({_draw(key("rd", "t.campaign"))} * {RESPONSE_DAYS})::INTEGER,
              t.coupon, {_draw(key("rp", "t.campaign"))}, {_draw(key("rt", "t.campaign"))}, 1
            FROM tr t JOIN rate r USING (customer_id)
            WHERE t.arm <> '{HOLDOUT}'
              AND {_draw(key("resp", "t.campaign"))}
                  < {effect} / greatest(1e-9, power(1 - r.lam, {EFFECT_WINDOW}))
              AND t.send_day + floor({_draw(key("rd", "t.campaign"))} * {RESPONSE_DAYS})::INTEGER
                  <= DATE '{d1}'"""
        )
    start = _one(
        con, "SELECT coalesce(max(TRY_CAST(substr(order_id, 2) AS BIGINT)), 0) FROM orders"
    )[0]
    con.execute(
        f"""CREATE TEMP TABLE new_rows AS
        SELECT printf('O%08d', {start} + row_number() OVER (ORDER BY day, customer_id, campaign))
            AS order_id,
          n.customer_id,
          n.day::TIMESTAMP + to_seconds((36000 + floor(u_time * 43200))::BIGINT) AS ordered_at,
          CASE WHEN u_time < 0.4 THEN 'web' WHEN u_time < 0.7 THEN 'app' ELSE 'store' END
            AS channel,
          p.product_id, p.price, 1 + (u_prod * 1000)::INTEGER % 2 AS quantity, n.coupon_code,
          n.campaign
        FROM new_o n JOIN prod p ON p.k = floor(n.u_prod * {n_prod})::INTEGER"""
    )
    con.execute(
        "INSERT INTO orders (order_id, customer_id, ordered_at, channel, total, coupon_code) "
        "SELECT order_id, customer_id, ordered_at, channel, price * quantity, coupon_code "
        "FROM new_rows"
    )
    con.execute(
        "INSERT INTO order_items (order_id, product_id, quantity, unit_price) "
        "SELECT order_id, product_id, quantity, price FROM new_rows"
    )
    say("campaign sends")
    m_start = _one(
        con, "SELECT coalesce(max(TRY_CAST(substr(message_id, 2) AS BIGINT)), 0) FROM messages"
    )[0]
    con.execute(
        f"""INSERT INTO messages (message_id, customer_id, campaign_id, channel, sent_at)
        SELECT printf('M%09d', {m_start} + row_number() OVER (ORDER BY campaign, customer_id)),
          customer_id, campaign, channel, send_day::TIMESTAMP + INTERVAL 10 HOUR
        FROM tr WHERE arm <> '{HOLDOUT}' AND send_day <= DATE '{d1}'"""
    )
    con.execute("DELETE FROM snapshot_meta")
    con.execute(
        "INSERT INTO snapshot_meta VALUES (?, ?)",
        [
            new_as_of,
            f"kizuna demo continuation: {days} days after {as_of}, seed={seed}, "
            f"simulated effect +{effect * 100:g} pp",
        ],
    )
    n_new, n_camp = _one(con, "SELECT count(*), count(*) FILTER (campaign = 1) FROM new_rows")
    return Continued(Path(), as_of, new_as_of, int(n_new), int(n_camp), campaigns)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The single row of an aggregate query (DuckDB's fetchone() may say None)."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql}")
    return row
