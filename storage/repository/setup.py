"""The first run and later staff changes: queue groups linked from Telegram, the first
admin's one-time code, and editing a staff member in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.models import QueueChat, Role, SetupCode, Staff
from storage.repository.conditional import changed
from storage.repository.staff import set_queues, staff_queues

_ACTIVE_ADMIN = select(col(Staff.id)).where(
    col(Staff.role) == Role.admin.value, col(Staff.active).is_(True)
)


async def linked_queue_chats(*, session: AsyncSession) -> dict[str, int]:
    """Every queue linked to a group with ``/koppel``: queue key -> chat id."""
    rows = await session.execute(select(col(QueueChat.queue), col(QueueChat.chat_id)))
    return {queue: chat_id for queue, chat_id in rows}


async def link_queue_chat(
    *, session: AsyncSession, queue: str, chat_id: int, staff_id: int | None, now: datetime
) -> None:
    """Makes ``chat_id`` the group of ``queue`` (one statement: the last link wins).

    Whether the link is allowed does not depend on the queue's earlier group, so there
    is no earlier state for the write to be conditional on.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = QueueChat.__table__  # type: ignore[attr-defined]
    values = {"chat_id": chat_id, "linked_by": staff_id, "linked_at": now}
    statement = (
        dialect.insert(table)
        .values(queue=queue, **values)
        .on_conflict_do_update(index_elements=["queue"], set_=values)
    )
    await session.execute(statement)


async def admin_exists(*, session: AsyncSession) -> bool:
    """Whether an active staff member has the admin role."""
    return (await session.scalar(_ACTIVE_ADMIN.limit(1))) is not None


async def issue_setup_code(
    *, session: AsyncSession, code_hash: str, now: datetime, expires_at: datetime
) -> None:
    """Stores a new first-admin code (its hash); codes not used yet stop working.

    Only the newest code printed works, so a code left in an old terminal or log is void.
    """
    await session.execute(delete(SetupCode).where(col(SetupCode.used_at).is_(None)))
    session.add(SetupCode(code_hash=code_hash, created_at=now, expires_at=expires_at))
    await session.flush()


async def setup_code_waiting(*, session: AsyncSession, now: datetime) -> bool:
    """Whether a first-admin code was issued, is unused and has not expired."""
    found = await session.scalar(
        select(col(SetupCode.id))
        .where(col(SetupCode.used_at).is_(None), col(SetupCode.expires_at) > now)
        .limit(1)
    )
    return found is not None


async def redeem_setup_code(
    *, session: AsyncSession, code_hash: str, telegram_user_id: int, now: datetime
) -> bool:
    """Uses a first-admin code: True for the one sender whose code was unused, unexpired
    and sent while there was no admin (one conditional UPDATE decides)."""
    statement = (
        update(SetupCode)
        .where(
            col(SetupCode.code_hash) == code_hash,
            col(SetupCode.used_at).is_(None),
            col(SetupCode.expires_at) > now,
            ~exists(_ACTIVE_ADMIN),
        )
        .values(used_at=now, used_by=telegram_user_id)
        .execution_options(synchronize_session=False)
    )
    return await changed(session, statement)


@dataclass(frozen=True)
class StaffChange:
    """A staff member after ``edit_staff``; ``changed`` is False when nothing differed."""

    staff_id: int
    name: str
    role: Role
    queues: list[str]
    changed: bool


async def edit_staff(
    *,
    session: AsyncSession,
    telegram_user_id: int,
    name: str | None = None,
    role: Role | None = None,
    queues: Sequence[str] | None = None,
    add_queues: Sequence[str] = (),
    remove_queues: Sequence[str] = (),
) -> StaffChange | None:
    """Changes an active staff member's name, role or queues; None when there is none.

    ``queues`` replaces the queues; otherwise ``add_queues`` and ``remove_queues`` change
    the current ones. The row is read with ``FOR UPDATE`` (PostgreSQL; SQLite's write
    transaction already excludes other writers), and the name and role are written on
    condition that they are still what was read.
    """
    staff = await session.scalar(
        select(Staff)
        .where(col(Staff.telegram_user_id) == telegram_user_id, col(Staff.active).is_(True))
        .with_for_update()
    )
    if staff is None or staff.id is None:
        return None
    current = await staff_queues(session=session, staff_id=staff.id)
    if queues is not None:
        new_queues = list(dict.fromkeys(queues))
    else:
        kept = [q for q in current if q not in remove_queues]
        new_queues = kept + [q for q in dict.fromkeys(add_queues) if q not in kept]
    new_name = staff.name if name is None else name
    new_role = Role(staff.role) if role is None else role
    queues_changed = sorted(new_queues) != sorted(current)
    row_changed = (new_name, new_role) != (staff.name, Role(staff.role))
    if row_changed:
        written = await session.scalar(
            update(Staff)
            .where(
                col(Staff.id) == staff.id,
                col(Staff.active).is_(True),
                col(Staff.name) == staff.name,
                col(Staff.role) == str(staff.role),
            )
            .values(name=new_name, role=new_role.value)
            .returning(col(Staff.id))
            .execution_options(synchronize_session="fetch")
        )
        if written is None:
            return None  # removed or changed in between: nothing is overwritten
    if queues_changed:
        await set_queues(session=session, staff_id=staff.id, queues=new_queues)
    return StaffChange(
        staff.id, new_name, new_role, sorted(new_queues), row_changed or queues_changed
    )
