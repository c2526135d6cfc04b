"""contact: import_key unique by a named index instead of a table constraint

A large import inserts hundreds of thousands of keyed hashes: random values, so every
one lands on another page of the unique B-tree. A named unique index can be dropped
by the import and built again at its end, in the same transaction, with one sort
(``storage/repository/import_staging.py``); SQLite cannot drop the index behind a
table's ``UNIQUE`` constraint without copying the table. Uniqueness is unchanged.

Revision ID: 0009_import_key_index
Revises: 0008_contact_indexes
Create Date: 2026-12-03 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_import_key_index"
down_revision: str | None = "0008_contact_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_contact_import_key"
# SQLite keeps 0001's constraint unnamed: batch mode names it by this convention to
# find it again (and names the one a downgrade restores).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_SQLITE_CONSTRAINT = "uq_contact_import_key"


def _postgresql_constraint() -> str | None:
    """The name PostgreSQL gave 0001's constraint (``contact_import_key_key``)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints("contact"):
        if constraint["column_names"] == ["import_key"]:
            return constraint["name"]
    return None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # The table is copied once (SQLite has no DROP CONSTRAINT).
        with op.batch_alter_table("contact", naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint(_SQLITE_CONSTRAINT, type_="unique")
            batch_op.create_index(INDEX, ["import_key"], unique=True)
        return
    # Index first: the column is never without its uniqueness, not even for a moment.
    op.create_index(INDEX, "contact", ["import_key"], unique=True)
    name = _postgresql_constraint()
    if name is not None:
        op.drop_constraint(name, "contact", type_="unique")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("contact", naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_index(INDEX)
            batch_op.create_unique_constraint(_SQLITE_CONSTRAINT, ["import_key"])
        return
    op.create_unique_constraint("contact_import_key_key", "contact", ["import_key"])
    op.drop_index(INDEX, table_name="contact")
