"""email: messages read from the line's mailbox, residents' addresses, mails to send

Revision ID: 0013_email
Revises: 0012_web_login
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import storage.types

revision: str = "0013_email"
down_revision: str | None = "0012_web_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = AutoString
_TIME = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "resident_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("address", _TEXT(length=320), nullable=True),
        sa.Column("created_at", _TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address"),
    )
    op.create_index("ix_resident_email_resident_id", "resident_email", ["resident_id"])
    op.create_table(
        "email_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", _TEXT(length=500), nullable=False),
        sa.Column("verdict", _TEXT(length=16), nullable=False),
        sa.Column("from_address", _TEXT(length=320), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("joined", sa.Boolean(), nullable=False),
        sa.Column("has_attachments", sa.Boolean(), nullable=False),
        sa.Column("received_at", _TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_email_message_resident_id", "email_message", ["resident_id"])
    op.create_index("ix_email_message_request_id", "email_message", ["request_id"])
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("purpose", _TEXT(length=32), nullable=False),
        sa.Column("to_address", _TEXT(length=320), nullable=False),
        sa.Column("subject", _TEXT(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", _TEXT(length=250), nullable=False),
        sa.Column("in_reply_to", _TEXT(length=500), nullable=True),
        sa.Column("status", _TEXT(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", _TIME(timezone=True), nullable=False),
        sa.Column("created_at", _TIME(timezone=True), nullable=False),
        sa.Column("sent_at", _TIME(timezone=True), nullable=True),
        sa.Column("error", _TEXT(length=200), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_email_outbox_request_id", "email_outbox", ["request_id"])
    op.create_index("ix_email_outbox_status_due", "email_outbox", ["status", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_email_outbox_status_due", table_name="email_outbox")
    op.drop_index("ix_email_outbox_request_id", table_name="email_outbox")
    op.drop_table("email_outbox")
    op.drop_index("ix_email_message_request_id", table_name="email_message")
    op.drop_index("ix_email_message_resident_id", table_name="email_message")
    op.drop_table("email_message")
    op.drop_index("ix_resident_email_resident_id", table_name="resident_email")
    op.drop_table("resident_email")
