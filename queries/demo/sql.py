"""DuckDB SQL for the demo snapshot generator; `{name}` placeholders are filled by demo.py."""

from __future__ import annotations

# Draw helpers. u(t, e, g) is a uniform double in [0, 1) for table tag t, entity id e and
# draw tag g (< 64); distinct (t, e, g) give independent draws, and the seed is mixed in
# before hashing so different seeds give unrelated streams. ts(d, s) = day index + seconds.
MACROS = """
CREATE OR REPLACE TEMP MACRO u(t, e, g) AS
  (hash(xor((t::BIGINT << 50) + e::BIGINT * 64 + g, {mix}::BIGINT)) >> 11)::DOUBLE
  / 9007199254740992.0;
CREATE OR REPLACE TEMP MACRO ts(d, s) AS
  make_timestamp({start_us}::BIGINT + d::BIGINT * 86400000000 + s::BIGINT * 1000000);
CREATE OR REPLACE TEMP MACRO cid(i) AS printf('C%0{cid_width}d', i);
"""

CALENDAR = """
CREATE TEMP TABLE cal AS
SELECT d, w, CASE
    WHEN m = 12 AND dd <= 25 THEN 'XMAS' || yy
    WHEN m = 11 AND (dd <= 11 OR dd >= 20) THEN 'NOVSALE' || yy
    WHEN m = 1 AND dd <= 3 THEN 'FUKU' || yy
    WHEN m = 7 OR (m = 8 AND dd <= 15) THEN 'SUMMER' || yy
  END AS coupon
FROM (
  SELECT d::INTEGER AS d, month(dt) AS m, dayofmonth(dt) AS dd, strftime(dt, '%y') AS yy,
    least(1.0, CASE
      WHEN month(dt) = 12 AND dayofmonth(dt) <= 24 THEN 1.0
      WHEN month(dt) = 12 THEN 0.7
      WHEN month(dt) = 11 AND dayofmonth(dt) <= 11 THEN 0.95
      WHEN month(dt) = 11 AND dayofmonth(dt) >= 20 THEN 0.9
      WHEN month(dt) = 11 THEN 0.6
      WHEN month(dt) = 1 AND dayofmonth(dt) <= 3 THEN 0.95
      WHEN month(dt) IN (7, 8) THEN 0.8
      WHEN month(dt) IN (3, 6) THEN 0.6
      ELSE 0.5 END * CASE WHEN dayofweek(dt) IN (0, 6) THEN 1.15 ELSE 1.0 END) AS w
  FROM (SELECT d, DATE '{start}' + d::INTEGER AS dt FROM range(0, {dmax} + 1) r(d))
)
"""

# Base customer attributes and latent behaviour (buyer?, order count, lifetime, engagement).
CUSTOMERS_STAGE = """
CREATE TEMP TABLE c0 AS
WITH b AS (
  SELECT i,
    CASE WHEN u(1, i, 1) < 0.60 THEN 'female' WHEN u(1, i, 1) < 0.93 THEN 'male'
         WHEN u(1, i, 1) < 0.965 THEN 'other' END AS gender,
    CASE WHEN u(1, i, 3) < 0.0003 OR i IN ({forced_unenc}) THEN 1 ELSE 0 END AS fpool,
    CASE WHEN u(1, i, 6) < 0.05 THEN 'none' WHEN u(1, i, 7) < 0.00015 THEN 'x' END AS gflag,
    floor(pow(u(1, i, 10), 0.8) * ({dmax} + 1))::INTEGER AS sd,
    9 * 3600 + floor(u(1, i, 11) * 14 * 3600)::INTEGER AS ss,
    CASE WHEN u(1, i, 12) < 0.38 THEN 'store' WHEN u(1, i, 12) < 0.68 THEN 'web'
         WHEN u(1, i, 12) < 0.90 THEN 'app' ELSE 'referral' END AS signup_channel,
    pow(u(1, i, 13), 1.3) AS engage,
    least(300, floor(pow(1.0 - u(1, i, 14), -{k_exp})))::INTEGER AS k0
  FROM range(1, {n} + 1) r(i)
), s AS (
  SELECT b.*,
    CASE WHEN gflag = 'x' THEN 3 WHEN gender = 'female' THEN 0 WHEN gender = 'male' THEN 1
         ELSE 2 END AS gpool,
    CASE WHEN signup_channel = 'store' THEN 'store' WHEN signup_channel = 'app' THEN 'app'
         ELSE 'web' END AS ch_pref,
    u(1, i, 15) < CASE WHEN sd > {dmax} - 14 THEN 0.55 ELSE 0.91 END AS buyer,
    least({dmax}, sd + CASE WHEN signup_channel = 'store' AND u(1, i, 16) < 0.8 THEN 0
      WHEN u(1, i, 16) < 0.35 THEN 0
      ELSE floor(-ln(1.0 - u(1, i, 17)) * 25)::INTEGER END) AS first_day,
    {fav_cat} AS fav_cat
  FROM b
), l AS (
  SELECT s.*,
    CASE WHEN u(1, i, 18) < 0.28 + 0.5 * least(1.0, (k0 - 1) / 8.0) THEN {dmax}
         ELSE least({dmax}, first_day + floor(-ln(1.0 - u(1, i, 19)) * 420)::INTEGER)
    END AS end_day
  FROM s
)
SELECT l.i, l.gender, l.sd, l.ss, l.signup_channel, l.engage, l.ch_pref, l.buyer,
  l.first_day, l.end_day, l.fav_cat,
  least(l.k0, 1 + (l.end_day - l.first_day) // 6) AS k_eff,
  CASE WHEN l.i IN ({forced_takahashi}) THEN '髙橋' WHEN l.i IN ({forced_yamazaki}) THEN '山﨑'
       ELSE f.k END AS family_name,
  CASE WHEN l.i IN ({forced_takahashi}) THEN 'takahashi'
       WHEN l.i IN ({forced_yamazaki}) THEN 'yamazaki' ELSE f.r END AS family_romaji,
  CASE WHEN l.gflag = 'none' THEN NULL ELSE g.k END AS given_name,
  CASE WHEN l.gflag = 'none' THEN NULL ELSE g.r END AS given_romaji,
  CASE WHEN u(1, i, 20) < 0.08 THEN NULL
    WHEN u(1, i, 21) < 0.002 OR l.i IN ({forced_leap}) THEN
      make_date(1968 + 4 * floor(u(1, i, 22) * 9)::INTEGER, 2, 29)
    ELSE DATE '{as_of_date}' - floor((16.5 + 60 * pow((u(1, i, 23) + u(1, i, 24)) / 2, 1.15))
      * 365.25)::INTEGER END AS birth_date,
  CASE WHEN u(1, i, 25) < 0.015 THEN NULL ELSE p.name END AS prefecture,
  CASE WHEN u(1, i, 26) < 0.15 THEN NULL ELSE '+81' || CASE WHEN u(1, i, 27) < 0.5 THEN '90'
    WHEN u(1, i, 27) < 0.85 THEN '80' ELSE '70' END
    || lpad(floor(u(1, i, 28) * 100000000)::BIGINT::VARCHAR, 8, '0') END AS phone,
  CASE WHEN u(1, i, 29) < CASE WHEN l.signup_channel = 'app' THEN 0.65 ELSE 0.34 END
    THEN 'U' || md5('{seed}:line:' || l.i) END AS line_user_id,
  CASE WHEN u(1, i, 30) < 0.45 THEN 'example.jp' WHEN u(1, i, 30) < 0.80 THEN 'example.com'
       ELSE 'example.co.jp' END AS domain,
  u(1, i, 31) AS u_fmt, u(1, i, 32) AS u_num
FROM l
JOIN fam f ON f.pool = l.fpool
  AND f.idx = floor(u(1, l.i, 2) * CASE l.fpool WHEN 0 THEN {n_fam} ELSE {n_famx} END)
JOIN gvn g ON g.pool = l.gpool AND g.idx = CASE WHEN l.gpool = 3 AND l.gender = 'female' THEN 0
  WHEN l.gpool = 3 AND l.gender = 'male' THEN 1 ELSE floor(u(1, l.i, 5) * CASE l.gpool
  WHEN 0 THEN {n_gf} WHEN 1 THEN {n_gm} WHEN 2 THEN {n_ga} ELSE {n_gx} END) END
JOIN pref p ON p.idx = floor(u(1, l.i, 8) * {n_pref})
ORDER BY l.i
"""

# Email local parts: a name-based base plus a per-base counter, so every address is unique.
EMAILS = """
CREATE TEMP TABLE em AS
WITH b AS (
  SELECT i, domain, u_num, CASE
    WHEN given_romaji IS NULL THEN family_romaji
    WHEN u_fmt < 0.45 THEN given_romaji || '.' || family_romaji
    WHEN u_fmt < 0.60 THEN family_romaji || '.' || given_romaji
    WHEN u_fmt < 0.75 THEN given_romaji || '_' || family_romaji
    WHEN u_fmt < 0.88 THEN left(given_romaji, 1) || family_romaji
    ELSE given_romaji END AS base
  FROM c0
)
SELECT i, base || CASE WHEN rn = 1 AND u_num < 0.3 THEN ''
  ELSE rn::VARCHAR || lpad(floor(u_num * 100)::INTEGER::VARCHAR, 2, '0') END
  || '@' || domain AS email
FROM (SELECT b.*, row_number() OVER (PARTITION BY base ORDER BY i) AS rn FROM b)
"""

ORDERS_STAGE = """
CREATE TEMP TABLE o AS
WITH x AS (
  SELECT i, sd, ss, first_day, end_day, ch_pref, fav_cat, month(birth_date) AS bm,
    unnest(range(k_eff)) AS k
  FROM c0 WHERE buyer
), y AS (
  SELECT x.*, i * 1024 + k AS e,
    CASE WHEN k = 0 THEN first_day
      ELSE first_day + floor(u(2, i * 1024 + k, 1) * (end_day - first_day + 1))::INTEGER
    END AS d
  FROM x
), z AS (
  SELECT y.*, cal.coupon AS season_coupon, month(DATE '{start}' + y.d) AS m,
    CASE WHEN u(2, e, 3) < 0.7 THEN ch_pref WHEN u(2, e, 4) < 0.4 THEN 'store'
         WHEN u(2, e, 4) < 0.75 THEN 'web' ELSE 'app' END AS channel
  FROM y JOIN cal USING (d)
  WHERE k = 0 OR u(2, e, 2) < cal.w
), t AS (
  SELECT z.*,
    CASE WHEN channel = 'store' THEN 10 * 3600 + floor(u(2, e, 5) * 11 * 3600)
      WHEN u(2, e, 6) < 0.55 THEN 18 * 3600 + floor(u(2, e, 5) * 6 * 3600)
      ELSE 7 * 3600 + floor(u(2, e, 5) * 11 * 3600) END::INTEGER AS secs0,
    CASE WHEN k = 0 AND u(2, e, 7) < 0.3 THEN 'WELCOME10'
      WHEN season_coupon IS NOT NULL AND u(2, e, 7) < 0.35 THEN season_coupon
      WHEN m = bm AND u(2, e, 7) < 0.25 THEN 'BDAY10'
      WHEN channel = 'app' AND u(2, e, 7) < 0.08 THEN 'APP10' END AS coupon,
    CASE WHEN u(2, e, 8) < 0.55 THEN 1 WHEN u(2, e, 8) < 0.80 THEN 2
      WHEN u(2, e, 8) < 0.92 THEN 3 WHEN u(2, e, 8) < 0.97 THEN 4 ELSE 5 END AS nlines
  FROM z
)
SELECT row_number() OVER (ORDER BY ts, i, k) AS seq, *
FROM (
  SELECT i, k, e, d, channel, coupon, nlines, fav_cat,
    ts(d, CASE WHEN d = sd THEN least(86399, greatest(secs0, ss + 300)) ELSE secs0 END) AS ts
  FROM t
)
ORDER BY seq
"""

ITEM_LINES = """
CREATE TEMP TABLE oil AS
WITH x AS (
  SELECT seq, e, coupon, fav_cat, unnest(range(nlines)) AS l FROM o
), y AS (
  SELECT seq, coupon, l, e * 8 + l AS ie,
    CASE WHEN u(3, e * 8 + l, 1) < 0.55 THEN fav_cat ELSE {cat_any_3} END AS cat
  FROM x
)
SELECT y.seq, y.l, p.product_id, p.price,
  CASE WHEN u(3, y.ie, 4) < 0.86 THEN 1 WHEN u(3, y.ie, 4) < 0.97 THEN 2 ELSE 3 END AS qty,
  CASE WHEN y.coupon IS NULL THEN p.price ELSE p.price * 9 // 10 END AS unit_price
FROM y JOIN prod p ON p.cat_idx = y.cat
  AND p.idx = floor(pow(u(3, y.ie, 3), 1.7) * {cat_count_y})
"""

ITEMS_FINAL = """
CREATE TEMP TABLE oi AS
SELECT seq, product_id, sum(qty)::INTEGER AS quantity, min(unit_price)::INTEGER AS unit_price
FROM oil GROUP BY seq, product_id;
CREATE TABLE order_items AS
SELECT printf('O%08d', seq) AS order_id, product_id, quantity, unit_price
FROM oi ORDER BY seq, product_id;
CREATE TABLE orders AS
SELECT printf('O%08d', o.seq) AS order_id, cid(o.i) AS customer_id, o.ts AS ordered_at,
  o.channel, t.total::INTEGER AS total, o.coupon AS coupon_code
FROM o JOIN (SELECT seq, sum(quantity * unit_price) AS total FROM oi GROUP BY seq) t USING (seq)
ORDER BY o.seq
"""

CUSTOMERS_FINAL = """
CREATE TEMP TABLE c1 AS
WITH a AS (
  SELECT o.i, count(DISTINCT o.seq) AS n_orders, sum(oi.quantity * oi.unit_price) AS spend,
    sum(CASE WHEN o.d > {dmax} - 730 THEN oi.quantity * oi.unit_price ELSE 0 END) AS spend2y,
    max(o.d) AS last_day
  FROM o JOIN oi USING (seq) GROUP BY o.i
), r AS (
  SELECT c0.* REPLACE (CASE WHEN c0.i = {shared_b} THEN (SELECT family_name FROM c0
      WHERE i = {shared_a}) ELSE c0.family_name END AS family_name),
    CASE WHEN c0.i = {shared_b} THEN (SELECT email FROM em WHERE i = {shared_a})
      ELSE em.email END AS email, coalesce(a.n_orders, 0) AS n_orders,
    coalesce(a.spend, 0) AS spend,
    coalesce(a.spend2y, 0) AS spend2y, a.last_day,
    percent_rank() OVER (ORDER BY coalesce(a.spend, 0) * (0.85 + 0.3 * u(1, c0.i, 40)) DESC,
      c0.i) AS pr
  FROM c0 JOIN em USING (i) LEFT JOIN a USING (i)
), t AS (
  SELECT r.*, CASE WHEN n_orders = 0 THEN 'regular' WHEN pr < 0.02 THEN 'platinum'
    WHEN pr < 0.085 THEN 'gold' WHEN pr < 0.26 THEN 'silver' ELSE 'regular' END AS tier
  FROM r
)
SELECT t.*,
  CASE WHEN n_orders = 0 THEN CASE WHEN u(1, i, 41) < 0.3 THEN 100 ELSE 0 END
    WHEN last_day < {dmax} - 365 THEN 0
    ELSE least(50000, floor(spend * CASE tier WHEN 'platinum' THEN 0.03 WHEN 'gold' THEN 0.02
      WHEN 'silver' THEN 0.015 ELSE 0.01 END * (0.25 + 0.75 * u(1, i, 42)))) END::INTEGER AS points,
  u(1, i, 43) < 0.72 AS email_opt_in,
  phone IS NOT NULL AND u(1, i, 44) < 0.38 AS sms_opt_in,
  line_user_id IS NOT NULL AND u(1, i, 45) < 0.85 AS line_opt_in
FROM t;
CREATE TABLE customers (
  customer_id VARCHAR PRIMARY KEY, email VARCHAR, phone VARCHAR, line_user_id VARCHAR,
  family_name VARCHAR, given_name VARCHAR, gender VARCHAR, birth_date DATE,
  prefecture VARCHAR, signup_at TIMESTAMP, signup_channel VARCHAR, loyalty_tier VARCHAR,
  points INTEGER, email_opt_in BOOLEAN, sms_opt_in BOOLEAN, line_opt_in BOOLEAN,
  preferred_channel VARCHAR
);
INSERT INTO customers
SELECT cid(c.i), c.email, c.phone, c.line_user_id, c.family_name, c.given_name, c.gender,
  c.birth_date, c.prefecture, ts(c.sd, c.ss), c.signup_channel,
  c.tier, c.points, c.email_opt_in, c.sms_opt_in, c.line_opt_in,
  CASE WHEN c.line_opt_in AND u(1, c.i, 46) < 0.55 THEN 'line'
    WHEN c.sms_opt_in AND u(1, c.i, 46) < 0.75 THEN 'sms'
    WHEN c.phone IS NOT NULL AND u(1, c.i, 47) < 0.05 THEN 'sms' ELSE 'email' END
FROM c1 c ORDER BY c.i;
DROP TABLE c0;
DROP TABLE em;
DROP TABLE oi
"""

SUPPRESSION = """
CREATE TEMP TABLE sup AS
WITH x AS (
  SELECT i, sd, email, u(8, i, 2) AS ur, 0 AS kind FROM c1 WHERE u(8, i, 1) < 0.022
  UNION ALL
  SELECT i, sd, email, u(8, i, 4) AS ur, 1 AS kind FROM c1 WHERE u(8, i, 3) < 0.006
)
SELECT i, kind, email, CASE WHEN kind = 1 THEN CASE WHEN ur < 0.6 THEN 'email' ELSE 'all' END
    WHEN ur < 0.35 THEN 'email' WHEN ur < 0.45 THEN 'sms' WHEN ur < 0.52 THEN 'line'
    WHEN ur < 0.70 THEN 'email' ELSE 'all' END AS channel,
  CASE WHEN kind = 1 THEN CASE WHEN ur < 0.6 THEN 'bounced' WHEN ur < 0.9 THEN 'unsubscribed'
    ELSE 'complaint' END
    WHEN ur < 0.52 THEN 'unsubscribed' WHEN ur < 0.70 THEN 'bounced' WHEN ur < 0.80 THEN 'complaint'
    WHEN ur < 0.86 THEN 'legal_hold' WHEN ur < 0.90 THEN 'deceased' ELSE 'do_not_contact'
  END AS reason,
  sd + floor(u(8, i * 2 + kind, 5) * ({dmax} - sd + 1))::INTEGER AS d,
  floor(u(8, i * 2 + kind, 6) * 86400)::INTEGER AS secs
FROM x
UNION ALL
SELECT NULL, 2, 'old.address' || j || '@example.com', 'email', 'bounced',
  floor(u(9, j, 1) * ({dmax} + 1))::INTEGER, floor(u(9, j, 2) * 86400)::INTEGER
FROM range(1, {n_orphans} + 1) r(j);
CREATE TABLE suppression_list AS
SELECT CASE WHEN kind = 0 THEN cid(i) END AS customer_id,
  CASE WHEN kind > 0 THEN email END AS email, channel, reason, ts(d, secs) AS added_at
FROM sup ORDER BY d, secs, kind, i, email
"""

MESSAGES = """
CREATE TEMP TABLE camp AS
SELECT *, CASE channel WHEN 'email' THEN 0 WHEN 'sms' THEN 1 ELSE 2 END AS ch,
  CASE target WHEN 'all' THEN 0 WHEN 'buyers' THEN 1 WHEN 'vip' THEN 2 WHEN 'lapsed' THEN 3
    ELSE 4 END AS tg
FROM (VALUES {campaigns}) v(ci, campaign_id, channel, day, hour, target, reach);
CREATE TEMP TABLE m0 AS
WITH c AS (
  SELECT i, sd, engage, CASE WHEN buyer THEN first_day ELSE 100000 END AS first_day,
    coalesce(last_day, -100000) AS last_day,
    tier IN ('gold', 'platinum') AS vip,
    email_opt_in::INTEGER + 2 * sms_opt_in::INTEGER + 4 * line_opt_in::INTEGER AS opt
  FROM c1
)
-- `+ 0 * k.ci` keeps this a filtered cross join (much faster here than an inequality join).
SELECT c.i, k.ci, k.ch, c.engage, c.i * 256 + k.ci AS e,
  k.day::BIGINT * 86400 + k.hour * 3600 + floor(u(6, c.i * 256 + k.ci, 2) * 1800)::BIGINT AS sent
FROM c CROSS JOIN camp k
WHERE c.sd + 0 * k.ci < k.day AND (c.opt >> k.ch) & 1 = 1
  AND CASE k.tg WHEN 0 THEN true WHEN 1 THEN c.first_day < k.day WHEN 2 THEN c.vip
    WHEN 3 THEN c.last_day < k.day - 180
    ELSE c.last_day >= k.day - 90 AND c.first_day < k.day END
  AND u(6, c.i * 256 + k.ci, 1) < k.reach * (0.5 + c.engage);
CREATE TEMP TABLE m1 AS
WITH a AS (
  SELECT m0.*,
    u(6, e, 3) < CASE ch WHEN 0 THEN 0.30 WHEN 2 THEN 0.60 ELSE 0.0 END * (0.4 + 1.2 * engage)
      AS opened,
    u(6, e, 4) < CASE ch WHEN 1 THEN 0.06 ELSE 0.16 END * (0.5 + engage) AS clicked
  FROM m0
  WHERE NOT EXISTS (SELECT 1 FROM sup s WHERE s.i = m0.i AND s.kind < 2
    AND s.d::BIGINT * 86400 <= m0.sent
    AND s.channel IN ('all', CASE m0.ch WHEN 0 THEN 'email' WHEN 1 THEN 'sms' ELSE 'line' END))
), b AS (
  SELECT i, ci, ch, sent, clicked,
    CASE WHEN opened OR (ch = 1 AND clicked)
      THEN sent + floor(-ln(1.0 - u(6, e, 5)) * 3 * 3600)::BIGINT END AS o_at,
    30 + floor(u(6, e, 6) * 600)::BIGINT AS click_delay
  FROM a
), c AS (
  SELECT b.* EXCLUDE (o_at), CASE WHEN o_at < ({dmax} + 1) * 86400 THEN o_at END AS opened
  FROM b
)
SELECT row_number() OVER (ORDER BY sent, ci, i) AS seq, i, ci, sent, opened,
  CASE WHEN opened IS NULL OR NOT clicked THEN NULL WHEN ch = 1 THEN opened
    WHEN opened + click_delay < ({dmax} + 1) * 86400 THEN opened + click_delay END AS clicked
FROM c;
DROP TABLE m0;
CREATE TABLE messages AS
SELECT printf('M%09d', m.seq) AS message_id, cid(m.i) AS customer_id, k.campaign_id, k.channel,
  ts(0, m.sent) AS sent_at, ts(0, m.opened) AS opened_at, ts(0, m.clicked) AS clicked_at
FROM m1 m JOIN camp k USING (ci)
ORDER BY m.seq;
DROP TABLE m1
"""

WEB_EVENTS = """
CREATE TEMP TABLE sess AS
WITH x AS (
  SELECT i, ch_pref, fav_cat, sd, buyer, end_day,
    unnest(range(floor(pow(u(4, i, 1), 2.0) * CASE ch_pref WHEN 'store' THEN 3 ELSE 8 END
      * (0.5 + engage))::INTEGER)) AS s
  FROM c1
)
SELECT i, ch_pref, fav_cat, i * 1024 + s AS e,
  sd + floor(u(4, i * 1024 + s, 2) * (CASE WHEN buyer THEN least({dmax}, end_day + 60)
    ELSE least({dmax}, sd + 90) END - sd + 1))::INTEGER AS d,
  7 * 3600 + floor(u(4, i * 1024 + s, 3) * 15 * 3600)::INTEGER AS secs,
  1 + floor(u(4, i * 1024 + s, 4) * 5)::INTEGER AS nev
FROM x;
CREATE TEMP TABLE ev AS
WITH x AS (SELECT *, unnest(range(nev)) AS j FROM sess), y AS (
  SELECT i, j, e * 8 + j AS ee, fav_cat,
    ts(d, secs + j * 75 + floor(u(5, e * 8 + j, 1) * 60)::INTEGER) AS ev_at,
    CASE WHEN j = 0 THEN CASE WHEN ch_pref = 'app' AND u(5, e * 8 + j, 2) < 0.7 THEN 'app_open'
      ELSE 'page_view' END
      WHEN u(5, e * 8 + j, 2) < 0.55 THEN 'product_view' WHEN u(5, e * 8 + j, 2) < 0.75
      THEN 'page_view' WHEN u(5, e * 8 + j, 2) < 0.93 THEN 'search' ELSE 'cart_add' END AS et
  FROM x
)
SELECT i, 0 AS src, ee, ev_at, et,
  CASE WHEN et IN ('product_view', 'cart_add') THEN
    CASE WHEN u(5, ee, 3) < 0.6 THEN fav_cat ELSE {cat_any_5} END END AS cat,
  CASE WHEN et IN ('product_view', 'cart_add') THEN u(5, ee, 5) END AS up,
  CASE WHEN et = 'search' THEN floor(u(5, ee, 6) * {n_terms})::INTEGER END AS term
FROM y
UNION ALL
SELECT i, 1, abn.ee, ts(abn.d, abn.secs + abn.j * 90), CASE WHEN abn.j = 0 THEN 'product_view'
  ELSE 'cart_add' END, CASE WHEN u(10, abn.ee, 3) < 0.7 THEN abn.fav_cat ELSE {cat_any_10} END,
  u(10, abn.ee, 5), NULL
FROM (
  SELECT i, fav_cat, i * 4 + j AS ee, j, {dmax} - floor(u(10, i, 2) * 3)::INTEGER AS d,
    8 * 3600 + floor(u(10, i, 4) * 14 * 3600)::INTEGER AS secs
  FROM (SELECT i, fav_cat, unnest(range(2 + (u(10, i, 6) < 0.3)::INTEGER)) AS j FROM c1
        WHERE u(10, i, 1) < 0.012 AND ch_pref <> 'store')
) abn;
CREATE TABLE web_events AS
SELECT customer_id, event_at, event_type, product_id, search_term FROM (
  SELECT cid(ev.i) AS customer_id, ev.ev_at AS event_at, ev.et AS event_type,
    p.product_id, {terms}[ev.term + 1] AS search_term, ev.i, ev.src, ev.ee
  FROM ev LEFT JOIN prod p ON p.cat_idx = ev.cat
    AND p.idx = floor(pow(ev.up, 1.7) * {cat_count_ev})
  UNION ALL
  SELECT cid(o.i), o.ts - to_seconds(CASE WHEN l.k = 0 THEN 600 + floor(u(11, o.seq, 1) * 1200)
      ELSE 60 + floor(u(11, o.seq, 2) * 480) END::INTEGER),
    CASE WHEN l.k = 0 THEN 'product_view' ELSE 'cart_add' END, oil.product_id, NULL,
    o.i, 2, o.seq * 2 + l.k
  FROM o JOIN oil ON oil.seq = o.seq AND oil.l = 0, (VALUES (0), (1)) l(k)
  WHERE o.channel <> 'store'
)
ORDER BY event_at, i, src, ee;
DROP TABLE ev;
DROP TABLE sess;
DROP TABLE oil;
DROP TABLE o
"""

NPS = """
CREATE TABLE nps_responses AS
WITH x AS (
  SELECT i, first_day, engage, last_day,
    unnest(range(1 + (u(7, i, 2) < 0.25)::INTEGER + (u(7, i, 3) < 0.08)::INTEGER)) AS j
  FROM c1 WHERE buyer AND n_orders > 0 AND u(7, i, 1) < 0.22 AND first_day + 7 <= {dmax}
), y AS (
  SELECT x.*, first_day + 7 + floor(u(7, i * 4 + j, 4) * ({dmax} - first_day - 6))::INTEGER AS d,
    pow(u(7, i * 4 + j, 5), 1.4 - 0.8 * engage
      + CASE WHEN last_day < {dmax} - 365 THEN 0.4 ELSE 0.0 END) AS us
  FROM x
)
SELECT cid(i) AS customer_id,
  ts(d, 8 * 3600 + floor(u(7, i * 4 + j, 6) * 15 * 3600)::INTEGER) AS responded_at,
  CASE WHEN us < 0.025 THEN 0 WHEN us < 0.045 THEN 1 WHEN us < 0.07 THEN 2 WHEN us < 0.10 THEN 3
    WHEN us < 0.15 THEN 4 WHEN us < 0.22 THEN 5 WHEN us < 0.31 THEN 6 WHEN us < 0.46 THEN 7
    WHEN us < 0.66 THEN 8 WHEN us < 0.83 THEN 9 ELSE 10 END::INTEGER AS score
FROM y ORDER BY responded_at, i, j
"""

META = """
CREATE TABLE snapshot_meta AS
SELECT TIMESTAMP '{as_of}' AS as_of, 'kizuna demo generator seed={seed}' AS source
"""
