"""Monthly partitions of the billing data, from the first month the ERP exported."""

import dagster as dg

FATURAMENTO_START = "2024-01-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FATURAMENTO_START)

# Dagster's tags for a single run over a partition range (what `--partition-range` sets).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
