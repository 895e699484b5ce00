SELECT
  `c`.`customer_id` AS `customer_id`
FROM `customers` AS c
WHERE
  (
    EXTRACT(MONTH FROM `c`.`birth_date`) * 100 + EXTRACT(DAY FROM `c`.`birth_date`)
  ) IN (1120, 1121, 1122, 1123, 1124, 1125, 1126)
ORDER BY
  `c`.`customer_id`
