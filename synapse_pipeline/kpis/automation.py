"""Declarative automation: the KPI tables rebuilt after every load, by a sensor that is on from the start.

Declared here with its default status RUNNING, so that a fresh instance keeps the tables up to date by itself.
"""

import dagster as dg

# Dagster's eager: after any input changes, once none is missing or being materialized. The months of faturamento
# are those the exports hold, so a month still to load holds the tables back until it is loaded.
KPI_AUTOMATION = dg.AutomationCondition.eager()

automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    emit_backfills=False,  # runs at once, not backfills waiting for the backfill daemon's next pass
    description="Rebuilds every asset whose automation condition asks for it (the eager KPI tables after a load).",
)
