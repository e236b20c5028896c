"""Where things live by default, so the project runs from a clean checkout with no server and no set-up."""

import os
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # Dagster is imported where used: `synapse --help` reads these paths without waiting for it
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

UI_URL_ENV = "SYNAPSE_UI_URL"
RETRY_SECONDS_ENV = "SYNAPSE_RETRY_SECONDS"  # the wait before the first retry of a failed rebuild or report

# How often the sensors on the way from a dropped export to the mail look: each of the chain's five steps (validate,
# load, rebuild, render, deliver) waits for one look, so the interval is most of the chain's time; a look is cheap.
CHAIN_SENSOR_SECONDS = 5
OWNER = "team:dados"  # who answers for every asset, shown in the UI
CODE_LOCATION_NAME = "synapse_pipeline"  # as in workspace.yaml and [tool.dg.project]

TIMEZONE = "America/Sao_Paulo"  # the distributor's: schedules run on its clock
MAX_RUNTIME_TAG = "dagster/max_runtime"  # seconds; run monitoring ends a longer run as failed


def state_dir() -> Path:
    """The git-ignored directory holding the embedded warehouse and Dagster's local storage."""
    return Path(os.environ.get(STATE_DIR_ENV, PROJECT_ROOT / ".synapse"))


def default_data_dir() -> str:
    return str(PROJECT_ROOT / "data")


def default_database_url() -> str:
    return f"sqlite:///{state_dir() / 'synapse.db'}"


def ui_url() -> str:
    """Where the Dagster UI is reached, for the links in alert emails."""
    return (os.environ.get(UI_URL_ENV) or "http://127.0.0.1:3000").rstrip("/")


def database_url() -> str:
    """The warehouse's URL for commands run outside Dagster: SYNAPSE_DATABASE_URL, else the embedded SQLite file."""
    return os.environ.get(DATABASE_URL_ENV) or default_database_url()


def env_or_default(name: str, default: str) -> "str | dg.EnvVar":
    """`dg.EnvVar(name)` when the variable is set, else the default.

    Only the presence of the variable is read here; its value (which may hold a password) is resolved by
    Dagster at run time and never appears in config shown in the UI.
    """
    import dagster as dg

    return dg.EnvVar(name) if os.environ.get(name) else default


def env_or_default_config(name: str, default: str) -> str | dict[str, str]:
    """`env_or_default` for raw config (an executor's): `{"env": name}` when the variable is set."""
    import dagster as dg

    value = env_or_default(name, default)
    return {"env": value.env_var_name} if isinstance(value, dg.EnvVar) else value


def deployment_only(resource: "dg.ConfigurableResource", description: str) -> "dg.ResourceDefinition":
    """The resource exactly as the deployment's environment sets it, with nothing a run's config may change.

    Whoever can launch a run (anyone who reaches the UI) could otherwise point it at their own database, mail server
    or folders, with the real password: such a launch is refused ("unexpected config entry") before any run exists.
    """
    import dagster as dg

    config = {
        name: {"env": value.env_var_name} if isinstance(value, dg.EnvVar) else value
        for name in type(resource).model_fields
        if (value := getattr(resource, name)) is not None
    }
    return resource.get_resource_definition().configured(
        lambda _: config, config_schema={}, description=f"{description} Set by the deployment's environment only."
    )


# Where the root dagster.yaml puts its files; `synapse` points DAGSTER_HOME there instead (see below).
_STORAGE_KEYS = ("storage", "local_artifact_storage", "compute_logs")


def embedded_dagster_home() -> Path:
    """The default DAGSTER_HOME, `.synapse/dagster/`: the root `dagster.yaml`'s instance, written there on use.

    Its settings are the root file's; only its storage is left to default to DAGSTER_HOME, so that with
    SYNAPSE_STATE_DIR set the instance moves with the state directory.
    """
    home = state_dir() / "dagster"
    settings = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    text = yaml.safe_dump({k: v for k, v in settings.items() if k not in _STORAGE_KEYS}, sort_keys=False)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != text:
        home.mkdir(parents=True, exist_ok=True)
        config.write_text(text)
    return home
