"""Counts committed changes to who is staff, so in-memory copies know when to reload.

A session that added, deleted or changed the Telegram id or active flag of a ``Staff``
row bumps the count when it commits (not on a rollback, and not for other changes to
a staff row, such as the request a member is working on, which change on every claim).
The count is per process: changes by another process (the CLI) are not seen here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from storage.models import Staff

_CHANGED = "helpline.staff_changed"
_WHO = ("telegram_user_id", "active")


class _Generation:
    """Counts committed staff changes in this process (all databases)."""

    value = 0


def staff_generation() -> int:
    """How many sessions changed who is staff in this process so far."""
    return _Generation.value


def _who_is_staff_changed(session: Session) -> bool:
    if any(isinstance(o, Staff) for o in (*session.new, *session.deleted)):
        return True
    return any(
        isinstance(o, Staff) and any(inspect(o).attrs[name].history.has_changes() for name in _WHO)
        for o in session.dirty
    )


@event.listens_for(Session, "after_flush")
def _note_staff_change(session: Session, _context: Any) -> None:
    if _who_is_staff_changed(session):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _count_staff_change(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _Generation.value += 1


@event.listens_for(Session, "after_rollback")
def _forget_staff_change(session: Session) -> None:
    session.info.pop(_CHANGED, None)
