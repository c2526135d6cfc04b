"""Retention: anonymise what has expired, delete what nobody needs any more.

Run daily by ``helpline.retention`` (and by hand: ``helpline privacy retention``).
Free text of requests closed before the cutoff is cleared; residents with nothing
open and nothing newer than the cutoff lose their names, numbers and Telegram ids
(their row stays, anonymised, so unique-resident counts hold). Category, channel,
village, dates and new/known stay: tallies do not change. The one exception, by
design: contacts older than the contact limit are deleted, and with them they leave
the tallies of those old years. Numbers of callers who never became residents are
cleared from their calls after the draft limit (the calls stay, and count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from flows.privacy import Cutoffs
from storage.models import (
    Contact,
    IntakeDraft,
    JobRun,
    Outbox,
    OutboxStatus,
    Request,
    RequestStatus,
    Resident,
    SafetyCheck,
)
from storage.repository.conditional import changed
from storage.repository.personal_data import HOLDERS, Link
from storage.repository.scrub import scrub
from storage.telephony_models import PhoneCall

CLOSED = (RequestStatus.resolved, RequestStatus.cancelled)
OPEN = (RequestStatus.open, RequestStatus.claimed)


@dataclass
class RetentionResult:
    """What one run changed."""

    residents_anonymised: int = 0
    drafts_deleted: int = 0
    contacts_deleted: int = 0
    messages_cleared: int = 0
    call_numbers_cleared: int = 0  # calls of callers who never became residents
    cleared: dict[str, int] = field(default_factory=dict)  # rows per table (free text)

    def add(self, counts: dict[str, int]) -> None:
        """Adds per-table counts of a scrub."""
        for table, count in counts.items():
            self.cleared[table] = self.cleared.get(table, 0) + count


async def expired_residents(*, session: AsyncSession, cutoff: datetime) -> list[int]:
    """Residents with nothing open and nothing newer than ``cutoff``, not yet anonymised."""
    recent_request = (
        select(col(Request.id))
        .where(
            col(Request.resident_id) == col(Resident.id),
            or_(
                col(Request.status).in_(OPEN),
                func.coalesce(col(Request.resolved_at), col(Request.created_at)) >= cutoff,
            ),
        )
        .correlate(Resident)
    )
    recent_contact = (
        select(col(Contact.id))
        .where(col(Contact.resident_id) == col(Resident.id), col(Contact.occurred_at) >= cutoff)
        .correlate(Resident)
    )
    rows = await session.scalars(
        select(col(Resident.id)).where(
            col(Resident.anonymised_at).is_(None),
            col(Resident.created_at) < cutoff,
            ~exists(recent_request),
            ~exists(recent_contact),
        )
    )
    return [rid for rid in rows if rid is not None]


async def _identities(
    session: AsyncSession, resident_ids: list[int]
) -> tuple[list[int], list[int]]:
    """The request ids and Telegram ids of these residents."""
    requests: list[int] = []
    telegram: list[int] = []
    for start in range(0, len(resident_ids), 500):
        chunk = resident_ids[start : start + 500]
        requests += await session.scalars(
            select(col(Request.id)).where(col(Request.resident_id).in_(chunk))
        )
        for user_id, chat_id in await session.execute(
            select(col(Resident.telegram_user_id), col(Resident.chat_id)).where(
                col(Resident.id).in_(chunk)
            )
        ):
            telegram += [i for i in (user_id, chat_id) if i is not None]
    return requests, telegram


async def apply_retention(
    *, session: AsyncSession, cutoffs: Cutoffs, now: datetime
) -> RetentionResult:
    """Anonymises and deletes what has expired at ``now`` (one transaction: the caller's)."""
    result = RetentionResult()
    # 1. Free text of requests closed before the cutoff (also of residents still active).
    closed = select(col(Request.id)).where(
        col(Request.status).in_(CLOSED),
        func.coalesce(col(Request.resolved_at), col(Request.created_at)) < cutoffs.free_text,
    )
    by_request = [h for h in HOLDERS if h.link is Link.request]
    result.add(
        await scrub(session=session, ids={Link.request: closed}, identity=False, holders=by_request)
    )
    # 2. Residents with nothing left open or recent: names, numbers and Telegram ids go.
    residents = await expired_residents(session=session, cutoff=cutoffs.free_text)
    if residents:
        requests, telegram = await _identities(session, residents)
        ids = {Link.resident: residents, Link.request: requests, Link.telegram: telegram}
        result.add(await scrub(session=session, ids=ids, identity=True))
        for start in range(0, len(residents), 500):
            await session.execute(
                update(Resident)
                .where(col(Resident.id).in_(residents[start : start + 500]))
                .values(anonymised_at=now)
                .execution_options(synchronize_session=False)
            )
        result.residents_anonymised = len(residents)
    # 3. Intakes started and never sent.
    drafts: Any = await session.execute(
        delete(IntakeDraft).where(col(IntakeDraft.updated_at) < cutoffs.drafts)
    )
    result.drafts_deleted = drafts.rowcount or 0
    # Check questions never answered: the message they hold goes with the drafts.
    await session.execute(delete(SafetyCheck).where(col(SafetyCheck.asked_at) < cutoffs.drafts))
    # 3b. After step 2, so a number whose resident was anonymised just now goes too.
    result.call_numbers_cleared = await clear_stranger_numbers(
        session=session, cutoff=cutoffs.drafts
    )
    # 4. Delivered messages keep their delivery facts, not their text.
    messages: Any = await session.execute(
        update(Outbox)
        .where(
            col(Outbox.status).in_([OutboxStatus.sent, OutboxStatus.failed]),
            col(Outbox.created_at) < cutoffs.free_text,
            col(Outbox.text) != "",
        )
        .values(text="", reply_markup=None)
        .execution_options(synchronize_session=False)
    )
    result.messages_cleared = messages.rowcount or 0
    # 5. Contact metadata past its limit: the one step that changes (old) tallies.
    contacts: Any = await session.execute(
        delete(Contact).where(col(Contact.occurred_at) < cutoffs.contacts)
    )
    result.contacts_deleted = contacts.rowcount or 0
    session.expire_all()
    return result


async def clear_stranger_numbers(*, session: AsyncSession, cutoff: datetime) -> int:
    """Clears the number on calls before ``cutoff`` from callers no resident row has.

    A call of a known resident is theirs (it goes with their row); a number that
    became a resident later (an intake, a callback) stays while that resident does.
    """
    on_record = select(col(Resident.id)).where(col(Resident.phone) == col(PhoneCall.caller_phone))
    cleared: Any = await session.execute(
        update(PhoneCall)
        .where(
            col(PhoneCall.caller_phone).is_not(None),
            col(PhoneCall.resident_id).is_(None),
            col(PhoneCall.ringing_at) < cutoff,
            ~exists(on_record.correlate(PhoneCall)),
        )
        .values(caller_phone=None)
        .execution_options(synchronize_session=False)
    )
    return cleared.rowcount or 0


async def last_run(*, session: AsyncSession, name: str) -> datetime | None:
    """When the job ``name`` last finished, or None."""
    row = await session.get(JobRun, name)
    return row.last_run_at if row else None


async def record_run(
    *, session: AsyncSession, name: str, previous: datetime | None, now: datetime
) -> bool:
    """Stores the run time; False when another instance recorded a run meanwhile."""
    if previous is None:
        if await session.get(JobRun, name) is not None:
            return False
        session.add(JobRun(name=name, last_run_at=now))
        await session.flush()
        return True
    return await changed(
        session,
        update(JobRun)
        .where(col(JobRun.name) == name, col(JobRun.last_run_at) == previous)
        .values(last_run_at=now)
        .execution_options(synchronize_session=False),
    )
