"""The root of the `synapse` command: the click group that gathers every command module, and the script's
entry point (`synapse = "synapse_pipeline.cli.main:main"` in pyproject.toml)."""

import traceback
from typing import Any

import click

from synapse_pipeline.cli.data import generate_data
from synapse_pipeline.cli.db import db
from synapse_pipeline.cli.errors import VERBOSE, explanation, fail, remember_verbose
from synapse_pipeline.cli.reports import reports
from synapse_pipeline.cli.run import deliver, run
from synapse_pipeline.cli.users import users
from synapse_pipeline.cli.warehouse import restore_command, summary

# What click itself reports and ends with: its usage errors (status 2), `fail`'s exit, Ctrl-C, a closed pipe.
CLICK_HANDLES = (click.exceptions.Exit, click.ClickException, click.Abort, EOFError, BrokenPipeError)


class SynapseGroup(click.Group):
    """A group none of whose commands ends in a traceback: whoever set something up wrong reads one sentence."""

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


for command in (generate_data, run, deliver, summary, reports, users, restore_command, db):
    synapse.add_command(command)


def main() -> None:
    """Run `synapse` on the command line's arguments; exits with the command's status."""
    synapse(prog_name="synapse")


if __name__ == "__main__":
    main()
