SELECT
  `c`.`customer_id` AS `customer_id`
FROM `customers` AS c
LEFT JOIN `features` AS f
  ON `f`.`customer_id` = `c`.`customer_id`
WHERE
  `c`.`loyalty_tier` IN ('gold', 'platinum')
  AND `c`.`email_opt_in` = TRUE
  AND (
    `c`.`prefecture` IN ('東京都', '大阪府') OR `c`.`points` >= 5000
  )
  AND `c`.`customer_id` IN (
    SELECT
      `o`.`customer_id`
    FROM `order_items` AS i
    JOIN `orders` AS o
      ON `i`.`order_id` = `o`.`order_id`
    LEFT JOIN `products` AS p
      ON `i`.`product_id` = `p`.`product_id`
    WHERE
      CAST(`o`.`ordered_at` AS DATE) BETWEEN CAST('2026-05-25' AS DATE) AND CAST('2026-11-20' AS DATE)
      AND `p`.`category` = 'skincare'
    GROUP BY
      `o`.`customer_id`
    HAVING
      COUNT(*) >= 2
  )
  AND NOT EXISTS(
    SELECT
      1
    FROM `orders` AS o
    WHERE
      `o`.`customer_id` = `c`.`customer_id`
      AND CAST(`o`.`ordered_at` AS DATE) BETWEEN CAST('2026-10-22' AS DATE) AND CAST('2026-11-20' AS DATE)
  )
  AND (
    `f`.`rfm_segment` IN ('champions', 'loyal') OR `c`.`loyalty_tier` = 'platinum'
  )
ORDER BY
  `c`.`customer_id`
