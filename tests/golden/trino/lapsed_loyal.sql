SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS c
LEFT JOIN "features" AS f
  ON "f"."customer_id" = "c"."customer_id"
WHERE
  "c"."loyalty_tier" IN ('gold', 'platinum')
  AND "f"."order_count" >= 5
  AND CAST("f"."last_order_at" AS DATE) <= CAST('2026-08-22' AS DATE)
ORDER BY
  "c"."customer_id"
