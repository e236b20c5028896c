"""The delivery job: stored reports emailed to every recipient who has not had them."""

from collections.abc import Sequence

import dagster as dg

from synapse_pipeline.delivery.deliver import deliver_report
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.lib import markdown
from synapse_pipeline.settings import MAX_RUNTIME_TAG
from synapse_pipeline.warehouse.resource import Warehouse


class DeliveryConfig(dg.Config):
    """Which stored reports to deliver, and to whom: their recipients, or one user asking for the archive."""

    report_names: list[str]
    archive_email: str = ""


def _errors(pending: dict[str, dict[str, str]]) -> dict[str, str]:
    """One row per report and recipient still pending, with the error the mail got: a table in the UI."""
    return {f"{report}: {email}": error for report, failed in pending.items() for email, error in failed.items()}


@dg.op(description="Email reports to every active recipient who has not received them; failures stay pending.")
def deliver_reports(
    context: dg.OpExecutionContext, config: DeliveryConfig, warehouse: Warehouse, mailer: Mailer
) -> None:
    pending = {}
    for name in config.report_names:
        outcome = deliver_report(
            warehouse.engine,
            mailer,
            name,
            actor=f"dagster:run {context.run_id}",
            archive_for=config.archive_email or None,
        )
        context.log.info(
            f"{outcome.report}: sent to {len(outcome.sent)}, already delivered to {len(outcome.already_delivered)}, "
            f"pending {len(outcome.failed)} ({'outbox' if mailer.uses_outbox else 'smtp'})"
        )
        if outcome.failed:
            pending[outcome.report] = outcome.failed
    if pending:
        # The first refusal in words (the server's, e.g. connection refused): the rest are in the metadata's table.
        first = next(iter(next(iter(pending.values())).items()))
        raise dg.Failure(
            description="; ".join(
                f"{report}: {len(failed)} recipient(s) still pending" for report, failed in pending.items()
            )
            + f"; a later run retries them. The mail server said, for {first[0]}: {first[1]}",
            metadata={"pending": markdown.table(_errors(pending), "report: recipient", "error")},
        )


@dg.job(
    description="Deliver reports by email (report_delivery_sensor requests one run for the new report versions).",
    tags={MAX_RUNTIME_TAG: "900"},  # SMTP timeouts are 30 s a message
)
def deliver_reports_job() -> None:
    deliver_reports()


def delivery_run_config(report_names: Sequence[str], archive_email: str = "") -> dg.RunConfig:
    """The run config of `deliver_reports_job` for these reports: the sensor's, the CLI's and the tests'."""
    config = DeliveryConfig(report_names=list(report_names), archive_email=archive_email)
    return dg.RunConfig(ops={deliver_reports.name: config})
