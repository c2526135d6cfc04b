"""Erasure leaves no readable copy on disk: not in the SQLite file, its free pages or its WAL.

Run against a SQLite file (PostgreSQL keeps dead rows until VACUUM: see the README).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade
from storage.models import Request, Resident
from storage.repository import privacy as privacy_repo

NAME = "Zwanetta Quispelaar"
PHONE = "+31612398765"
QUESTION = "Geheime vraag over de schulden van Quispelaar"
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def on_disk(folder: Path) -> bytes:
    """Everything SQLite keeps in ``folder``: the database, its WAL and shared memory."""
    return b"".join(path.read_bytes() for path in sorted(folder.glob("helpline.db*")))


async def seed(db: Database) -> int:
    async with db.session() as session:
        # Neighbours on the same pages: erasure frees space inside a page, not whole pages.
        for n in range(40):
            session.add(Resident(first_name=f"Buur {n}", phone=f"+3161000{n:04d}"))
        resident = Resident(first_name=NAME, phone=PHONE, telegram_user_id=91, chat_id=91)
        session.add(resident)
        await session.flush()
        session.add(
            Request(
                reference="HH-2026-00001",
                resident_id=resident.id,
                category="geldzaken",
                queue="wijkteam_drunen",
                summary=QUESTION,
                status="resolved",
            )
        )
        assert resident.id is not None
        return resident.id


async def erase(db: Database, resident_id: int) -> bool:
    async with db.session() as session:
        resident = await session.get(Resident, resident_id)
        subject = await privacy_repo.subject_of(session=session, resident=resident)
        await privacy_repo.erase(session=session, subject=subject, now=NOW)
    return await db.wipe_wal()


async def test_erased_values_are_gone_from_file_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'helpline.db'}"
    bot = Database(url)  # the running bot: its own connection, no checkpoints in commits
    bot.checkpoint_off_the_loop()
    await upgrade(bot)
    resident_id = await seed(bot)
    async with bot.session() as session:  # the bot keeps working on the same file
        await session.get(Resident, resident_id)
    assert NAME.encode() in on_disk(tmp_path), "the test must see the values first"
    cli = Database(url)  # `helpline privacy erase` in another process
    try:
        assert await erase(cli, resident_id) is True
    finally:
        await cli.dispose()
    disk = on_disk(tmp_path)
    for value in (NAME, PHONE, QUESTION, "Quispelaar"):
        assert value.encode() not in disk, f"{value!r} still readable on disk"
    assert (tmp_path / "helpline.db-wal").stat().st_size == 0
    async with bot.session() as session:  # whatever SQLite's build default, zeroing is on
        assert (await session.execute(text("PRAGMA secure_delete"))).scalar_one() == 1
    await bot.dispose()


async def test_wipe_is_a_no_op_where_there_is_no_file(db: Database) -> None:
    # PostgreSQL, or SQLite in memory: nothing to truncate, always done.
    if db.dialect == "sqlite":
        memory = Database("sqlite://")
        assert await memory.wipe_wal() is True
        await memory.dispose()
    else:
        assert await db.wipe_wal() is True
