-- Derived customer features, one row per customer, as of the calendar day :as_of.
-- Reads the kz_* views (the snapshot's tables under Kizuna's logical names, after mapping).
-- Everything after :as_of is ignored so a backtest sees the data as it was that day.
-- No ORDER BY: a table's row order means nothing, and sorting 1M wide rows is most of the
-- build's memory.
WITH ord AS (
    SELECT customer_id, ordered_at, total
    FROM kz_orders
    WHERE CAST(ordered_at AS DATE) <= :as_of
),
ord_agg AS (
    SELECT customer_id,
           count(*) AS order_count,
           count(DISTINCT CAST(ordered_at AS DATE)) AS purchase_days,
           sum(total) AS total_spend,
           min(ordered_at) AS first_order_at,
           max(ordered_at) AS last_order_at
    FROM ord
    GROUP BY customer_id
),
rfm AS (
    -- quintile scores among buyers; cume_dist gives equal values equal scores
    SELECT customer_id,
           6 - CAST(ceil(5 * cume_dist() OVER (ORDER BY last_day DESC)) AS INTEGER) AS rfm_r,
           6 - CAST(ceil(5 * cume_dist() OVER (ORDER BY order_count DESC)) AS INTEGER) AS rfm_f,
           6 - CAST(ceil(5 * cume_dist() OVER (ORDER BY total_spend DESC)) AS INTEGER) AS rfm_m
    FROM (SELECT customer_id, order_count, total_spend, CAST(last_order_at AS DATE) AS last_day
          FROM ord_agg)
),
msg AS (
    SELECT customer_id,
           count(*) FILTER (WHERE CAST(sent_at AS DATE) > :as_of - 7) AS contacts_7d,
           count(*) FILTER (WHERE CAST(sent_at AS DATE) > :as_of - 30) AS contacts_30d,
           max(sent_at) AS last_contacted_at,
           count(*) FILTER (WHERE channel = 'email' AND CAST(sent_at AS DATE) > :as_of - 90)
               AS email_sent_90d,
           count(*) FILTER (WHERE channel = 'email' AND CAST(sent_at AS DATE) > :as_of - 90
                            AND opened_at IS NOT NULL AND CAST(opened_at AS DATE) <= :as_of)
               AS email_opened_90d
    FROM kz_messages
    WHERE CAST(sent_at AS DATE) <= :as_of
    GROUP BY customer_id
),
nps AS (
    SELECT customer_id, arg_max(score, responded_at) AS nps_last_score
    FROM kz_nps_responses
    WHERE CAST(responded_at AS DATE) <= :as_of
    GROUP BY customer_id
),
cat_qty AS (
    SELECT o.customer_id, p.category, sum(i.quantity) AS qty
    FROM kz_order_items AS i
    JOIN kz_orders AS o ON i.order_id = o.order_id
    JOIN kz_products AS p ON i.product_id = p.product_id
    WHERE CAST(o.ordered_at AS DATE) <= :as_of AND p.category IS NOT NULL
    GROUP BY o.customer_id, p.category
),
favorite AS (
    -- the largest quantity, then the first category (by name) with it (no sort needed)
    SELECT q.customer_id, min(q.category) AS favorite_category
    FROM cat_qty AS q
    JOIN (SELECT customer_id, max(qty) AS top FROM cat_qty GROUP BY customer_id) AS t
      ON t.customer_id = q.customer_id AND q.qty = t.top
    GROUP BY q.customer_id
),
buyer_set AS (
    -- each buyer's set of categories as one key (a sorted list; a sorted string elsewhere):
    -- next-best depends only on that set, and there are far fewer sets than buyers, so the
    -- scores below are computed once per set
    SELECT customer_id, list_sort(list(category)) AS cat_set
    FROM cat_qty
    GROUP BY customer_id
),
set_cat AS (
    -- the categories of each set (read off one buyer who has it) and how many buyers have it
    SELECT s.cat_set, q.category, s.buyers
    FROM (SELECT cat_set, min(customer_id) AS buyer, count(*) AS buyers
          FROM buyer_set GROUP BY cat_set) AS s
    JOIN cat_qty AS q ON q.customer_id = s.buyer
),
cooc AS (
    -- how many customers bought both categories a and b
    SELECT a.category AS cat_a, b.category AS cat_b, sum(a.buyers) AS n
    FROM set_cat AS a
    JOIN set_cat AS b ON a.cat_set = b.cat_set AND a.category <> b.category
    GROUP BY a.category, b.category
),
nbc_scores AS (
    -- per set, each category outside it scored by its co-occurrence with the set's categories
    SELECT x.cat_set, co.cat_b AS category, sum(co.n) AS score
    FROM set_cat AS x
    JOIN cooc AS co ON co.cat_a = x.category
    WHERE NOT EXISTS (SELECT 1 FROM set_cat AS y
                      WHERE y.cat_set = x.cat_set AND y.category = co.cat_b)
    GROUP BY x.cat_set, co.cat_b
),
nbc_set AS (
    -- the best score per set, then the first category (by name) with that score:
    -- the same answer as row_number() OVER (ORDER BY score DESC, category), without a sort
    SELECT s.cat_set, min(s.category) AS next_best_category
    FROM nbc_scores AS s
    JOIN (SELECT cat_set, max(score) AS best FROM nbc_scores GROUP BY cat_set) AS b
      ON b.cat_set = s.cat_set AND s.score = b.best
    GROUP BY s.cat_set
),
nbc AS (
    SELECT c.customer_id, n.next_best_category
    FROM buyer_set AS c
    JOIN nbc_set AS n ON n.cat_set = c.cat_set
),
popular AS (
    SELECT category FROM cat_qty GROUP BY category ORDER BY count(*) DESC, category LIMIT 1
)
SELECT c.customer_id,
       coalesce(o.order_count, 0) AS order_count,
       coalesce(o.purchase_days, 0) AS purchase_days,
       coalesce(o.total_spend, 0) AS total_spend,
       o.first_order_at,
       o.last_order_at,
       :as_of - CAST(o.last_order_at AS DATE) AS recency_days,
       CASE WHEN o.order_count > 0 THEN o.total_spend / o.order_count END AS avg_order_value,
       year(:as_of) - year(c.birth_date)
           - CASE WHEN month(:as_of) * 100 + day(:as_of) < month(c.birth_date) * 100 + day(c.birth_date)
                  THEN 1 ELSE 0 END AS age,
       r.rfm_r, r.rfm_f, r.rfm_m,
       CASE WHEN r.rfm_r IS NULL THEN NULL
            WHEN r.rfm_r >= 4 AND r.rfm_f >= 4 THEN 'champions'
            WHEN r.rfm_r >= 3 AND r.rfm_f >= 3 THEN 'loyal'
            WHEN r.rfm_r >= 4 AND o.order_count = 1 THEN 'new'
            WHEN r.rfm_r >= 4 THEN 'potential_loyalist'
            WHEN r.rfm_r = 3 THEN 'need_attention'
            WHEN r.rfm_f >= 4 THEN 'cant_lose'
            WHEN r.rfm_f >= 3 THEN 'at_risk'
            WHEN r.rfm_r = 2 THEN 'hibernating'
            ELSE 'lost' END AS rfm_segment,
       CASE WHEN o.order_count IS NULL THEN 'prospect'
            WHEN :as_of - CAST(o.first_order_at AS DATE) < 30 THEN 'new'
            WHEN :as_of - CAST(o.last_order_at AS DATE) <= 90 THEN 'active'
            WHEN :as_of - CAST(o.last_order_at AS DATE) <= 180 THEN 'at_risk'
            WHEN :as_of - CAST(o.last_order_at AS DATE) <= 365 THEN 'dormant'
            ELSE 'churned' END AS lifecycle_stage,
       coalesce(m.contacts_7d, 0) AS contacts_7d,
       coalesce(m.contacts_30d, 0) AS contacts_30d,
       m.last_contacted_at,
       n.nps_last_score,
       CASE WHEN n.nps_last_score >= 9 THEN 'promoter'
            WHEN n.nps_last_score >= 7 THEN 'passive'
            WHEN n.nps_last_score IS NOT NULL THEN 'detractor' END AS nps_category,
       fav.favorite_category,
       CASE WHEN m.email_sent_90d > 0 THEN round(m.email_opened_90d / m.email_sent_90d, 4) END
           AS email_open_rate_90d,
       CASE WHEN o.order_count IS NULL THEN (SELECT category FROM popular)
            ELSE nbc.next_best_category END AS next_best_category
FROM kz_customers AS c
LEFT JOIN ord_agg AS o ON o.customer_id = c.customer_id
LEFT JOIN rfm AS r ON r.customer_id = c.customer_id
LEFT JOIN msg AS m ON m.customer_id = c.customer_id
LEFT JOIN nps AS n ON n.customer_id = c.customer_id
LEFT JOIN favorite AS fav ON fav.customer_id = c.customer_id
LEFT JOIN nbc ON nbc.customer_id = c.customer_id
