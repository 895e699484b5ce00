SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS c
LEFT JOIN "kz_cache"."features" AS f
  ON "f"."customer_id" = "c"."customer_id"
WHERE
  "f"."order_count" = 1
  AND CAST("f"."first_order_at" AS DATE) BETWEEN CAST('2026-10-22' AS DATE) AND CAST('2026-11-20' AS DATE)
ORDER BY
  "c"."customer_id"
