"""`synapse db`: the configured warehouse's schema revision (Alembic), shown, upgraded or downgraded. Every other
command, and every run, upgrades to head by itself; these are for looking, and for going back."""

import click

from synapse_pipeline.cli.warehouse import reachable_engine


@click.group()
def db() -> None:
    """The warehouse's schema revision (Alembic migrations)."""


def _show_current() -> str | None:
    from synapse_pipeline.warehouse.schema import warehouse_revision

    engine = reachable_engine()
    try:
        return warehouse_revision(engine)
    finally:
        engine.dispose()


@db.command()
def current() -> None:
    """The warehouse's revision, `(head)` when it is the newest; `none` before its first upgrade."""
    from synapse_pipeline.warehouse.schema import label

    click.echo(label(_show_current()))


@db.command("history")
def history_command() -> None:
    """Every revision, newest first, the warehouse's marked `(current)`."""
    from synapse_pipeline.warehouse.schema import history

    now = _show_current()
    for script in history():
        marks = "".join(
            mark for mark, on in ((" (head)", script.is_head), (" (current)", script.revision == now)) if on
        )
        click.echo(f"{script.down_revision or '<base>'} -> {script.revision}{marks}, {script.doc}")


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the warehouse to REVISION (default: head). A warehouse made before migrations is stamped with the
    revision its schema is, never re-created; one that matches none is refused, unchanged."""
    from synapse_pipeline.warehouse.schema import label, upgrade_schema, warehouse_revision

    engine = reachable_engine()
    try:
        upgrade_schema(engine, revision)
        click.echo(f"warehouse at {label(warehouse_revision(engine))}")
    finally:
        engine.dispose()


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Downgrade the warehouse to REVISION (e.g. 0001, the schema before migrations; `base` drops every table)."""
    from synapse_pipeline.warehouse.schema import downgrade_schema, label, warehouse_revision

    engine = reachable_engine()
    try:
        downgrade_schema(engine, revision)
        click.echo(f"warehouse at {label(warehouse_revision(engine))}")
    finally:
        engine.dispose()
