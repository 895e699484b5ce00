SELECT
  c.customer_id AS customer_id
FROM customers AS c
WHERE
  c.customer_id IN (
    SELECT
      o.customer_id
    FROM order_items AS i
    JOIN orders AS o
      ON i.order_id = o.order_id
    LEFT JOIN products AS p
      ON i.product_id = p.product_id
    WHERE
      CAST(o.ordered_at AS DATE) BETWEEN CAST('2025-11-21' AS DATE) AND CAST('2026-11-20' AS DATE)
      AND p.category = 'skincare'
    GROUP BY
      o.customer_id
    HAVING
      COUNT(*) >= 2
  )
ORDER BY
  c.customer_id
