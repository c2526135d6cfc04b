"""satisfaction grades; index for counting unique residents

Revision ID: 0002_satisfaction
Revises: 0001
Create Date: 2026-11-22 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0002_satisfaction"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "satisfaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("remark", sa.Text(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("grade BETWEEN 1 AND 10", name="ck_satisfaction_grade"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    with op.batch_alter_table("satisfaction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_satisfaction_answered_at"), ["answered_at"], unique=False
        )
    # Unique residents of a period by EXISTS, one index seek per resident.
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_resident_occurred", ["resident_id", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_resident_occurred")

    with op.batch_alter_table("satisfaction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_satisfaction_answered_at"))

    op.drop_table("satisfaction")
