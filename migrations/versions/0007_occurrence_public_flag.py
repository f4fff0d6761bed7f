"""occurrences.public: on the public calendar, so busy months rank from one table

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PUBLIC_STATUSES = ("approved", "completed", "cancelled")


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    events = sa.table("events", sa.column("id"), sa.column("status"))
    occurrences = sa.table("occurrences", sa.column("event_id"), sa.column("public"))
    op.execute(
        occurrences.update()
        .where(
            occurrences.c.event_id.in_(
                sa.select(events.c.id).where(events.c.status.in_(PUBLIC_STATUSES))
            )
        )
        .values(public=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_column("public")
