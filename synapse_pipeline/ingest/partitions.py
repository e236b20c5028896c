"""Monthly partitions of the billing data: exactly the months the exports span, added as a validated file brings them,
and how ingest backfills run."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import dagster as dg

from synapse_pipeline.lib.dates import add_months

# A range of months in one run (what `--partition-range` needs): the file is read, or the reports set up, once.
SINGLE_RUN = dg.BackfillPolicy.single_run()

# Keys `YYYY-MM-01`, from the first month an export holds to the last: an export of any history loads whole, and no
# month before or after the data shows as missing.
monthly_partitions = dg.DynamicPartitionsDefinition(name="meses")

# Dagster's tags for a single run over a partition range (what `--partition-range` sets).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def months_spanned(months: Iterable[str]) -> list[str]:
    """Every month from the first to the last of `months` (`YYYY-MM-01`), in order: what an export replaces."""
    found = sorted(set(months))
    if not found:
        return []
    first, last = date.fromisoformat(found[0]), date.fromisoformat(found[-1])
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, n).isoformat() for n in range(count)]


def month_window(keys: Sequence[str]) -> tuple[datetime, datetime]:
    """The days of a range of month keys: from the first day of the first to the first day after the last."""
    first, last = date.fromisoformat(min(keys)), date.fromisoformat(max(keys))
    return datetime.combine(first, datetime.min.time()), datetime.combine(add_months(last, 1), datetime.min.time())


def add_month_partitions(instance: dg.DagsterInstance, months: Sequence[str]) -> list[str]:
    """Make `months` partitions, those not yet made, in calendar order; the months added.

    Dagster orders a dynamic partition's keys as they were added, and a range of months must be a range of keys:
    months earlier than the last one are added by re-adding every key in order (their history is kept by key).
    """
    existing = list(instance.get_dynamic_partitions(monthly_partitions.name))
    new = sorted(set(months) - set(existing))
    if new and existing and new[0] < existing[-1]:
        for key in existing:
            instance.delete_dynamic_partition(monthly_partitions.name, key)
        instance.add_dynamic_partitions(monthly_partitions.name, sorted({*existing, *new}))
    elif new:
        instance.add_dynamic_partitions(monthly_partitions.name, new)
    return new


def described(months: Sequence[str]) -> str:
    """Months as people read them: each run of consecutive months as `2019-03 .. 2024-12`, then how many, or `none`."""
    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and add_months(date.fromisoformat(runs[-1][-1]), 1).isoformat() == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    if not runs:
        return "none"
    text = ", ".join(run[0][:7] if len(run) == 1 else f"{run[0][:7]} .. {run[-1][:7]}" for run in runs)
    return f"{text} ({len(months)} month{'s' if len(months) > 1 else ''})"
