"""Email rows: the messages read (the idempotency key), residents' addresses, mails to send.

Every change of state is a conditional update: recording a Message-ID a second time
changes nothing, and a mail moves pending → sending → sent (or back to pending for a
retry, or failed) only from the state it was taken in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.email_models import EmailMessage, EmailOutbox, EmailStatus, ResidentEmail
from storage.models import Request, RequestStatus, Resident
from storage.repository.conditional import changed
from storage.repository.residents import Familiarity

OPEN = (RequestStatus.open, RequestStatus.claimed)


async def record_message(
    *,
    session: AsyncSession,
    message_id: str,
    verdict: str,
    from_address: str | None,
    has_attachments: bool,
    now: datetime,
) -> int | None:
    """Records a message read from the mailbox; None when it was recorded before."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(EmailMessage)
        .values(
            message_id=message_id,
            verdict=verdict,
            from_address=from_address,
            has_attachments=has_attachments,
            joined=False,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
        .returning(col(EmailMessage.id))
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def link_message(
    *, session: AsyncSession, row_id: int, resident_id: int, request_id: int, joined: bool
) -> None:
    """Notes which resident and request a recorded message became."""
    await session.execute(
        update(EmailMessage)
        .where(col(EmailMessage.id) == row_id, col(EmailMessage.request_id).is_(None))
        .values(resident_id=resident_id, request_id=request_id, joined=joined)
        .execution_options(synchronize_session=False)
    )


async def message_recorded(*, session: AsyncSession, message_id: str) -> bool:
    """True when this Message-ID was read and committed before."""
    found = await session.scalar(
        select(col(EmailMessage.id)).where(col(EmailMessage.message_id) == message_id)
    )
    return found is not None


async def resident_by_address(*, session: AsyncSession, address: str) -> Resident | None:
    """The (not erased) resident who wrote from this address before, or None."""
    return await session.scalar(
        select(Resident)
        .join(ResidentEmail, col(ResidentEmail.resident_id) == col(Resident.id))
        .where(col(ResidentEmail.address) == address, col(Resident.anonymised_at).is_(None))
    )


async def add_address(
    *, session: AsyncSession, resident_id: int, address: str, now: datetime
) -> None:
    """Records the resident's email address (unique: one resident per address)."""
    session.add(ResidentEmail(resident_id=resident_id, address=address, created_at=now))
    await session.flush()


async def address_of(*, session: AsyncSession, resident_id: int) -> str | None:
    """The resident's email address, if they have one."""
    return await session.scalar(
        select(col(ResidentEmail.address))
        .where(
            col(ResidentEmail.resident_id) == resident_id, col(ResidentEmail.address).is_not(None)
        )
        .order_by(col(ResidentEmail.id).desc())
        .limit(1)
    )


async def familiarity_of(
    *, session: AsyncSession, resident_id: int, request_id: int | None = None
) -> Familiarity:
    """The known-resident check by resident row (an email writer has no phone or Telegram)."""
    earlier_query = select(func.count(col(Request.id))).where(
        col(Request.resident_id) == resident_id
    )
    open_query = select(col(Request.queue)).where(
        col(Request.resident_id) == resident_id, col(Request.status).in_(OPEN)
    )
    if request_id is not None:
        earlier_query = earlier_query.where(col(Request.id) < request_id)
        open_query = open_query.where(col(Request.id) != request_id)
    earlier = int(await session.scalar(earlier_query) or 0)
    open_queue = await session.scalar(open_query.order_by(col(Request.id).desc()).limit(1))
    return Familiarity(earlier > 0, earlier, open_queue)


async def open_request_of(
    *, session: AsyncSession, reference: str, resident_id: int
) -> Request | None:
    """The resident's own open request with this reference (someone else's is not joined)."""
    return await session.scalar(
        select(Request).where(
            func.upper(col(Request.reference)) == reference.upper(),
            col(Request.resident_id) == resident_id,
            col(Request.status).in_(OPEN),
        )
    )


def enqueue_mail(
    *, session: AsyncSession, now: datetime, not_before: datetime | None = None, **fields: Any
) -> EmailOutbox:
    """Adds a mail to send after the commit (written with the transaction's next flush),
    not before ``not_before`` (default: at once)."""
    row = EmailOutbox(
        status=EmailStatus.pending, not_before=not_before or now, created_at=now, **fields
    )
    session.add(row)
    return row


async def recover_sending(*, session: AsyncSession) -> int:
    """At start-up: mails a crashed run was sending are sent again (at least once)."""
    result: Any = await session.execute(
        update(EmailOutbox)
        .where(col(EmailOutbox.status) == EmailStatus.sending)
        .values(status=EmailStatus.pending)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def claim_due_mail(
    *, session: AsyncSession, now: datetime, limit: int = 20
) -> Sequence[EmailOutbox]:
    """Takes due mails for sending (pending → sending, one more attempt)."""
    ids = list(
        await session.scalars(
            select(col(EmailOutbox.id))
            .where(
                col(EmailOutbox.status) == EmailStatus.pending, col(EmailOutbox.not_before) <= now
            )
            .order_by(col(EmailOutbox.not_before), col(EmailOutbox.id))
            .limit(limit)
        )
    )
    if not ids:
        return []
    await session.execute(
        update(EmailOutbox)
        .where(col(EmailOutbox.id).in_(ids), col(EmailOutbox.status) == EmailStatus.pending)
        .values(status=EmailStatus.sending, attempts=col(EmailOutbox.attempts) + 1)
        .execution_options(synchronize_session=False)
    )
    rows = await session.scalars(
        select(EmailOutbox)
        .where(col(EmailOutbox.id).in_(ids), col(EmailOutbox.status) == EmailStatus.sending)
        .order_by(col(EmailOutbox.id))
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def finish_mail(
    *,
    session: AsyncSession,
    mail_id: int,
    status: EmailStatus,
    now: datetime,
    error: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Moves a mail out of ``sending``: sent, failed, or pending again at ``not_before``."""
    values: dict[str, Any] = {"status": status, "error": error}
    if status is EmailStatus.sent:
        values["sent_at"] = now
    if not_before is not None:
        values["not_before"] = not_before
    return await changed(
        session,
        update(EmailOutbox)
        .where(col(EmailOutbox.id) == mail_id, col(EmailOutbox.status) == EmailStatus.sending)
        .values(**values)
        .execution_options(synchronize_session=False),
    )


async def next_mail_due(*, session: AsyncSession) -> datetime | None:
    """When the next pending mail falls due (None: nothing waits)."""
    return await session.scalar(
        select(func.min(col(EmailOutbox.not_before))).where(
            col(EmailOutbox.status) == EmailStatus.pending
        )
    )
