"""How a `synapse` command fails: its message on standard error and exit status 1, whatever went wrong."""

from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    """End the command: `message` on standard error, exit status 1."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)
