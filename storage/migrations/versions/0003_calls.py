"""scheduled calls, volunteer availability, telefooncirkel alerts

Revision ID: 0003_calls
Revises: 0002_satisfaction
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0003_calls"
down_revision: str | None = "0002_satisfaction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_person_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("contact_person_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("call_reminders", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "call_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("dtstart_local", sa.String(length=19), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_series_request_id", "call_series", ["request_id"])
    op.create_table(
        "scheduled_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _time("due_at"),
        _time("occurrence_at", nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notify_resident", sa.Boolean(), nullable=False),
        _time("resident_declined_at", nullable=True),
        _time("outcome_at", nullable=True),
        sa.Column("outcome_by", sa.Integer(), nullable=True),
        _time("created_at"),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["series_id"], ["call_series.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["outcome_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scheduled_call_request_id", "scheduled_call", ["request_id"])
    op.create_index("ix_scheduled_call_series_id", "scheduled_call", ["series_id"])
    op.create_index("ix_scheduled_call_status_due", "scheduled_call", ["status", "due_at"])
    op.create_index("ix_scheduled_call_assignee_due", "scheduled_call", ["assignee_id", "due_at"])
    op.create_table(
        "call_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _time("due_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        _time("done_at", nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["scheduled_call.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_reminder_call_id", "call_reminder", ["call_id"])
    op.create_index("ix_call_reminder_status_due", "call_reminder", ["status", "due_at"])
    op.create_table(
        "call_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=True),
        _time("created_at"),
        _time("closed_at", nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["scheduled_call.id"]),
        sa.ForeignKeyConstraint(["series_id"], ["call_series.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["closed_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_alert_request_id", "call_alert", ["request_id"])
    op.create_table(
        "availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_availability_staff_id", "availability", ["staff_id"])
    op.create_table(
        "staff_prompt",
        sa.Column("staff_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id"),
    )


def downgrade() -> None:
    op.drop_table("staff_prompt")
    op.drop_index("ix_availability_staff_id", table_name="availability")
    op.drop_table("availability")
    op.drop_index("ix_call_alert_request_id", table_name="call_alert")
    op.drop_table("call_alert")
    op.drop_index("ix_call_reminder_status_due", table_name="call_reminder")
    op.drop_index("ix_call_reminder_call_id", table_name="call_reminder")
    op.drop_table("call_reminder")
    for name in ("assignee_due", "status_due", "series_id", "request_id"):
        op.drop_index(f"ix_scheduled_call_{name}", table_name="scheduled_call")
    op.drop_table("scheduled_call")
    op.drop_index("ix_call_series_request_id", table_name="call_series")
    op.drop_table("call_series")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("call_reminders")
        batch_op.drop_column("contact_person_chat_id")
        batch_op.drop_column("contact_person_name")
