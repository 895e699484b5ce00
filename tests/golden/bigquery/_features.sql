WITH kz_customers AS (
  SELECT
    `t`.`customer_id` AS `customer_id`,
    `t`.`email` AS `email`,
    `t`.`phone` AS `phone`,
    `t`.`line_user_id` AS `line_user_id`,
    `t`.`family_name` AS `family_name`,
    `t`.`given_name` AS `given_name`,
    `t`.`gender` AS `gender`,
    `t`.`birth_date` AS `birth_date`,
    `t`.`prefecture` AS `prefecture`,
    `t`.`signup_at` AS `signup_at`,
    `t`.`signup_channel` AS `signup_channel`,
    `t`.`loyalty_tier` AS `loyalty_tier`,
    `t`.`points` AS `points`,
    `t`.`email_opt_in` AS `email_opt_in`,
    `t`.`sms_opt_in` AS `sms_opt_in`,
    `t`.`line_opt_in` AS `line_opt_in`,
    `t`.`preferred_channel` AS `preferred_channel`
  FROM `customers` AS t
), kz_orders AS (
  SELECT
    `t`.`order_id` AS `order_id`,
    `t`.`customer_id` AS `customer_id`,
    `t`.`ordered_at` AS `ordered_at`,
    `t`.`channel` AS `channel`,
    `t`.`total` AS `total`,
    `t`.`coupon_code` AS `coupon_code`
  FROM `orders` AS t
), kz_order_items AS (
  SELECT
    `t`.`order_id` AS `order_id`,
    `t`.`product_id` AS `product_id`,
    `t`.`quantity` AS `quantity`,
    `t`.`unit_price` AS `unit_price`
  FROM `order_items` AS t
), kz_products AS (
  SELECT
    `t`.`product_id` AS `product_id`,
    `t`.`name` AS `name`,
    `t`.`category` AS `category`,
    `t`.`brand` AS `brand`,
    `t`.`price` AS `price`
  FROM `products` AS t
), kz_messages AS (
  SELECT
    `t`.`message_id` AS `message_id`,
    `t`.`customer_id` AS `customer_id`,
    `t`.`campaign_id` AS `campaign_id`,
    `t`.`channel` AS `channel`,
    `t`.`sent_at` AS `sent_at`,
    `t`.`opened_at` AS `opened_at`,
    `t`.`clicked_at` AS `clicked_at`
  FROM `messages` AS t
), kz_nps_responses AS (
  SELECT
    `t`.`customer_id` AS `customer_id`,
    `t`.`responded_at` AS `responded_at`,
    `t`.`score` AS `score`
  FROM `nps_responses` AS t
), kz_f_ord AS (
  SELECT
    customer_id,
    ordered_at,
    total
  FROM kz_orders
  WHERE
    CAST(ordered_at AS DATE) <= CAST('2026-11-20' AS DATE)
), kz_f_ord_agg AS (
  SELECT
    customer_id,
    COUNT(*) AS order_count,
    COUNT(DISTINCT CAST(ordered_at AS DATE)) AS purchase_days,
    SUM(total) AS total_spend,
    MIN(ordered_at) AS first_order_at,
    MAX(ordered_at) AS last_order_at
  FROM kz_f_ord AS ord
  GROUP BY
    customer_id
), kz_f_rfm AS (
  SELECT
    customer_id,
    6 - CAST(CEIL(5 * CUME_DIST() OVER (ORDER BY last_day DESC)) AS INT64) AS rfm_r,
    6 - CAST(CEIL(5 * CUME_DIST() OVER (ORDER BY order_count DESC)) AS INT64) AS rfm_f,
    6 - CAST(CEIL(5 * CUME_DIST() OVER (ORDER BY total_spend DESC)) AS INT64) AS rfm_m
  FROM (
    SELECT
      customer_id,
      order_count,
      total_spend,
      CAST(last_order_at AS DATE) AS last_day
    FROM kz_f_ord_agg AS ord_agg
  ) AS kz_d1
), kz_f_msg AS (
  SELECT
    customer_id,
    COUNT(CASE WHEN CAST(sent_at AS DATE) > CAST('2026-11-13' AS DATE) THEN 1 END) AS contacts_7d,
    COUNT(CASE WHEN CAST(sent_at AS DATE) > CAST('2026-10-21' AS DATE) THEN 1 END) AS contacts_30d,
    MAX(sent_at) AS last_contacted_at,
    COUNT(
      CASE
        WHEN channel = 'email' AND CAST(sent_at AS DATE) > CAST('2026-08-22' AS DATE)
        THEN 1
      END
    ) AS email_sent_90d,
    COUNT(
      CASE
        WHEN channel = 'email'
        AND CAST(sent_at AS DATE) > CAST('2026-08-22' AS DATE)
        AND NOT opened_at IS NULL
        AND CAST(opened_at AS DATE) <= CAST('2026-11-20' AS DATE)
        THEN 1
      END
    ) AS email_opened_90d
  FROM kz_messages
  WHERE
    CAST(sent_at AS DATE) <= CAST('2026-11-20' AS DATE)
  GROUP BY
    customer_id
), kz_f_nps AS (
  SELECT
    customer_id,
    MAX_BY(score, responded_at) AS nps_last_score
  FROM kz_nps_responses
  WHERE
    CAST(responded_at AS DATE) <= CAST('2026-11-20' AS DATE)
  GROUP BY
    customer_id
), kz_f_cat_qty AS (
  SELECT
    o.customer_id,
    p.category,
    SUM(i.quantity) AS qty
  FROM kz_order_items AS i
  JOIN kz_orders AS o
    ON i.order_id = o.order_id
  JOIN kz_products AS p
    ON i.product_id = p.product_id
  WHERE
    CAST(o.ordered_at AS DATE) <= CAST('2026-11-20' AS DATE)
    AND NOT p.category IS NULL
  GROUP BY
    o.customer_id,
    p.category
), kz_f_favorite AS (
  SELECT
    q.customer_id,
    MIN(q.category) AS favorite_category
  FROM kz_f_cat_qty AS q
  JOIN (
    SELECT
      customer_id,
      MAX(qty) AS top
    FROM kz_f_cat_qty AS cat_qty
    GROUP BY
      customer_id
  ) AS t
    ON t.customer_id = q.customer_id AND q.qty = t.top
  GROUP BY
    q.customer_id
), kz_f_buyer_set AS (
  SELECT
    customer_id,
    STRING_AGG(CAST(LENGTH(category) AS STRING) || ':' || category, ''
    ORDER BY
      category) AS cat_set
  FROM kz_f_cat_qty AS cat_qty
  GROUP BY
    customer_id
), kz_f_set_cat AS (
  SELECT
    s.cat_set,
    q.category,
    s.buyers
  FROM (
    SELECT
      cat_set,
      MIN(customer_id) AS buyer,
      COUNT(*) AS buyers
    FROM kz_f_buyer_set AS buyer_set
    GROUP BY
      cat_set
  ) AS s
  JOIN kz_f_cat_qty AS q
    ON q.customer_id = s.buyer
), kz_f_cooc AS (
  SELECT
    a.category AS cat_a,
    b.category AS cat_b,
    SUM(a.buyers) AS n
  FROM kz_f_set_cat AS a
  JOIN kz_f_set_cat AS b
    ON a.cat_set = b.cat_set AND a.category <> b.category
  GROUP BY
    a.category,
    b.category
), kz_f_nbc_scores AS (
  SELECT
    x.cat_set,
    co.cat_b AS category,
    SUM(co.n) AS score
  FROM kz_f_set_cat AS x
  JOIN kz_f_cooc AS co
    ON co.cat_a = x.category
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM kz_f_set_cat AS y
      WHERE
        y.cat_set = x.cat_set AND y.category = co.cat_b
    )
  GROUP BY
    x.cat_set,
    co.cat_b
), kz_f_nbc_set AS (
  SELECT
    s.cat_set,
    MIN(s.category) AS next_best_category
  FROM kz_f_nbc_scores AS s
  JOIN (
    SELECT
      cat_set,
      MAX(score) AS best
    FROM kz_f_nbc_scores AS nbc_scores
    GROUP BY
      cat_set
  ) AS b
    ON b.cat_set = s.cat_set AND s.score = b.best
  GROUP BY
    s.cat_set
), kz_f_nbc AS (
  SELECT
    c.customer_id,
    n.next_best_category
  FROM kz_f_buyer_set AS c
  JOIN kz_f_nbc_set AS n
    ON n.cat_set = c.cat_set
), kz_f_popular AS (
  SELECT
    category
  FROM kz_f_cat_qty AS cat_qty
  GROUP BY
    category
  ORDER BY
    COUNT(*) DESC,
    category NULLS LAST
  LIMIT 1
)
SELECT
  c.customer_id,
  COALESCE(o.order_count, 0) AS order_count,
  COALESCE(o.purchase_days, 0) AS purchase_days,
  COALESCE(o.total_spend, 0) AS total_spend,
  o.first_order_at,
  o.last_order_at,
  DATE_DIFF(CAST('2026-11-20' AS DATE), CAST(o.last_order_at AS DATE), DAY) AS recency_days,
  CASE WHEN o.order_count > 0 THEN o.total_spend / o.order_count END AS avg_order_value,
  EXTRACT(YEAR FROM CAST('2026-11-20' AS DATE)) - EXTRACT(YEAR FROM c.birth_date) - CASE
    WHEN EXTRACT(MONTH FROM CAST('2026-11-20' AS DATE)) * 100 + EXTRACT(DAY FROM CAST('2026-11-20' AS DATE)) < EXTRACT(MONTH FROM c.birth_date) * 100 + EXTRACT(DAY FROM c.birth_date)
    THEN 1
    ELSE 0
  END AS age,
  r.rfm_r,
  r.rfm_f,
  r.rfm_m,
  CASE
    WHEN r.rfm_r IS NULL
    THEN NULL
    WHEN r.rfm_r >= 4 AND r.rfm_f >= 4
    THEN 'champions'
    WHEN r.rfm_r >= 3 AND r.rfm_f >= 3
    THEN 'loyal'
    WHEN r.rfm_r >= 4 AND o.order_count = 1
    THEN 'new'
    WHEN r.rfm_r >= 4
    THEN 'potential_loyalist'
    WHEN r.rfm_r = 3
    THEN 'need_attention'
    WHEN r.rfm_f >= 4
    THEN 'cant_lose'
    WHEN r.rfm_f >= 3
    THEN 'at_risk'
    WHEN r.rfm_r = 2
    THEN 'hibernating'
    ELSE 'lost'
  END AS rfm_segment,
  CASE
    WHEN o.order_count IS NULL
    THEN 'prospect'
    WHEN DATE_DIFF(CAST('2026-11-20' AS DATE), CAST(o.first_order_at AS DATE), DAY) < 30
    THEN 'new'
    WHEN DATE_DIFF(CAST('2026-11-20' AS DATE), CAST(o.last_order_at AS DATE), DAY) <= 90
    THEN 'active'
    WHEN DATE_DIFF(CAST('2026-11-20' AS DATE), CAST(o.last_order_at AS DATE), DAY) <= 180
    THEN 'at_risk'
    WHEN DATE_DIFF(CAST('2026-11-20' AS DATE), CAST(o.last_order_at AS DATE), DAY) <= 365
    THEN 'dormant'
    ELSE 'churned'
  END AS lifecycle_stage,
  COALESCE(m.contacts_7d, 0) AS contacts_7d,
  COALESCE(m.contacts_30d, 0) AS contacts_30d,
  m.last_contacted_at,
  n.nps_last_score,
  CASE
    WHEN n.nps_last_score >= 9
    THEN 'promoter'
    WHEN n.nps_last_score >= 7
    THEN 'passive'
    WHEN NOT n.nps_last_score IS NULL
    THEN 'detractor'
  END AS nps_category,
  fav.favorite_category,
  CASE
    WHEN m.email_sent_90d > 0
    THEN ROUND(m.email_opened_90d / m.email_sent_90d, 4)
  END AS email_open_rate_90d,
  CASE
    WHEN o.order_count IS NULL
    THEN (
      SELECT
        category
      FROM kz_f_popular AS popular
    )
    ELSE nbc.next_best_category
  END AS next_best_category
FROM kz_customers AS c
LEFT JOIN kz_f_ord_agg AS o
  ON o.customer_id = c.customer_id
LEFT JOIN kz_f_rfm AS r
  ON r.customer_id = c.customer_id
LEFT JOIN kz_f_msg AS m
  ON m.customer_id = c.customer_id
LEFT JOIN kz_f_nps AS n
  ON n.customer_id = c.customer_id
LEFT JOIN kz_f_favorite AS fav
  ON fav.customer_id = c.customer_id
LEFT JOIN kz_f_nbc AS nbc
  ON nbc.customer_id = c.customer_id
