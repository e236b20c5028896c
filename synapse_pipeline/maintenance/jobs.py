"""The backup job, run after the loads, KPI tables and reports."""

import dagster as dg

from synapse_pipeline.settings import MAX_RUNTIME_TAG

backup_job = dg.define_asset_job(
    "backup_job",
    selection=dg.AssetSelection.assets("backup"),
    description="Back up the warehouse (pg_dump custom format, or SQLite's online backup) and prune old backups.",
    tags={MAX_RUNTIME_TAG: "3600"},
)
