"""The `Warehouse` resource: the BI database every asset reads and writes, by SQLAlchemy URL."""

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from synapse_pipeline.warehouse.database import make_engine, masked
from synapse_pipeline.warehouse.schema import upgrade_schema


class Warehouse(dg.ConfigurableResource):
    """The BI warehouse, any SQLAlchemy URL: PostgreSQL in production, an SQLite file by default.

    Its schema is brought to the newest migration before the first use in a run (at head: one read, no DDL).
    """

    url: str
    _engine: Engine | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._engine = make_engine(self.url)
        upgrade_schema(self._engine)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("Warehouse used outside a Dagster run; call setup_for_execution first")
        return self._engine

    @property
    def display_url(self) -> str:
        """The URL with its password masked, for metadata and logs."""
        return masked(self.url)
