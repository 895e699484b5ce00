SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS c
LEFT JOIN "kz_cache"."features" AS f
  ON "f"."customer_id" = "c"."customer_id"
WHERE
  "f"."nps_last_score" >= 9
ORDER BY
  "c"."customer_id"
