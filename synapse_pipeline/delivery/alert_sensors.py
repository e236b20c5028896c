"""The sensors that tell the admins: a failed run, an overdue export or report (once each)."""

import json

import dagster as dg

from synapse_pipeline.delivery.alerts import first_lines, run_failure_text, send_alert, step_failure_text
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.kpis.automation import automation_sensor
from synapse_pipeline.reports.sensors import stale_reports_sensor
from synapse_pipeline.settings import ui_url
from synapse_pipeline.warehouse.resource import Warehouse

SENSOR_TAG = "dagster/sensor_name"  # the sensor that asked for a run
# What happens next without anyone's help, for the runs the automation asks for: the admin knows whether to wait.
RETRIED_BY = dict.fromkeys(
    [automation_sensor.name, stale_reports_sensor.name],
    "It is tried again by itself once its cause is gone: 5 minutes after the failure, then after a wait that "
    "doubles with each failure in a row (at most 6 hours), with no new export needed.\n\n",
)


def _failure_text(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    """The failed steps and the start of their errors (the run's own message when no step failed)."""
    steps, errors = [], []
    for event in context.get_step_failure_events():
        steps.append(event.step_key or "?")
        errors.append(f"{event.step_key}: {step_failure_text(event)}")
    run_error = run_failure_text(context.failure_event) or context.failure_event.message or ""
    return ", ".join(steps) or "(no step: the run itself)", "\n\n".join(errors) or run_error


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails every active admin once per failed run: the job, the failed step, the error, a link.",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, warehouse: Warehouse, mailer: Mailer) -> None:
    """Email every active admin once per failed run: the job, the failed step, the error's first lines, a link."""
    run = context.dagster_run
    steps, error = _failure_text(context)
    retried = RETRIED_BY.get(run.tags.get(SENSOR_TAG, ""), "")
    body = (
        f"The run {run.run_id} of {run.job_name} failed.\n\n"
        f"Failed step: {steps}\n\n{first_lines(error)}\n\n{retried}"
        f"The run in the Dagster UI: {ui_url()}/runs/{run.run_id}\n"
    )
    subject = f"{run.job_name} failed ({steps})"
    sent = send_alert(warehouse.engine, mailer, name=f"falha-{run.run_id}", subject=subject, body=body)
    context.log.info(f"alert for run {run.run_id} sent to {sent or 'nobody: there is no active admin'}")


def _deadline(policy: dg.FreshnessPolicy) -> str:
    """The policy in words: Synapse's are cron deadlines (`FreshnessPolicy.cron`)."""
    cron = getattr(policy, "deadline_cron", None)
    if cron is None:
        return "it missed its freshness policy"
    window = getattr(policy, "lower_bound_delta", None)
    return (
        f"it must be updated by each tick of '{cron}' ({getattr(policy, 'timezone', 'UTC')}), within {window} before it"
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Emails every active admin once when an export or a report misses its freshness deadline.",
)
def overdue_alert_sensor(context: dg.SensorEvaluationContext, warehouse: Warehouse, mailer: Mailer) -> dg.SensorResult:
    """Email every active admin once when an asset with a freshness policy is overdue (an export, a report).

    The freshness daemon keeps each asset's state; the cursor keeps the overdue ones already told, until they pass.
    """
    graph = context.repository_def.asset_graph  # type: ignore[union-attr]
    watched = [key for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy is not None]
    told: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    for key, record in context.instance.get_freshness_state_records(watched).items():
        asset = key.to_user_string()
        if record.freshness_state.value != "FAIL":
            told.pop(asset, None)
        elif asset not in told:
            body = (
                f"{asset} is overdue: {_deadline(graph.get(key).freshness_policy)}.\n\n"
                f"The asset in the Dagster UI: {ui_url()}/assets/{asset}\n"
            )
            name = f"atraso-{asset}-{record.updated_at:%Y%m%dT%H%M%S}"
            send_alert(warehouse.engine, mailer, name=name, subject=f"{asset} is overdue", body=body)
            told[asset] = record.updated_at.isoformat()
    return dg.SensorResult(cursor=json.dumps(told, sort_keys=True))
