"""contact: drop the indexes that repeat the first column of a longer one

``ix_contact_occurred_at`` is the first column of ``ix_contact_occurred_category``
and ``ix_contact_resident_id`` that of ``ix_contact_resident_occurred``: every query
that used them can use the longer index, and each index costs every stored contact
(a large import) another B-tree insert.

Revision ID: 0008_contact_indexes
Revises: 0007_queue_chats
Create Date: 2026-12-03 08:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_contact_indexes"
down_revision: str | None = "0007_queue_chats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain DROP INDEX: no copy of the table, even on SQLite.
    op.drop_index("ix_contact_occurred_at", table_name="contact")
    op.drop_index("ix_contact_resident_id", table_name="contact")


def downgrade() -> None:
    op.create_index("ix_contact_resident_id", "contact", ["resident_id"], unique=False)
    op.create_index("ix_contact_occurred_at", "contact", ["occurred_at"], unique=False)
