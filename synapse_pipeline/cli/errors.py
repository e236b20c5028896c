"""How a `synapse` command fails: one sentence on standard error and exit status 1, whatever went wrong; the
traceback only for whoever asks for it with `--verbose`."""

import os
import re
from typing import NoReturn

import click

VERBOSE = "synapse.verbose"  # in click's `meta`, which the group's context shares with its command's


def fail(message: str) -> NoReturn:
    """End the command: `message` on standard error, exit status 1."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(1)


class CommandError(Exception):
    """An error a command has put in one sentence for the person at the terminal; the error it explains is its
    cause, in the traceback that `--verbose` adds."""


def remember_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """`--verbose` given to `synapse` or to its command holds for both: `synapse --verbose run` is `synapse run
    --verbose`, and either shows the traceback of an error."""
    ctx.meta[VERBOSE] = ctx.meta.get(VERBOSE, False) or value
    return ctx.meta[VERBOSE]


def database_reason(message: str) -> str:
    """What the database server itself said, from the driver's message: `connection refused`, `role "x" does not
    exist`, without libpq's lead-in (`connection to server at ... failed: FATAL:`) or its hints."""
    reason = message.strip().splitlines()[0] if message.strip() else message
    reason = reason.rpartition(" failed: ")[2].removeprefix("FATAL:").strip()
    # libpq capitalises its own reasons ("Connection refused"); inside a sentence they read as the server's words
    return reason[:1].lower() + reason[1:] if reason[1:2].islower() else reason


def explanation(error: Exception) -> str:
    """One sentence for an error that no command turned into its own: the database's reason for a database error,
    else the first line of the error's message (the rest, and the traceback, with `--verbose`)."""
    import dagster as dg  # here: a command that failed has paid for these imports already, `--help` never does
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, DBAPIError):
        return f"the database refused: {database_reason(str(error.orig))}"
    if isinstance(error, dg.DagsterInvalidConfigError) and error.errors:
        # Dagster's own message lists the config schema; what went wrong (an unset variable) is in its errors.
        home = os.environ.get("DAGSTER_HOME", "DAGSTER_HOME")
        reasons = "; ".join(_config_reason(entry.message) for entry in error.errors)
        return f"the Dagster instance's settings ({home}/dagster.yaml) cannot be used: {reasons}"
    return _first_line(error)


def _config_reason(message: str) -> str:
    """One config error in a few words: an unset variable by name, else the error's line below Dagster's path."""
    unset = re.search(r'environment variable "(\w+)" which is not set', message)
    if unset:
        return f"the environment variable {unset[1]} is not set"
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[1].partition(": ")[2] if len(lines) > 1 and ": " in lines[1] else lines[0] if lines else message


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
