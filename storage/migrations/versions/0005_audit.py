"""audit log, handover consent, chat message ids for /wis

Revision ID: 0005_audit
Revises: 0004_privacy
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0005_audit"
down_revision: str | None = "0004_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Append-only: the database itself refuses to change or remove an audit row, so neither
# a bug nor a hand-typed query can rewrite history. (TRUNCATE, an owner's tool, is not
# a row operation and stays possible for test resets.)
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql
"""
_PG_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
"""
_SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
    BEGIN
        SELECT RAISE(ABORT, 'audit_log is append-only');
    END
    """
    for verb in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_staff_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_staff_id"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_occurred_at"), ["occurred_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)

    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("outgoing", sa.Boolean(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.create_index("ix_chat_message_chat", ["chat_id", "message_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_chat_message_sent_at"), ["sent_at"], unique=False)

    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_basis", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("consent_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("consent_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("to_partner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_column("to_partner")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_reason")
        batch_op.drop_column("consent_basis")

    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_message_sent_at"))
        batch_op.drop_index("ix_chat_message_chat")
    op.drop_table("chat_message")

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_occurred_at"))
    op.drop_table("audit_log")
