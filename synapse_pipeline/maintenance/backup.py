"""The warehouse backup: a restorable copy of every table, taken once the loads, KPI and forecast tables and
reports are done."""

import time
from pathlib import Path

import dagster as dg

from synapse_pipeline.forecast.tables import DERIVED_TABLES
from synapse_pipeline.kpis.automation import REBUILD_AUTOMATION
from synapse_pipeline.lib import markdown
from synapse_pipeline.warehouse.backup import BackupError, backup_with_checksums, backups, kind_of
from synapse_pipeline.warehouse.resource import Warehouse

PATH_KEY = "path"
SIZE_KEY = "size_bytes"
KIND_KEY = "kind"
TABLES_KEY = "tables"
ROWS_KEY = "rows"
KEPT_KEY = "backups_kept"
WAREHOUSE_KEY = "warehouse"
SECONDS_KEY = "duration_seconds"


# The spec's loading script ends every load with a dump: after any table it copies changes, once nothing it copies
# is missing, under way or about to be rebuilt in the same tick (so a load's rebuilds land in the same backup).
BACKUP_AUTOMATION = (
    REBUILD_AUTOMATION & ~dg.AutomationCondition.any_deps_match(dg.AutomationCondition.will_be_requested())
).with_label("after every change, once the tables it copies are rebuilt; retried after a failure")


class BackupSettings(dg.ConfigurableResource):
    """Where the warehouse backups are written and how many of each kind are kept (the newest ones)."""

    directory: str
    keep: int = 7


@dg.asset(
    deps=["clientes", "estoque", "faturamento", *DERIVED_TABLES, "relatorio_mensal"],
    kinds={"postgres", "sqlite"},
    automation_condition=BACKUP_AUTOMATION,
)
def backup(warehouse: Warehouse, backup_settings: BackupSettings) -> dg.MaterializeResult:
    """A restorable copy of the whole warehouse (`synapse restore FILE`): pg_dump custom format or an SQLite file.

    Its metadata lists the rows and checksum of every table it holds, to compare with `synapse summary` after a restore.
    """
    directory = Path(backup_settings.directory)
    started = time.perf_counter()
    try:
        path, checksums = backup_with_checksums(warehouse.url, directory, backup_settings.keep, DERIVED_TABLES)
    except BackupError as error:
        raise dg.Failure(description=str(error)) from error
    seconds = time.perf_counter() - started
    table = "\n".join(f"| {name} | {rows:,} | `{sha[:16]}` |" for name, (rows, sha) in checksums.items())
    kept = [p.name for p in reversed(backups(directory, path.suffix))]
    return dg.MaterializeResult(
        metadata={
            PATH_KEY: dg.MetadataValue.path(str(path)),
            SIZE_KEY: path.stat().st_size,
            KIND_KEY: kind_of(path),
            TABLES_KEY: dg.MetadataValue.md(f"| table | rows | sha256 |\n|---|---:|---|\n{table}"),
            ROWS_KEY: sum(rows for rows, _ in checksums.values()),
            KEPT_KEY: markdown.bullets(kept),
            WAREHOUSE_KEY: warehouse.display_url,
            SECONDS_KEY: round(seconds, 3),
        }
    )
