"""`synapse generate-data`: sample exports shaped like the real ones, of any size, for demos, tests and benchmarks."""

import sys
from pathlib import Path

import click

from synapse_pipeline.settings import PROJECT_ROOT


@click.command("generate-data")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=PROJECT_ROOT / "data", show_default=True
)
@click.option("--clients", type=int, default=11, show_default=True)
@click.option("--faturamento-rows", type=int, default=17_343, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def generate_data(out: Path, clients: int, faturamento_rows: int, seed: int) -> None:
    """Write sample exports shaped like the real ones."""
    from synapse_pipeline.sample_data.generator import ESTOQUE_ROWS, generate

    with click.progressbar(length=ESTOQUE_ROWS + faturamento_rows, label="generating", file=sys.stderr) as bar:
        files = generate(out, clients=clients, faturamento_rows=faturamento_rows, seed=seed, progress=bar.update)
    click.echo(f"{files.estoque}: {files.estoque_lines:,} data lines")
    click.echo(f"{files.faturamento}: {files.faturamento_lines:,} data lines")
