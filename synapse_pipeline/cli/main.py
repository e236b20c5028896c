"""The root of the `synapse` command: the click group that gathers every command module, and the script's
entry point (`synapse = "synapse_pipeline.cli.main:main"` in pyproject.toml)."""

import click

from synapse_pipeline.cli.data import generate_data
from synapse_pipeline.cli.reports import reports
from synapse_pipeline.cli.run import deliver, run
from synapse_pipeline.cli.users import users
from synapse_pipeline.cli.warehouse import restore_command, summary


@click.group(name="synapse")
def synapse() -> None:
    """The project's own tasks beside Dagster's CLI."""


for command in (generate_data, run, deliver, summary, reports, users, restore_command):
    synapse.add_command(command)


def main() -> None:
    """Run `synapse` on the command line's arguments; exits with the command's status."""
    synapse(prog_name="synapse")


if __name__ == "__main__":
    main()
