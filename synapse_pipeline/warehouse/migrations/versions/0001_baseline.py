"""Baseline: the schema as the code before migrations made it

Keys, indexes, the partial index on active users, unique constraints, audit_log, report_email. The KPI and forecast
tables are not here: the pipeline drops and rebuilds them on every run.

Revision ID: 0001
"""

from alembic import op

from synapse_pipeline.warehouse.migrations.baseline import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
