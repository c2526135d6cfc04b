"""Warms the engine's statement cache with the hot path's statements, once, at start-up.

SQLAlchemy compiles a statement the first time it runs on an engine and caches the
compiled form; the first intake step, submit or claim after a start paid 8–35 ms for
that. ``warm_up`` runs each of those statements once in a transaction that is rolled
back (``Database`` calls it before its first session, which for the bot is start-up),
so the first update of each kind costs what the second does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request
from storage.repository import hot
from storage.repository.audit import record_audit
from storage.repository.chat_messages import remember_messages
from storage.repository.contacts import add_note, log_contact
from storage.repository.drafts import (
    DraftRow,
    insert_draft_row,
    load_draft_row,
    update_draft_row,
)
from storage.repository.escalations import cancel_escalations
from storage.repository.requests import claim_request, get_request, latest_open_request
from storage.repository.residents import (
    familiarity,
    get_resident_by_telegram_id,
    upsert_telegram_resident,
)
from storage.repository.staff import get_staff, get_staff_by_id, staff_queues

# Ids no real row has: a Telegram id is positive, a private chat too.
NOBODY = -(2**52)
# A row id no row has (row ids are 32-bit integers on PostgreSQL).
NO_ROW = -1


async def warm_up(session: AsyncSession) -> None:
    """Runs the hot path's statements once; the caller rolls the transaction back."""
    now = datetime.now(UTC)
    # Reads (an intake step, a claim).
    await load_draft_row(session=session, chat_id=NOBODY)
    await get_resident_by_telegram_id(session=session, telegram_user_id=NOBODY)
    await latest_open_request(session=session, resident_id=NO_ROW)
    await get_request(session=session, request_id=NO_ROW)
    await get_staff(session=session, telegram_user_id=NOBODY)
    await get_staff_by_id(session=session, staff_id=NO_ROW)
    await hot.read_request(session, NO_ROW)
    await hot.read_resident(session, NO_ROW)
    await hot.read_resident_by_telegram_id(session, NOBODY)
    await hot.read_staff(session, NOBODY)
    await hot.read_staff_by_id(session, NO_ROW)
    await staff_queues(session=session, staff_id=NO_ROW)
    await familiarity(session=session, telegram_user_id=NOBODY, phone=None)
    await familiarity(session=session, telegram_user_id=NOBODY, phone="+0", request_id=NO_ROW)
    await claim_request(session=session, request_id=NO_ROW, staff_id=NO_ROW, now=now)
    await cancel_escalations(session=session, request_id=NO_ROW, now=now)
    # Writes (a start, a step, a submit), all undone by the rollback.
    await remember_messages(
        session=session, chat_id=NOBODY, message_ids=[1], outgoing=False, now=now
    )
    row = DraftRow(chat_id=NOBODY, user_id=NOBODY, step="consent")
    await insert_draft_row(session=session, row=row, now=now)
    row.step = "question"
    await update_draft_row(session=session, row=row)
    resident = await upsert_telegram_resident(  # the INSERT, then the conflict's UPDATE
        session=session, telegram_user_id=NOBODY, chat_id=NOBODY, first_name="-", language="nl"
    )
    await upsert_telegram_resident(
        session=session, telegram_user_id=NOBODY, chat_id=NOBODY, first_name="", language="en"
    )
    request: Request = await hot.insert_request(
        session, prefix="WARM", resident_id=resident.id, category="-", queue="-", created_at=now
    )
    assert request.id is not None
    await hot.append_escalations(session, request_id=request.id, stages=[("a", now)], now=now)
    await hot.append_outbox(session, now=now, chat_id=NOBODY, text="-", purpose="card")
    fields = {"channel": "telegram", "direction": "inbound", "kind": "-", "event": "-"}
    await hot.append_contact(session, occurred_at=now, **fields)
    await log_contact(session=session, occurred_at=now, **fields)  # the claim's, by the ORM
    await add_note(session=session, request_id=request.id, author="resident", text="-")
    await record_audit(session=session, actor_staff_id=None, action="-", now=now)
    await session.flush()
