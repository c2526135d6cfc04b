"""Claiming a request: one implementation for the card's button and the web page.

The conditional UPDATE in ``storage.repository.claim_request`` decides a race; this use
case adds what a won claim brings in the same transaction (escalations stopped, the
claim contact, the audit row of the details shown) and says what the edge should show.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import CaseView
from helpline.cases import audit, cards
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Channel, Direction, Request, RequestStatus, Role, Staff
from storage.repository import hot

COORDINATING_ROLES = (Role.coordinator, Role.admin)


class ClaimResult(StrEnum):
    """How a claim ended."""

    won = "won"
    again = "again"  # the holder claimed again: the details once more, nothing recorded
    taken = "taken"  # someone else was first, or the request is closed
    gone = "gone"  # no such request
    not_your_queue = "not_your_queue"


@dataclass(frozen=True)
class Claim:
    """The outcome, and for a won claim what the card and the claimer's details show."""

    result: ClaimResult
    request: Request | None = None
    details: CaseView | None = None  # the full view (question, phone) for the claimer
    card: CaseView | None = None  # the same facts without question and phone
    holder: str | None = None  # who has it, when taken

    @property
    def won(self) -> bool:
        """True when the claimer holds the request now."""
        return self.result in (ClaimResult.won, ClaimResult.again)


def may_handle(staff: Staff, queues: list[str], request: Request) -> bool:
    """Coordinators and admins handle any queue; others only their own queues."""
    return staff.role in COORDINATING_ROLES or request.queue in queues


async def claim(
    session: AsyncSession, services: Services, staff: Staff, request_id: int, *, via: str = "claim"
) -> Claim:
    """Claims ``request_id`` for ``staff`` if they may and nobody was first.

    ``via`` names the edge in the audit row of the details shown (``claim``, ``web``).
    """
    assert staff.id is not None
    # Read, not loaded: the claim changes the request by its conditional UPDATE only.
    request = await hot.read_request(session, request_id)
    if request is None:
        return Claim(ClaimResult.gone)
    queues = await repo.staff_queues(session=session, staff_id=staff.id)
    if not may_handle(staff, queues, request):
        return Claim(ClaimResult.not_your_queue, request)
    # The holder pressing again (e.g. the details never came because the bot stopped
    # right after the claim) gets the details again; nothing is claimed or logged twice.
    again = request.claimed_by == staff.id and request.status == RequestStatus.claimed
    # Already taken as read: lost without asking (the conditional UPDATE is what
    # decides a race; a request seen taken cannot be won in this transaction).
    taken = request.claimed_by is not None or request.status != RequestStatus.open
    now = services.clock()
    won = again or (
        not taken
        and await repo.claim_request(
            session=session, request_id=request_id, staff_id=staff.id, now=now
        )
    )
    if not won:
        holder = (
            await hot.read_staff_by_id(session, request.claimed_by) if request.claimed_by else None
        )
        return Claim(ClaimResult.taken, request, holder=holder.name if holder else None)
    if not again:
        request.claimed_by, request.claimed_at = staff.id, now.astimezone(UTC)
        request.status = RequestStatus.claimed
        await repo.cancel_escalations(session=session, request_id=request_id, now=now)
        await hot.append_contact(  # a Core insert: nothing reads the row back
            session,
            occurred_at=now,
            channel=Channel.telegram,
            direction=Direction.internal,
            event="claim",
            staff_id=staff.id,
            **repo.request_contact_fields(request),
        )
    details = await cards.case_view(session, request, full=True)
    # Audited in the claim's transaction, before the send: a view is never missed.
    await audit.record(
        session,
        services,
        staff.id,
        AuditAction.view_details,
        request,
        f"via={via}" + (" phone=no" if staff.role == Role.volunteer else ""),
    )
    result = ClaimResult.again if again else ClaimResult.won
    # The card shows the same facts without the question and phone: no second lookup.
    return Claim(result, request, details, replace(details, question=None, phone=None))


async def claim_as(
    session: AsyncSession, services: Services, telegram_user_id: int, request_id: int
) -> tuple[Staff, Claim] | None:
    """The claim of ``request_id`` by the staff member using this Telegram account, read
    in this transaction; None when the presser is not (active) staff."""
    staff = await hot.read_staff(session, telegram_user_id)
    if staff is None or staff.id is None:
        return None
    return staff, await claim(session, services, staff, request_id)
