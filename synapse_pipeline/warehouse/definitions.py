"""The warehouse's definitions: the `Warehouse` resource every stage writes through."""

import dagster as dg

from synapse_pipeline.settings import DATABASE_URL_ENV, default_database_url, deployment_only, env_or_default
from synapse_pipeline.warehouse.resource import Warehouse

defs = dg.Definitions(
    resources={
        "warehouse": deployment_only(
            Warehouse(url=env_or_default(DATABASE_URL_ENV, default_database_url())),
            f"The BI warehouse: {DATABASE_URL_ENV}, else the embedded SQLite file.",
        )
    }
)
