"""phone_dial: 📞 Bel nu, the click-to-dial requests that outbound call events are matched to

Revision ID: 0014_phone_dial
Revises: 0013_email
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014_phone_dial"
down_revision: str | None = "0013_email"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "phone_dial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("dialed_at", _TIME(timezone=True), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("phone_call_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.ForeignKeyConstraint(["phone_call_id"], ["phone_call.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_phone_dial_request_id", "phone_dial", ["request_id"])
    op.create_index("ix_phone_dial_resident_dialed", "phone_dial", ["resident_id", "dialed_at"])


def downgrade() -> None:
    op.drop_index("ix_phone_dial_resident_dialed", table_name="phone_dial")
    op.drop_index("ix_phone_dial_request_id", table_name="phone_dial")
    op.drop_table("phone_dial")
