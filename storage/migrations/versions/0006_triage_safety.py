"""safety check questions and triage corrections

Revision ID: 0006_triage_safety
Revises: 0005_audit
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0006_triage_safety"
down_revision: str | None = "0005_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("safety_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_check_chat_id"), ["chat_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_safety_check_asked_at"), ["asked_at"], unique=False)

    op.create_table(
        "triage_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("new_category", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("old_urgency", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("new_urgency", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("triage_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_correction_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("triage_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_correction_request_id"))
    op.drop_table("triage_correction")
    with op.batch_alter_table("safety_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_check_asked_at"))
        batch_op.drop_index(batch_op.f("ix_safety_check_chat_id"))
    op.drop_table("safety_check")
