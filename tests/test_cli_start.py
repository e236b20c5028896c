"""`synapse --help` and every command's start import neither Dagster nor pandas nor matplotlib (seconds of
imports, paid only by the commands that use them), and the help lists every command with its own first line."""

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from synapse_pipeline.cli.main import COMMANDS, synapse
from synapse_pipeline.settings import DATABASE_URL_ENV, STATE_DIR_ENV

HEAVY = ("dagster", "pandas", "matplotlib", "pandera", "sqlalchemy")

# Run in a fresh interpreter: this one has imported Dagster already. Prints the heavy modules loaded, if any.
PROBE = """
import sys
from click.testing import CliRunner
from synapse_pipeline.cli.main import synapse
result = CliRunner().invoke(synapse, sys.argv[1:])
assert result.exit_code == 0, result.output
print(",".join(m for m in {heavy} if m in sys.modules))
"""


def imported_by(*args: str, env: dict[str, str] | None = None) -> str:
    probe = PROBE.format(heavy=HEAVY)
    said = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True, env=env)
    return said.stdout.strip()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["deliver", "--help"],
        ["summary", "--help"],
        ["restore", "--help"],
        ["generate-data", "--help"],
        ["users", "--help"],
        ["users", "add", "--help"],
        ["users", "list", "--help"],
        ["reports", "list", "--help"],
        ["db", "upgrade", "--help"],
    ],
)
def test_help_and_a_commands_start_import_nothing_heavy(args: list[str]) -> None:
    assert imported_by(*args) == ""


def test_the_probe_sees_what_a_command_imports(tmp_path: Path) -> None:
    """A command that reads the warehouse imports SQLAlchemy when it runs: the probe above would see it."""
    env = {**os.environ, STATE_DIR_ENV: str(tmp_path)}
    env.pop(DATABASE_URL_ENV, None)
    assert "sqlalchemy" in imported_by("db", "history", env=env).split(",")


def test_the_help_lists_every_command_by_its_own_first_line() -> None:
    listed = {name: line for name, (_, _, line) in COMMANDS.items()}
    context = click.Context(synapse)
    own = {name: synapse.get_command(context, name).get_short_help_str(200) for name in COMMANDS}  # type: ignore[union-attr]
    assert listed == own
    assert synapse.list_commands(context) == sorted(COMMANDS)


def test_loading_the_definitions_leaves_drawing_fitting_and_repairing_to_their_steps() -> None:
    """Every Dagster process (code server, run worker, daemon) loads the definitions: matplotlib, LightGBM and ftfy
    (0.7 s together) are imported by the steps that draw charts, fit the forecast or repair text, not there."""
    lazy = ("matplotlib", "lightgbm", "ftfy")
    probe = f"import sys, synapse_pipeline.definitions; print(','.join(m for m in {lazy} if m in sys.modules))"
    said = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert said.stdout.strip() == ""
