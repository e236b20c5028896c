"""Where things live by default, so the project runs from a clean checkout with no server and no set-up."""

import os
from pathlib import Path

import dagster as dg

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"

DATA_DIR_ENV = "SYNAPSE_DATA_DIR"
DATABASE_URL_ENV = "SYNAPSE_DATABASE_URL"
STATE_DIR_ENV = "SYNAPSE_STATE_DIR"
OUTBOX_DIR_ENV = "SYNAPSE_OUTBOX_DIR"
BACKUP_DIR_ENV = "SYNAPSE_BACKUP_DIR"
BACKUP_KEEP_ENV = "SYNAPSE_BACKUP_KEEP"
SMTP_HOST_ENV = "SYNAPSE_SMTP_HOST"
SMTP_PORT_ENV = "SYNAPSE_SMTP_PORT"
SMTP_USER_ENV = "SYNAPSE_SMTP_USER"
SMTP_PASSWORD_ENV = "SYNAPSE_SMTP_PASSWORD"
SMTP_STARTTLS_ENV = "SYNAPSE_SMTP_STARTTLS"
SMTP_SENDER_ENV = "SYNAPSE_SMTP_SENDER"

TIMEZONE = "America/Sao_Paulo"  # the distributor's: schedules run on its clock


def state_dir() -> Path:
    """The git-ignored directory holding the embedded warehouse and Dagster's local storage."""
    return Path(os.environ.get(STATE_DIR_ENV, PROJECT_ROOT / ".synapse"))


def default_data_dir() -> str:
    return str(PROJECT_ROOT / "data")


def default_database_url() -> str:
    return f"sqlite:///{state_dir() / 'synapse.db'}"


def database_url() -> str:
    """The warehouse's URL for commands run outside Dagster: SYNAPSE_DATABASE_URL, else the embedded SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or default_database_url()


def env_or_default(name: str, default: str) -> str | dg.EnvVar:
    """`dg.EnvVar(name)` when the variable is set, else the default.

    Only the presence of the variable is read here; its value (which may hold a password) is resolved by
    Dagster at run time and never appears in config shown in the UI.
    """
    return dg.EnvVar(name) if os.environ.get(name) else default


def env_or_default_config(name: str, default: str) -> str | dict[str, str]:
    """`env_or_default` for raw config (an executor's): `{"env": name}` when the variable is set."""
    value = env_or_default(name, default)
    return {"env": value.env_var_name} if isinstance(value, dg.EnvVar) else value


EMBEDDED_INSTANCE_YAML = """\
# Embedded Dagster instance written by `synapse`: runs, events and schedule ticks in SQLite files here.
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 3
run_retries:
  enabled: true
telemetry:
  enabled: false
"""


def embedded_dagster_home() -> Path:
    """The default DAGSTER_HOME, `.synapse/dagster/`, created with its dagster.yaml on first use."""
    home = state_dir() / "dagster"
    config = home / "dagster.yaml"
    if not config.exists():
        home.mkdir(parents=True, exist_ok=True)
        config.write_text(EMBEDDED_INSTANCE_YAML)
    return home
