"""Call operations that span several repository calls (one transaction, no Telegram calls).

Used by the call handlers and by the reminder hook; messages that must not be lost
are written to the outbox here and delivered by the dispatcher after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls import callbacks as cb
from flows.calls.config import CallConfig, load_call_config
from flows.calls.notices import CallView, resident_notice, when_words
from flows.calls.recurrence import next_occurrence
from flows.calls.schedule import assignee_reminders, resident_reminder
from flows.conversation import Button
from flows.permissions import Relation, allowed
from helpline.cases.access import Actor
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import CallStatus, Channel, Request, Resident, Role, ScheduledCall, Staff
from storage.repository import email as mails

Rows = tuple[tuple[Button, ...], ...]
SLOT_HORIZON = timedelta(days=21)  # how far ahead a free slot is looked for


@lru_cache(maxsize=8)
def _load(directory: Path, queues: frozenset[str]) -> CallConfig:
    return load_call_config(directory, set(queues))


def call_config(services: Services) -> CallConfig:
    """The ``[calls]`` settings of the line (read once; ``ConfigError`` when malformed)."""
    return _load(services.config.directory, frozenset(services.config.queues))


def zone(services: Services) -> ZoneInfo:
    """The line's time zone."""
    return services.settings.zone


def when(services: Services, at: datetime) -> str:
    """A call time for staff: ``morgen om 10:00``."""
    return when_words(
        services.texts, services.staff_language, at, now=services.clock(), zone=zone(services)
    )


def call_view(
    services: Services,
    call: ScheduledCall,
    request: Request,
    resident: Resident | None,
    assignee: Staff,
) -> CallView:
    """What a reminder about ``call`` may show its assignee."""
    assert call.id is not None
    category = services.config.categories.get(request.category)
    return CallView(
        call_id=call.id,
        reference=request.reference,
        first_name=resident.first_name if resident else None,
        phone=resident.phone if resident else None,
        summary=request.summary,
        category=category.label(services.staff_language) if category else request.category,
        due_at=call.due_at,
        assignee=assignee.name,
        volunteer=assignee.role == Role.volunteer,
        attempt=call.attempt,
    )


def assignee_buttons(services: Services, call_id: int, *, volunteer: bool) -> Rows:
    """Gebeld / Niet bereikt / Verzetten (and, for volunteers, the number on request)."""
    t, lang = services.texts, services.staff_language
    phone = ((Button(t("btn_show_phone", lang), cb.data("call", "tel", call_id)),),)
    return (phone if volunteer else ()) + (
        (
            Button(t("btn_call_reached", lang), cb.data("call", "done", call_id)),
            Button(t("btn_call_missed", lang), cb.data("call", "miss", call_id)),
        ),
        (Button(t("btn_call_move", lang), cb.data("call", "mv", call_id)),),
    )


def resident_buttons(services: Services, call_id: int, lang: str) -> Rows:
    """The resident's answers to a reminder: Past niet / Geen herinneringen meer."""
    t = services.texts
    return (
        (Button(t("btn_resident_nofit", lang), cb.data("cr", "nofit", call_id)),),
        (Button(t("btn_resident_stop", lang), cb.data("cr", "stop", call_id)),),
    )


def resident_reachable(resident: Resident | None) -> bool:
    """True when the resident can get Telegram messages from the line."""
    return resident is not None and resident.chat_id is not None and resident.blocked_at is None


async def notice_channel(
    session: AsyncSession, services: Services, resident: Resident | None
) -> Channel | None:
    """How the resident can be told about their calls: Telegram; else email, for someone
    who has no chat with the line but wrote to it by mail (and the line sends mail);
    else None."""
    if resident_reachable(resident):
        return Channel.telegram
    settings = services.settings
    if resident is None or resident.id is None or resident.chat_id is not None:
        return None  # a chat that was blocked: not switched to mail behind their back
    if not settings.smtp_url or not settings.mail_from:
        return None
    address = await mails.address_of(session=session, resident_id=resident.id)
    return Channel.email if address else None


async def plan_reminders(
    session: AsyncSession,
    services: Services,
    call: ScheduledCall,
    resident: Resident | None,
    *,
    moved: bool = False,
) -> None:
    """Adds the reminders of a scheduled call: lead and due for the assignee, the resident's."""
    assert call.id is not None
    now, config = services.clock(), call_config(services)
    items = assignee_reminders(due_at=call.due_at, now=now, config=config)
    if call.notify_resident and await notice_channel(session, services, resident):
        at = resident_reminder(
            due_at=call.due_at, now=now, zone=zone(services), config=config, moved=moved
        )
        if at is not None:
            items.append(("moved" if moved else "resident", at))
    await repo.add_reminders(session=session, call_id=call.id, items=items)


def resident_text(
    services: Services, call: ScheduledCall, resident: Resident, assignee: Staff, *, moved: bool
) -> str:
    """The resident's notice in their language (first name of the caller only)."""
    return resident_notice(
        services.texts,
        resident.language,
        assignee=assignee.name.split()[0] if assignee.name else "",
        due_at=call.due_at,
        now=services.clock(),
        zone=zone(services),
        moved=moved,
    )


async def confirm_call(
    session: AsyncSession, services: Services, call: ScheduledCall, *, by: Staff
) -> bool:
    """Turns a draft into a scheduled call with its reminders; tells another assignee.

    False when the draft was confirmed or cancelled meanwhile (a double press).
    """
    assert call.id is not None
    now = services.clock()
    if not await repo.set_call_status(
        session=session,
        call_id=call.id,
        expected=CallStatus.draft,
        status=CallStatus.scheduled,
        now=now,
    ):
        return False
    await session.refresh(call)
    series = await repo.get_series(session=session, series_id=call.series_id)
    if series is not None:
        series.status = "active"
        series.assignee_id = call.assignee_id
        call.occurrence_at = call.due_at
    request = await repo.get_request(session=session, request_id=call.request_id)
    resident = await session.get(Resident, request.resident_id) if request else None
    if resident is not None and call.notify_resident and resident.id is not None:
        await repo.set_call_reminders(session=session, resident_id=resident.id, wanted=True)
    await plan_reminders(session, services, call, resident)
    assignee = await repo.get_staff_by_id(session=session, staff_id=call.assignee_id)
    if assignee is not None and assignee.id != by.id and request is not None:
        await repo.enqueue(
            session=session,
            now=now,
            chat_id=assignee.telegram_user_id,
            purpose="call_assigned",
            request_id=request.id,
            text=services.texts(
                "call_assigned",
                services.staff_language,
                by=by.name,
                first_name=(resident.first_name if resident else None) or "?",
                reference=request.reference,
                when=when(services, call.due_at),
            ),
        )
    await session.flush()
    return True


async def reschedule(
    session: AsyncSession, services: Services, call: ScheduledCall, due_at: datetime
) -> bool:
    """Moves a scheduled call: new reminders, and the resident hears it moved (if opted in)."""
    assert call.id is not None
    now = services.clock()
    if not await repo.move_call(
        session=session, call_id=call.id, due_at=due_at, expected=CallStatus.scheduled
    ):
        return False
    await repo.cancel_reminders(session=session, call_id=call.id, now=now)
    await session.refresh(call)
    request = await repo.get_request(session=session, request_id=call.request_id)
    resident = await session.get(Resident, request.resident_id) if request else None
    await plan_reminders(session, services, call, resident, moved=True)
    return True


async def plan_next_occurrence(
    session: AsyncSession, services: Services, call: ScheduledCall
) -> ScheduledCall | None:
    """Plans the series' next call after this one (the first occurrence still ahead).

    Idempotent: when the series already has a later call, nothing is added.
    """
    series = await repo.get_series(session=session, series_id=call.series_id)
    if series is None or series.id is None or series.status != "active" or call.attempt:
        return None
    base = call.occurrence_at or call.due_at
    if await repo.has_later_occurrence(session=session, series_id=series.id, after=base):
        return None
    now = services.clock()
    moment = next_occurrence(
        series.rule, series.dtstart_local, ZoneInfo(series.zone), after=max(base, now)
    )
    if moment is None:
        series.status = "ended"
        await session.flush()
        return None
    following = await repo.create_call(
        session=session,
        request_id=call.request_id,
        series_id=series.id,
        assignee_id=series.assignee_id,
        created_by=call.created_by,
        due_at=moment,
        occurrence_at=moment,
        status=CallStatus.scheduled,
        notify_resident=call.notify_resident,
        created_at=now,
    )
    request = await repo.get_request(session=session, request_id=call.request_id)
    resident = await session.get(Resident, request.resident_id) if request else None
    await plan_reminders(session, services, following, resident)
    return following


def may_work(actor: Actor, call: ScheduledCall) -> bool:
    """The call's assignee (and coordinators) may record its outcome or move it."""
    relation = Relation.holder if call.assignee_id == actor.id else Relation.outsider
    return allowed(str(actor.staff.role), "call_outcome", relation)
