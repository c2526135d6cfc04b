"""Staff casework on requests: queue lists, release, resolve, warm handovers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import Handover, QueueMembership, Request, RequestStatus, Resident, Staff
from storage.repository.conditional import changed

# Crisis first, then urgent, then the rest; oldest first within each.
_URGENCY_ORDER = case({"crisis": 0, "urgent": 1}, value=col(Request.urgency), else_=2)


async def open_requests(
    *, session: AsyncSession, queues: list[str] | None, limit: int = 20
) -> list[Request]:
    """Unclaimed requests of ``queues`` (all queues when None), urgent first, then oldest."""
    query = select(Request).where(col(Request.status) == RequestStatus.open)
    if queues is not None:
        query = query.where(col(Request.queue).in_(queues))
    query = query.order_by(_URGENCY_ORDER, col(Request.created_at), col(Request.id)).limit(limit)
    return list(await session.scalars(query))


async def held_requests(*, session: AsyncSession, staff_id: int) -> list[Request]:
    """The requests a staff member holds, urgent first."""
    query = (
        select(Request)
        .where(col(Request.claimed_by) == staff_id, col(Request.status) == RequestStatus.claimed)
        .order_by(_URGENCY_ORDER, col(Request.created_at))
    )
    return list(await session.scalars(query))


async def release_request(*, session: AsyncSession, request_id: int, staff_id: int) -> bool:
    """Puts a claimed request back in its queue, only if ``staff_id`` holds it."""
    return await changed(
        session,
        update(Request)
        .where(
            col(Request.id) == request_id,
            col(Request.claimed_by) == staff_id,
            col(Request.status) == RequestStatus.claimed,
        )
        .values(claimed_by=None, claimed_at=None, status=RequestStatus.open),
    )


async def resolve_request(
    *,
    session: AsyncSession,
    request_id: int,
    outcome: str,
    partner: str | None,
    now: datetime,
) -> bool:
    """Closes an open or claimed request with its outcome; False when already closed."""
    return await changed(
        session,
        update(Request)
        .where(
            col(Request.id) == request_id,
            col(Request.status).in_([RequestStatus.open, RequestStatus.claimed]),
        )
        .values(status=RequestStatus.resolved, outcome=outcome, partner=partner, resolved_at=now),
    )


async def create_handover(
    *,
    session: AsyncSession,
    request_id: int,
    from_staff_id: int,
    to_queue: str,
    note: str | None = None,
    to_staff_id: int | None = None,
    status: str = "pending",
) -> Handover:
    """Records a warm handover (``draft`` while the holder still writes the note).

    Earlier open handovers of the request, and other drafts of the holder, are dropped.
    """
    await session.execute(
        update(Handover)
        .where(
            col(Handover.status).in_(["pending", "draft"]),
            (col(Handover.request_id) == request_id)
            | (col(Handover.from_staff_id) == from_staff_id) & (col(Handover.status) == "draft"),
        )
        .values(status="superseded")
    )
    handover = Handover(
        request_id=request_id,
        from_staff_id=from_staff_id,
        to_queue=to_queue,
        to_staff_id=to_staff_id,
        note=note,
        status=status,
    )
    session.add(handover)
    await session.flush()
    return handover


async def draft_handover(*, session: AsyncSession, from_staff_id: int) -> Handover | None:
    """The handover a staff member is still writing a note for, if any."""
    return await session.scalar(
        select(Handover).where(
            col(Handover.from_staff_id) == from_staff_id, col(Handover.status) == "draft"
        )
    )


async def queue_members(*, session: AsyncSession, queue: str) -> list[Staff]:
    """Active staff members of a queue, by name."""
    query = (
        select(Staff)
        .join(QueueMembership, col(QueueMembership.staff_id) == col(Staff.id))
        .where(col(QueueMembership.queue) == queue, col(Staff.active).is_(True))
        .order_by(col(Staff.name))
    )
    return list(await session.scalars(query))


def _held_by_sender() -> ColumnElement[bool]:
    """The handover's request is still claimed by the one who hands it over.

    A handover is decided on that state: once the request is released, closed, erased or
    claimed by someone else, the handover no longer speaks for its holder.
    """
    return exists().where(
        col(Request.id) == col(Handover.request_id),
        col(Request.status) == RequestStatus.claimed,
        col(Request.claimed_by) == col(Handover.from_staff_id),
    )


async def change_draft_handover(
    *, session: AsyncSession, handover: Handover, values: Mapping[str, Any], held: bool = True
) -> bool:
    """Changes a draft handover (its target, basis, note, or ``status`` to send it).

    Only while it is still a draft and, with ``held``, while its request is still
    claimed by the one who wrote it; False (nothing changed) otherwise. A referral's
    draft passes ``held=False``: its resolve permission is checked by the caller.
    """
    condition = [col(Handover.id) == handover.id, col(Handover.status) == "draft"]
    if held:
        condition.append(_held_by_sender())
    done = await changed(
        session,
        update(Handover)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False),
    )
    await session.refresh(handover)
    return done


async def cancel_draft_handover(*, session: AsyncSession, handover: Handover) -> bool:
    """Cancels a handover that is still a draft; False when it was sent or ended meanwhile."""
    return await change_draft_handover(
        session=session, handover=handover, values={"status": "cancelled"}, held=False
    )


async def decide_handover(
    *, session: AsyncSession, handover_id: int, staff_id: int, accept: bool, now: datetime
) -> Handover | None:
    """Accepts or declines a pending handover (first decision wins); moves the request on accept.

    Only while the request is still claimed by the one who handed it over: a handover of
    a request released, closed, erased or claimed by someone else since is void, so it is
    cancelled and None returned. Accepting thus never reopens a closed request nor takes
    a case away from a new holder. None also when it was decided already.
    """
    decided = await changed(
        session,
        update(Handover)
        .where(
            col(Handover.id) == handover_id,
            col(Handover.status) == "pending",
            _held_by_sender(),
        )
        .values(status="accepted" if accept else "declined", decided_at=now, decided_by=staff_id)
        .execution_options(synchronize_session=False),
    )
    if not decided:
        await _void_handover(session=session, handover_id=handover_id, now=now)
        return None
    handover = await session.get(Handover, handover_id)
    assert handover is not None
    await session.refresh(handover)
    if accept:
        moved = await changed(
            session,
            update(Request)
            .where(
                col(Request.id) == handover.request_id,
                col(Request.status) == RequestStatus.claimed,
                col(Request.claimed_by) == handover.from_staff_id,
            )
            .values(
                queue=handover.to_queue,
                claimed_by=staff_id,
                claimed_at=now,
                status=RequestStatus.claimed,
            ),
        )
        if not moved:
            # The request moved on between the two statements (a concurrent release or
            # close): this transaction holds the handover's row, so it is voided here.
            await session.execute(
                update(Handover)
                .where(col(Handover.id) == handover_id, col(Handover.status) == "accepted")
                .values(status="cancelled", decided_at=now, decided_by=None)
                .execution_options(synchronize_session=False)
            )
            await session.refresh(handover)
            return None
    return handover


async def _void_handover(*, session: AsyncSession, handover_id: int, now: datetime) -> None:
    """Cancels a pending handover whose request is no longer held by its sender."""
    await session.execute(
        update(Handover)
        .where(
            col(Handover.id) == handover_id,
            col(Handover.status) == "pending",
            ~_held_by_sender(),
        )
        .values(status="cancelled", decided_at=now)
        .execution_options(synchronize_session=False)
    )


async def set_active_request(
    *, session: AsyncSession, staff_id: int, request_id: int | None
) -> None:
    """Chooses the request a staff member's next private message is relayed to."""
    await session.execute(
        update(Staff).where(col(Staff.id) == staff_id).values(active_request_id=request_id)
    )


async def mark_blocked(*, session: AsyncSession, resident_id: int, now: datetime) -> None:
    """Notes that the resident blocked the bot: no more chat messages to them."""
    await session.execute(
        update(Resident).where(col(Resident.id) == resident_id).values(blocked_at=now)
    )
