"""The resident's hot path without the ORM: one transaction per update, Core statements
that write what the ORM wrote, conditional draft updates, and a warm statement cache."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from helpline.testing import FakeUser
from helpline.testing.sql_trace import trace_statements
from storage import repository as repo
from storage.db import Database
from storage.migrate import upgrade
from storage.models import ChatMessage, Contact, Escalation, IntakeDraft, Outbox, Request
from storage.repository import hot
from storage.repository.chat_messages import defer_messages
from tests.bot_harness import running_app

MIA = FakeUser(id=4101, first_name="Mia")
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def record_transactions(db: Database) -> list[list[str]]:
    """The statements of each transaction committed on ``db`` from now on."""
    done: list[list[str]] = []
    current: list[str] = []

    def _statement(statement: str) -> None:
        if statement == "COMMIT":
            done.append(current.copy())
            current.clear()
        elif not statement.startswith(("BEGIN", "ROLLBACK")):
            current.append(statement.split("(")[0].strip())

    await trace_statements(db, _statement)
    return done


async def all_rows(db: Database, model: type) -> list[Any]:  # type: ignore[type-arg]
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def test_an_intake_step_is_one_transaction_and_its_reply_ids_are_kept(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        transactions = await record_transactions(db)
        await mia.say(QUESTION)  # the question step: no card, no dispatcher kick
        await mia.press("Ja")
        # (The app's own jobs, such as the outbox tick, may commit meanwhile: not counted.)
        steps = [t for t in transactions if any("intake_draft" in s for s in t)]
        assert len(steps) == 2, "one transaction for each update"
        reply_ids_alone = [t for t in transactions if t and all("chat_message" in s for s in t)]
        assert reply_ids_alone == [], "no transaction of their own for the reply ids"
        recorded = {(m.message_id, m.outgoing) for m in await all_rows(db, ChatMessage)}
        sent = {m["message_id"] for m in h.telegram.sent(MIA.id)}
        # Every reply so far is recorded, written by a later transaction (here: the read).
        assert sent and {(m, True) for m in sent} <= recorded


async def test_deferred_rows_survive_a_rolled_back_transaction_and_a_shutdown(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'deferred.db'}")
    await upgrade(db)
    defer_messages(db, chat_id=MIA.id, message_ids=[7, 0, 8], outgoing=True, now=NOW)
    defer_messages(db, chat_id=-100, message_ids=[9], outgoing=True, now=NOW)  # a group: no
    with pytest.raises(RuntimeError):
        async with db.session():
            raise RuntimeError("rolled back")
    assert await all_rows(db, ChatMessage) != []  # written by the next one instead
    defer_messages(db, chat_id=MIA.id, message_ids=[10], outgoing=True, now=NOW)
    await db.dispose()  # a clean stop writes what is still waiting
    again = Database(db.url)
    ids = sorted((m.chat_id, m.message_id) for m in await all_rows(again, ChatMessage))
    assert ids == [(MIA.id, 7), (MIA.id, 8), (MIA.id, 10)]
    await again.dispose()


async def test_sessions_opened_together_write_the_deferred_rows_once(db: Database) -> None:
    """Sessions that both see rows waiting: the first to get a connection writes them, the
    others find none left and write nothing (no row of defaults, no failed transaction)."""
    defer_messages(db, chat_id=MIA.id, message_ids=[21, 22], outgoing=True, now=NOW)

    async def one_session() -> None:
        async with db.session():
            pass

    await asyncio.gather(*(one_session() for _ in range(4)))
    ids = sorted((m.chat_id, m.message_id) for m in await all_rows(db, ChatMessage))
    assert ids == [(MIA.id, 21), (MIA.id, 22)]


async def test_a_draft_changed_since_it_was_read_is_not_overwritten(db: Database) -> None:
    async with db.session() as session:
        row = repo.DraftRow(chat_id=MIA.id, user_id=MIA.id, step="consent")
        await repo.insert_draft_row(session=session, row=row, now=NOW)
    async with db.session() as session:
        first = await repo.load_draft_row(session=session, chat_id=MIA.id)
        assert first is not None
        await repo.update_draft_row(session=session, row=first)  # unchanged: no statement
    async with db.session() as session:
        second = await repo.load_draft_row(session=session, chat_id=MIA.id)
    assert second is not None
    first.step, first.updated_at = "question", NOW + timedelta(seconds=1)
    async with db.session() as session:
        await repo.update_draft_row(session=session, row=first)
    second.step, second.question = "category", "decided on the old step"
    with pytest.raises(repo.DraftChanged):
        async with db.session() as session:
            await repo.update_draft_row(session=session, row=second)
    [stored] = await all_rows(db, IntakeDraft)
    assert (stored.step, stored.question) == ("question", None)
    async with db.session() as session:  # deleted meanwhile (submitted): stays deleted
        third = await repo.load_draft_row(session=session, chat_id=MIA.id)
        assert third is not None
        await repo.delete_draft(session=session, chat_id=MIA.id)
        third.step = "village"
        await repo.update_draft_row(session=session, row=third)
    assert await all_rows(db, IntakeDraft) == []


def columns(row: Any, *skip: str) -> dict[str, Any]:
    names = [c.name for c in type(row).__table__.columns]
    return {c: getattr(row, c) for c in names if c not in skip}


async def test_core_inserts_store_what_the_orm_stored(db: Database) -> None:
    fields: dict[str, Any] = {"category": "formulieren", "queue": "wijkteam_drunen"}
    fields |= {"village": "drunen", "summary": QUESTION, "created_at": NOW}
    async with db.session() as session:
        by_orm = await repo.create_request(session=session, prefix="HH", **fields)
        by_core = await hot.insert_request(session, prefix="HH", **fields)
        assert by_core.id is not None and by_core.reference == "HH-2026-00002"
        contact: dict[str, Any] = {"channel": "telegram", "direction": "inbound"}
        contact |= {"kind": "hulpvraag", "event": "intake", "request_id": by_orm.id}
        await repo.log_contact(session=session, occurred_at=NOW, **contact)
        await hot.append_contact(session, occurred_at=NOW, **contact)
        card = {"chat_id": -1001, "text": "card", "purpose": "card", "request_id": by_orm.id}
        await repo.enqueue(session=session, now=NOW, reply_markup="{}", **card)
        await hot.append_outbox(session, now=NOW, reply_markup="{}", **card)
        assert repo.queued_messages(session=session)
        stages = [("first", NOW + timedelta(hours=1))]
        await repo.schedule_escalations(
            session=session, request_id=by_orm.id or 0, stages=stages, now=NOW
        )
        await hot.append_escalations(session, request_id=by_orm.id or 0, stages=stages, now=NOW)
    a, b = await all_rows(db, Request)
    assert columns(a, "id", "reference") == columns(b, "id", "reference")
    for model in (Contact, Outbox, Escalation):
        a, b = await all_rows(db, model)
        assert columns(a, "id") == columns(b, "id"), model.__name__
    # As stored, not only as read back: on SQLite a time is text, compared as text.
    for table, skipped in (("request", {"id", "reference"}), ("contact", {"id"})):
        a, b = await stored_rows(db, table, skipped)
        assert a == b, table


async def stored_rows(db: Database, table: str, skipped: set[str]) -> list[dict[str, Any]]:
    """The table's rows as the database holds them (no column types applied)."""
    async with db.session() as session:
        result = await session.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        return [{k: v for k, v in row.items() if k not in skipped} for row in result.mappings()]


async def test_warm_up_leaves_nothing_behind(db: Database) -> None:
    assert await db.warm_up()
    for model in (Request, Contact, Outbox, Escalation, IntakeDraft, ChatMessage):
        assert await all_rows(db, model) == [], model.__name__
    with pytest.raises(TypeError):
        hot.row_values(Contact, {"no_such_column": 1})
