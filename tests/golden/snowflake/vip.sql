SELECT
  c.customer_id AS customer_id
FROM customers AS c
LEFT JOIN features AS f
  ON f.customer_id = c.customer_id
WHERE
  f.rfm_segment IN ('champions', 'loyal') OR c.loyalty_tier = 'platinum'
ORDER BY
  c.customer_id
