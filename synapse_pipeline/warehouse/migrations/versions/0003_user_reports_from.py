"""user.reports_from: the first report a user receives, a column

The latest report stored when they were added, until now a key of their CREATE entry in the audit log, from which
existing users' value is copied. The audit log keeps the key, so a downgrade loses nothing.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

user = sa.table("user", sa.column("id", sa.Integer), sa.column("reports_from", sa.String))
audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("table_name", sa.String),
    sa.column("record_id", sa.String),
    sa.column("new_values", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("reports_from", sa.String(), nullable=True))
    conn = op.get_bind()
    created = conn.execute(
        sa.select(audit_log.c.record_id, audit_log.c.new_values)
        .where(audit_log.c.table_name == "user", audit_log.c.action == "CREATE")
        .order_by(audit_log.c.id)
    )
    for user_id, values in created.all():
        first = (values or {}).get("reports_from")
        if first:
            conn.execute(user.update().where(user.c.id == int(user_id)).values(reports_from=first))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("reports_from")
