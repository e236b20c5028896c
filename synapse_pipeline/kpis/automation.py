"""Declarative automation: the KPI tables rebuilt after every load, by a sensor that is on from the start.

Declared here with its default status RUNNING, so that a fresh instance keeps the tables up to date by itself.
"""

import dagster as dg

# Dagster's eager, except that months of faturamento not billed yet (every month up to today is a partition) do not
# count as missing inputs: with them, plain eager waits forever and the tables are never built.
KPI_AUTOMATION = (
    dg.AutomationCondition.eager()
    .replace(
        "any_deps_missing",
        dg.AutomationCondition.any_deps_missing().ignore(dg.AssetSelection.assets("faturamento")),
    )
    .with_label("eager (unbilled months of faturamento are not missing)")
)

automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    emit_backfills=False,  # runs at once, not backfills waiting for the backfill daemon's next pass
    description="Rebuilds every asset whose automation condition asks for it (the eager KPI tables after a load).",
)
