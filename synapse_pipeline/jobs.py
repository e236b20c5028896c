"""Jobs: the loads (split where the partitioning differs), the KPI tables, the reports and their delivery."""

import dagster as dg

from synapse_pipeline.delivery import deliver_report
from synapse_pipeline.resources import Mailer, Warehouse

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("estoque_raw", "faturamento_raw", "clientes", "estoque"),
    description="Validate both exports, then load clientes and the estoque snapshot.",
)

faturamento_job = dg.define_asset_job(
    "faturamento_job",
    selection=dg.AssetSelection.assets("faturamento"),
    description="Load billing months; run over a partition range to load several months in one run.",
)

kpi_job = dg.define_asset_job(
    "kpi_job",
    selection=dg.AssetSelection.groups("kpis"),
    description="Rebuild every KPI table from the loaded data.",
)

relatorio_job = dg.define_asset_job(
    "relatorio_job",
    selection=dg.AssetSelection.assets("relatorio_mensal"),
    description="Render and store one month's report.",
)

backup_job = dg.define_asset_job(
    "backup_job",
    selection=dg.AssetSelection.assets("backup"),
    description="Back up the warehouse (pg_dump custom format, or SQLite's online backup) and prune old backups.",
)


class DeliveryConfig(dg.Config):
    """Which stored report to deliver."""

    report_name: str


@dg.op(description="Email one report to every active recipient who has not received it; failures stay pending.")
def deliver_reports(
    context: dg.OpExecutionContext, config: DeliveryConfig, warehouse: Warehouse, mailer: Mailer
) -> None:
    outcome = deliver_report(warehouse.engine, mailer, config.report_name, actor=f"dagster:run {context.run_id}")
    context.log.info(
        f"{outcome.report}: sent to {len(outcome.sent)}, already delivered to {len(outcome.already_delivered)}, "
        f"pending {len(outcome.failed)} ({'outbox' if mailer.uses_outbox else 'smtp'})"
    )
    if outcome.failed:
        raise dg.Failure(
            description=f"{outcome.report}: {len(outcome.failed)} recipient(s) still pending; a later run retries them",
            metadata={"sent": len(outcome.sent), "pending": dg.MetadataValue.json(outcome.failed)},
        )


@dg.job(description="Deliver one report by email (requested by report_delivery_sensor per report version).")
def deliver_reports_job() -> None:
    deliver_reports()
