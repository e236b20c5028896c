"""Monthly partitions of the billing data, from the first month the ERP exported, and how ingest backfills run."""

import dagster as dg

FATURAMENTO_START = "2024-01-01"

# Every ingest asset backfills a range of partitions in one run: the file is read once for all its months.
SINGLE_RUN = dg.BackfillPolicy.single_run()

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FATURAMENTO_START)

# Dagster's tags for a single run over a partition range (what `--partition-range` sets).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
