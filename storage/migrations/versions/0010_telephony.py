"""telephony: phone calls from the exchange, their screen pops, staff phone extensions

Revision ID: 0010_telephony
Revises: 0009_import_key_index
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0010_telephony"
down_revision: str | None = "0009_import_key_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "staff",
        sa.Column("phone_extension", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    )
    op.create_index("ix_staff_phone_extension", "staff", ["phone_extension"], unique=False)
    op.create_table(
        "phone_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("call_id", sqlmodel.sql.sqltypes.AutoString(length=250), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("caller_phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("answered_ext", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("ringing_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("callback_request_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("follow_up", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["callback_request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "call_id", name="uq_phone_call_provider_call"),
    )
    op.create_index(
        "ix_phone_call_caller_state", "phone_call", ["caller_phone", "state"], unique=False
    )
    op.create_index(
        "ix_phone_call_callback_request_id", "phone_call", ["callback_request_id"], unique=False
    )
    op.create_table(
        "phone_pop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_call_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["phone_call_id"], ["phone_call.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phone_pop_phone_call_id", "phone_pop", ["phone_call_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_phone_pop_phone_call_id", table_name="phone_pop")
    op.drop_table("phone_pop")
    op.drop_index("ix_phone_call_callback_request_id", table_name="phone_call")
    op.drop_index("ix_phone_call_caller_state", table_name="phone_call")
    op.drop_table("phone_call")
    with op.batch_alter_table("staff") as batch:
        batch.drop_index("ix_staff_phone_extension")
        batch.drop_column("phone_extension")
