"""phone rota: weekly shifts of the telephone line and exceptions for one date

Revision ID: 0011_phone_rota
Revises: 0010_telephony
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011_phone_rota"
down_revision: str | None = "0010_telephony"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "staff_id", "weekday", "start_minute", "end_minute", name="uq_phone_shift"
        ),
    )
    op.create_table(
        "phone_shift_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "staff_id",
            "day",
            "start_minute",
            "end_minute",
            "on_duty",
            name="uq_phone_shift_exception",
        ),
    )
    op.create_index("ix_phone_shift_exception_day", "phone_shift_exception", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_phone_shift_exception_day", table_name="phone_shift_exception")
    op.drop_table("phone_shift_exception")
    op.drop_table("phone_shift")
