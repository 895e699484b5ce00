SELECT
  "c"."customer_id" AS "customer_id"
FROM "customers" AS c
WHERE
  MONTH("c"."birth_date") IN (11) AND "c"."line_opt_in" = TRUE
ORDER BY
  "c"."customer_id"
