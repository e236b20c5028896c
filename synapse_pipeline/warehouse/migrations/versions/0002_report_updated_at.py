"""report.updated_at: when the content last changed

created_at keeps when the report was first stored. Existing reports get updated_at = created_at (the time of their
latest render: the earlier one is lost).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

report = sa.table("report", sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime))


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False))
    op.execute(report.update().values(updated_at=report.c.created_at))


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_column("updated_at")
