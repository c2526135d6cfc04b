"""privacy: retention and erasure

Revision ID: 0004_privacy
Revises: 0003_calls
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

revision: str = "0004_privacy"
down_revision: str | None = "0003_calls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
