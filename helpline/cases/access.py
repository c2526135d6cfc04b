"""Who is pressing: the staff member behind an update and their relation to a request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.permissions import Relation, allowed
from storage import repository as repo
from storage.models import Handover, Request, RequestStatus, Staff


@dataclass(frozen=True)
class Actor:
    """A registered, active staff member and the queues they work."""

    staff: Staff
    queues: list[str]

    @property
    def id(self) -> int:
        """The staff row id."""
        assert self.staff.id is not None
        return self.staff.id

    def relation(self, request: Request | None, handover: Handover | None = None) -> Relation:
        """How this person relates to ``request`` (and a pending handover of it)."""
        if request is None:
            return Relation.none
        if (
            handover is not None
            and handover.status == "pending"
            and (
                handover.to_staff_id == self.id
                or (handover.to_staff_id is None and handover.to_queue in self.queues)
            )
        ):
            return Relation.handover_target
        if request.claimed_by == self.id and request.status == RequestStatus.claimed:
            return Relation.holder  # only while the task is open
        if request.queue in self.queues:
            return Relation.in_queue
        return Relation.outsider

    def may(
        self, action: str, request: Request | None = None, handover: Handover | None = None
    ) -> bool:
        """Checks the permission matrix for this actor."""
        return allowed(str(self.staff.role), action, self.relation(request, handover))


async def actor_for(session: AsyncSession, telegram_user_id: int) -> Actor | None:
    """The staff member using this Telegram account, or None for everyone else."""
    staff = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
    if staff is None or staff.id is None:
        return None
    return Actor(staff, await repo.staff_queues(session=session, staff_id=staff.id))
