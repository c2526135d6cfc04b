"""Schema migrations (Alembic), callable from the CLI and from a running event loop.

Alembic is imported only when a migration runs: the bot checks at each start whether
the schema is current (``upgrade_if_behind``, one query) and, usually, it is; Alembic
would add about 9 MB to the bot's memory for nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from storage.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision id is its file name; the files are numbered in order.
HEAD = max(path.stem for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))


async def upgrade_if_behind(db: Database) -> bool:
    """Applies pending migrations unless the schema is at ``HEAD`` already; True when it
    migrated. The check is one query, without loading Alembic."""
    try:
        async with db.engine.connect() as connection:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
            current = [row[0] for row in found]
    except DBAPIError:  # no table yet: a new database
        current = []
    if current == [HEAD]:
        return False
    await upgrade(db)
    return True


def alembic_config(url: str = "") -> Config:
    """An Alembic config pointing at our migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    """Applies pending migrations up to ``revision`` on ``db``."""
    from alembic import command

    config = alembic_config(db.url)

    def _upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def pending(db: Database) -> list[str]:
    """The revisions not yet applied (empty when the schema is current)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db.url))

    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with db.engine.connect() as connection:
        current = await connection.run_sync(_current)
    head = script.get_current_head()
    if head is None or head in current:
        return []
    return [rev.revision for rev in script.iterate_revisions(head, tuple(current) or "base")]
