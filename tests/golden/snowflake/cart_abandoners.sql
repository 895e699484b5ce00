SELECT
  c.customer_id AS customer_id
FROM customers AS c
WHERE
  c.customer_id IN (
    SELECT
      w.customer_id
    FROM web_events AS w
    WHERE
      CAST(w.event_at AS DATE) BETWEEN CAST('2026-11-18' AS DATE) AND CAST('2026-11-20' AS DATE)
      AND w.event_type = 'cart_add'
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM orders AS o
    WHERE
      o.customer_id = c.customer_id
      AND CAST(o.ordered_at AS DATE) BETWEEN CAST('2026-11-18' AS DATE) AND CAST('2026-11-20' AS DATE)
  )
  AND NOT c.phone IS NULL
ORDER BY
  c.customer_id
