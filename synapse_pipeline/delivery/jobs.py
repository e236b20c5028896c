"""The delivery job: one stored report emailed to every recipient who has not had it."""

import dagster as dg

from synapse_pipeline.delivery.deliver import deliver_report
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.warehouse.resource import Warehouse


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


def delivery_run_config(report_name: str) -> dg.RunConfig:
    """The run config of `deliver_reports_job` for one report: the sensor's, the CLI's and the tests'."""
    return dg.RunConfig(ops={deliver_reports.name: DeliveryConfig(report_name=report_name)})
