"""`synapse reports`: the stored monthly reports, listed or exported to an HTML file."""

from pathlib import Path

import click

from synapse_pipeline.cli.errors import CommandError, fail
from synapse_pipeline.cli.warehouse import connection


@click.group()
def reports() -> None:
    """The stored monthly reports."""


@reports.command("list")
def list_reports() -> None:
    """Name, when first stored and when its content last changed, and size of every report."""
    from sqlalchemy import func, select

    from synapse_pipeline.warehouse.models import Report

    with connection() as conn:
        query = select(Report.name, Report.created_at, Report.updated_at, func.length(Report.content))
        for name, created_at, updated_at, size in conn.execute(query.order_by(Report.name)):
            dates = f"created {created_at:%Y-%m-%d %H:%M}  updated {updated_at:%Y-%m-%d %H:%M}"
            click.echo(f"{name}  {dates}  {size:>9,} characters")


@reports.command()
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
def export(name: str, file: Path) -> None:
    """Write a report's HTML to a file.

    NAME is a stored report's, e.g. relatorio-mensal-2025-07.
    """
    from sqlalchemy import select

    from synapse_pipeline.warehouse.models import Report

    if not file.parent.exists():
        fail(f"synapse: the folder {file.parent} does not exist")
    with connection() as conn:
        content = conn.execute(select(Report.content).where(Report.name == name)).scalar()
    if content is None:
        fail(f"no report named {name!r} (see: synapse reports list)")
    try:
        file.write_text(content, encoding="utf-8")
    except OSError as error:  # a folder of that name, no permission, a read-only file system, a full disk
        raise CommandError(f"{file} cannot be written: {(error.strerror or str(error)).lower()}") from error
    click.echo(f"{name} -> {file}")
