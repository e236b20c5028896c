"""Delivery's definitions: the delivery job and its sensor, the alerts to the admins, and the mailer."""

import os

import dagster as dg

from synapse_pipeline.delivery.alert_sensors import overdue_alert_sensor, run_failure_alert_sensor
from synapse_pipeline.delivery.jobs import deliver_reports_job
from synapse_pipeline.delivery.mailer import Mailer
from synapse_pipeline.delivery.sensors import report_delivery_sensor
from synapse_pipeline.settings import (
    OUTBOX_DIR_ENV,
    SMTP_HOST_ENV,
    SMTP_PASSWORD_ENV,
    SMTP_PORT_ENV,
    SMTP_SENDER_ENV,
    SMTP_STARTTLS_ENV,
    SMTP_USER_ENV,
    deployment_only,
    env_or_default,
    state_dir,
)

defs = dg.Definitions(
    jobs=[deliver_reports_job],
    sensors=[report_delivery_sensor, run_failure_alert_sensor, overdue_alert_sensor],
    resources={
        "mailer": deployment_only(
            Mailer(
                host=env_or_default(SMTP_HOST_ENV, ""),
                port=int(os.environ.get(SMTP_PORT_ENV) or 587),
                username=env_or_default(SMTP_USER_ENV, ""),
                password=env_or_default(SMTP_PASSWORD_ENV, ""),
                starttls=os.environ.get(SMTP_STARTTLS_ENV, "true").lower() not in ("0", "false", "no", "off"),
                sender=env_or_default(SMTP_SENDER_ENV, "synapse@localhost"),
                outbox_dir=env_or_default(OUTBOX_DIR_ENV, str(state_dir() / "outbox")),
            ),
            f"The report and alert mail: SMTP from {SMTP_HOST_ENV}, {SMTP_PORT_ENV}, {SMTP_USER_ENV} and "
            f"{SMTP_PASSWORD_ENV}, else .eml files in {OUTBOX_DIR_ENV}.",
        ),
    },
)
