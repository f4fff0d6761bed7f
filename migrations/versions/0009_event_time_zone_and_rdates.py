"""events.timezone and events.rdates: a repeating event keeps its own zone and extra dates

An imported event from Europe/Berlin repeats in Berlin's clock time (its TZID), not in the
association's; RDATE adds dates its rule does not give. An empty zone means the
association's own (the TIMEZONE setting); rdates are local keys in the event's zone, in the
form of exdates.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("rdates", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("rdates")
        batch_op.drop_column("timezone")
