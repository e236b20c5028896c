"""Alembic's entry point for the warehouse: migrates the connection that `warehouse/schema.py` hands over (locked,
inside its transaction), or the configured warehouse when the `alembic` command runs it (`alembic revision
--autogenerate` from the project root, configured by `[tool.alembic]` in pyproject.toml)."""

from alembic import context
from sqlalchemy import Connection

from synapse_pipeline.settings import database_url
from synapse_pipeline.warehouse.database import make_engine
from synapse_pipeline.warehouse.models import Base
from synapse_pipeline.warehouse.schema import owned_by

# Batch operations, so that one revision script alters SQLite (which recreates a table for most changes) and
# PostgreSQL (which alters it in place) alike.
OPTIONS = {"target_metadata": Base.metadata, "render_as_batch": True, "compare_type": True}


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, include_object=owned_by(Base.metadata), **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
else:
    engine = make_engine(database_url())
    with engine.begin() as connection:
        run_migrations(connection)
    engine.dispose()
