"""scheduled calls, volunteer availability, telefooncirkel alerts

Revision ID: 0003_calls
Revises: 0002_satisfaction
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

revision: str = "0003_calls"
down_revision: str | None = "0002_satisfaction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
