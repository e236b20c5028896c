"""The backup job, run after the loads, KPI tables and reports."""

import dagster as dg

backup_job = dg.define_asset_job(
    "backup_job",
    selection=dg.AssetSelection.assets("backup"),
    description="Back up the warehouse (pg_dump custom format, or SQLite's online backup) and prune old backups.",
)
