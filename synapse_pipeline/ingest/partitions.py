"""Monthly partitions of the billing data, from the first month the ERP exported, and how ingest backfills run."""

from collections.abc import Iterable

import dagster as dg

FATURAMENTO_START = "2024-01-01"

# A range of months in one run (what `--partition-range` needs): the file is read, or the reports set up, once.
SINGLE_RUN = dg.BackfillPolicy.single_run()

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FATURAMENTO_START)

# Dagster's tags for a single run over a partition range (what `--partition-range` sets).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def months_of(rows_per_month: Iterable[str]) -> list[str]:
    """The monthly partitions among the months of a file (`YYYY-MM-01`), in order; months before the first dropped."""
    return sorted(set(rows_per_month) & set(monthly_partitions.get_partition_keys()))
