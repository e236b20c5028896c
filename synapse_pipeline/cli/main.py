"""The root of the `synapse` command: the click group that gathers every command module, and the script's
entry point (`synapse = "synapse_pipeline.cli.main:main"` in pyproject.toml).

A command's module is imported only when that command runs or its help is shown, and the modules import Dagster,
pandas and the pipeline inside their commands: `synapse --help` and a command's start take a fraction of a second
instead of the seconds those imports take.
"""

import importlib
import traceback
from typing import Any

import click

from synapse_pipeline.cli.errors import VERBOSE, explanation, fail, remember_verbose

# What click itself reports and ends with: its usage errors (status 2), `fail`'s exit, Ctrl-C, a closed pipe.
CLICK_HANDLES = (click.exceptions.Exit, click.ClickException, click.Abort, EOFError, BrokenPipeError)

# Each command's name, the module and attribute that define it, and its line in `synapse --help`.
COMMANDS = {
    "db": ("db", "db", "The warehouse's schema revision (Alembic migrations)."),
    "deliver": ("run", "deliver", "Email the reports to every recipient who has not had them."),
    "generate-data": ("data", "generate_data", "Write sample exports shaped like the real ones."),
    "reports": ("reports", "reports", "The stored monthly reports."),
    "restore": ("warehouse", "restore_command", "Restore a backup into the warehouse (or another one)."),
    "run": ("run", "run", "Materialize everything: loads, KPIs, forecast, reports, a backup."),
    "summary": ("warehouse", "summary", "Row count and checksum of every warehouse table."),
    "users": ("users", "users", "Who receives the monthly report."),
}


LISTING = "synapse.listing"  # in click's `meta` while `synapse --help` lists the commands


class SynapseGroup(click.Group):
    """A group none of whose commands ends in a traceback, whoever set something up wrong reads one sentence, and
    whose commands are imported when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command's own definition, imported now; during `synapse --help`, a stand-in with its line."""
        if cmd_name not in COMMANDS:
            return None
        module, attribute, short_help = COMMANDS[cmd_name]
        if ctx.resilient_parsing or ctx.meta.get(LISTING):
            return click.Command(cmd_name, short_help=short_help)
        return getattr(importlib.import_module(f"synapse_pipeline.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands' lines, without importing them."""
        ctx.meta[LISTING] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            ctx.meta[LISTING] = False

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an error it did not handle becomes `synapse: <one sentence>` and exit status 1, with
        the traceback before it under `--verbose`."""
        try:
            return super().invoke(ctx)
        except CLICK_HANDLES:
            raise
        except Exception as error:
            if ctx.meta.get(VERBOSE):
                click.echo("".join(traceback.format_exception(error)), err=True, nl=False)
            fail(f"synapse: {explanation(error)}")


@click.group(name="synapse", cls=SynapseGroup)
@click.option(
    "--verbose",
    is_flag=True,
    expose_value=False,
    callback=remember_verbose,
    help="Also print an error's traceback (and, for run, each run's event log).",
)
def synapse() -> None:
    """The project's own tasks beside Dagster's CLI."""


def main() -> None:
    """Run `synapse` on the command line's arguments; exits with the command's status."""
    synapse(prog_name="synapse")


if __name__ == "__main__":
    main()
