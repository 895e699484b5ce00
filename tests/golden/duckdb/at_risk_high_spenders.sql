SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS c
LEFT JOIN "kz_cache"."features" AS f
  ON "f"."customer_id" = "c"."customer_id"
WHERE
  "f"."lifecycle_stage" = 'at_risk' AND "f"."rfm_m" >= 4
ORDER BY
  "c"."customer_id"
