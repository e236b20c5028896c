"""Monthly partitions of the billing data, from the first month the ERP exported."""

import dagster as dg

FATURAMENTO_START = "2024-01-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FATURAMENTO_START)
