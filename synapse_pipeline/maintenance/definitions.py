"""Maintenance's definitions: the backup asset, its job and where backups go."""

import os

import dagster as dg

from synapse_pipeline.maintenance import backup
from synapse_pipeline.maintenance.backup import BackupSettings
from synapse_pipeline.maintenance.jobs import backup_job
from synapse_pipeline.settings import BACKUP_DIR_ENV, BACKUP_KEEP_ENV, deployment_only, env_or_default, state_dir

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([backup], group_name="maintenance"),
    jobs=[backup_job],
    resources={
        "backup_settings": deployment_only(
            BackupSettings(
                directory=env_or_default(BACKUP_DIR_ENV, str(state_dir() / "backups")),
                keep=int(os.environ.get(BACKUP_KEEP_ENV) or 7),
            ),
            f"Where the warehouse backups go ({BACKUP_DIR_ENV}) and how many are kept ({BACKUP_KEEP_ENV}).",
        ),
    },
)
