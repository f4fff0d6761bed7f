"""calendar_sources and events.calendar_source_id: a society's own calendar kept in sync

A society registers the public .ics URL of the calendar it already keeps; a job fetches it
and imports it through the workflow. Each event remembers the source it came from, so that
events removed from the source can be withdrawn or cancelled.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import scheduler.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("society_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("draft", "submit", name="syncmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=False),
        sa.Column("last_modified", sa.String(length=100), nullable=False),
        sa.Column("last_checked_at", scheduler.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", scheduler.types.UTCDateTime(), nullable=True),
        sa.Column(
            "last_outcome",
            sa.Enum(
                "synced",
                "not_modified",
                "failed",
                name="syncoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("last_report", sa.JSON(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("created_at", scheduler.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_calendar_sources_failures_not_negative")),
        sa.ForeignKeyConstraint(
            ["society_id"],
            ["societies.id"],
            name=op.f("fk_calendar_sources_society_id_societies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_sources")),
        sa.UniqueConstraint("society_id", name=op.f("uq_calendar_sources_society_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_source_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_events_calendar_source_id"), ["calendar_source_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_events_calendar_source_id_calendar_sources"),
            "calendar_sources",
            ["calendar_source_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_events_calendar_source_id_calendar_sources"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_events_calendar_source_id"))
        batch_op.drop_column("calendar_source_id")
    op.drop_table("calendar_sources")
