"""The dispatcher hook that turns due call reminders into outbox messages.

Each tick takes due reminder rows atomically (``take_due_reminders``) and, in the same
transaction, writes the message to the outbox and the reminder's final status — so a
crash, a restart or a second instance neither loses nor repeats one. After downtime
the first tick handles everything that came due meanwhile (``flows.calls.schedule.
catch_up``): sent late with a note while still useful, otherwise marked missed and
shown to the coordinators; never dropped silently.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.notices import assignee_reminder
from flows.calls.recurrence import count_between
from flows.calls.schedule import RESIDENT_KINDS, CatchUp, catch_up
from flows.conversation import markup_json
from flows.email_reply import reply_subject
from helpline.cases import audit
from helpline.cases.calls import (
    assignee_buttons,
    call_config,
    call_view,
    notice_channel,
    plan_next_occurrence,
    resident_buttons,
    resident_text,
    when,
    zone,
)
from helpline.cases.core import Services
from helpline.cases.email_intake import own_message_id
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import AuditAction, CallReminder, CallStatus, Channel, Outbox, Role
from storage.repository import email as mails

logger = logging.getLogger(__name__)

BATCH = 200
# Reminders due within this window are worded and put in the outbox ahead of time, with
# their due moment as ``not_before``: at the due second only the sending is left (the
# dispatcher wakes up for it), so a burst of a thousand is not late by the wording.
LOOKAHEAD = timedelta(seconds=60)
Links = list[tuple[CallReminder, Outbox]]


async def run_reminders(services: Services) -> int:
    """Handles every due reminder; returns how many messages were queued."""
    queued = 0
    while True:
        async with services.db.session() as session:
            now = services.clock()
            batch = await repo.take_due_reminders(session=session, now=now + LOOKAHEAD, limit=BATCH)
            links: Links = []
            for item in batch:
                queued += await _handle(session, services, item, now, links)
            await repo.link_messages(session=session, links=links)
        if len(batch) < BATCH:
            return queued


async def _handle(
    session: AsyncSession,
    services: Services,
    item: repo.DueReminder,
    now: datetime,
    links: Links,
) -> int:
    reminder, call = item.reminder, item.call
    if call.status != CallStatus.scheduled:
        await repo.finish_reminder(session=session, reminder=reminder, status="cancelled", now=now)
        return 0
    # Decide as of the moment it will be sent: now, or its due time if taken ahead.
    send_at = max(now, reminder.due_at)
    decision = catch_up(
        kind=reminder.kind,
        reminder_at=reminder.due_at,
        call_at=call.due_at,
        now=send_at,
        zone=zone(services),
        config=call_config(services),
    )
    if reminder.kind in RESIDENT_KINDS:
        return await _to_resident(
            session, services, item, decision.action, decision.at, now, send_at, links
        )
    queued = 0
    if decision.action in (CatchUp.send, CatchUp.late):
        view = call_view(services, call, item.request, item.resident, item.assignee)
        text = assignee_reminder(
            services.texts,
            services.staff_language,
            view,
            kind=reminder.kind,
            now=send_at,
            zone=zone(services),
            late_note=decision.action == CatchUp.late,
        )
        buttons = assignee_buttons(
            services, call.id or 0, volunteer=item.assignee.role == Role.volunteer
        )
        row = await repo.enqueue(
            session=session,
            now=now,
            chat_id=item.assignee.telegram_user_id,
            text=text,
            reply_markup=markup_json(buttons),
            purpose="call_reminder",
            request_id=item.request.id,
            not_before=send_at,
        )
        status = "sent" if decision.action == CatchUp.send else "late"
        await repo.finish_reminder(session=session, reminder=reminder, status=status, now=now)
        links.append((reminder, row))
        if not view.volunteer:  # the number and the question are shown: an audited view
            await audit.record(
                session,
                services,
                item.assignee.id,
                AuditAction.view_details,
                item.request,
                f"call_reminder={reminder.id}",
            )
        queued = 1
    elif decision.action == CatchUp.missed:
        queued = await _lapsed(session, services, item, now)
    else:
        await repo.finish_reminder(session=session, reminder=reminder, status="expired", now=now)
    if reminder.kind == "due":
        await plan_next_occurrence(session, services, call)
    return queued


async def _to_resident(
    session: AsyncSession,
    services: Services,
    item: repo.DueReminder,
    action: CatchUp,
    later: datetime | None,
    now: datetime,
    send_at: datetime,
    links: Links,
) -> int:
    reminder, resident = item.reminder, item.resident
    channel = await notice_channel(session, services, resident)
    if resident is None or channel is None or not resident.call_reminders:
        status = "blocked" if resident is not None and resident.blocked_at else "expired"
        await repo.finish_reminder(session=session, reminder=reminder, status=status, now=now)
        return 0
    if action == CatchUp.defer and later is not None:
        await repo.defer_reminder(session=session, reminder=reminder, at=later)
        return 0
    if action not in (CatchUp.send, CatchUp.late):
        await repo.finish_reminder(session=session, reminder=reminder, status="expired", now=now)
        return 0
    moved = reminder.kind == "moved"
    status = "sent" if action == CatchUp.send else "late"
    if channel is Channel.email:
        await _mail_to_resident(session, services, item, moved=moved, send_at=send_at)
        await repo.finish_reminder(session=session, reminder=reminder, status=status, now=now)
        return 1
    assert resident.chat_id is not None
    row = await repo.enqueue(
        session=session,
        now=now,
        chat_id=resident.chat_id,
        text=resident_text(services, item.call, resident, item.assignee, moved=moved),
        reply_markup=markup_json(resident_buttons(services, item.call.id or 0, resident.language)),
        purpose="call_notice",
        request_id=item.request.id,
        not_before=send_at,
    )
    await repo.finish_reminder(session=session, reminder=reminder, status=status, now=now)
    links.append((reminder, row))
    return 1


async def _mail_to_resident(
    session: AsyncSession,
    services: Services,
    item: repo.DueReminder,
    *,
    moved: bool,
    send_at: datetime,
) -> None:
    """The resident's call notice as a mail about their request (a reply joins it)."""
    resident, reference = item.resident, item.request.reference
    assert resident is not None and resident.id is not None
    address = await mails.address_of(session=session, resident_id=resident.id)
    notice = resident_text(services, item.call, resident, item.assignee, moved=moved)
    mails.enqueue_mail(
        session=session,
        now=services.clock(),
        not_before=send_at,
        request_id=item.request.id,
        purpose="call_notice",
        to_address=address,
        subject=reply_subject(services.texts, reference),
        body=services.texts(
            "email_call_notice_body", resident.language, notice=notice, reference=reference
        ),
        message_id=own_message_id(services, reference),
    )


async def _lapsed(
    session: AsyncSession, services: Services, item: repo.DueReminder, now: datetime
) -> int:
    """A call whose time passed while the bot was down: mark it, tell the coordinators."""
    t, lang, call = services.texts, services.staff_language, item.call
    await repo.set_call_status(
        session=session,
        call_id=call.id or 0,
        expected=CallStatus.scheduled,
        status=CallStatus.lapsed,
        now=now,
    )
    await repo.finish_reminder(session=session, reminder=item.reminder, status="missed", now=now)
    skipped = ""
    series = await repo.get_series(session=session, series_id=call.series_id)
    if series is not None and series.status == "active" and not call.attempt:
        base = call.occurrence_at or call.due_at
        gap = count_between(
            series.rule, series.dtstart_local, ZoneInfo(series.zone), start=base, end=now
        )
        if gap:
            skipped = t("call_lapsed_skipped", lang, n=gap)
        following = await plan_next_occurrence(session, services, call)
        if following is not None:
            skipped += t("call_series_next", lang, when=when(services, following.due_at))
    chat = queue_chat(services, services.config.crisis_queue)
    if chat is None:
        logger.warning("call %s lapsed and no coordinator chat is configured", call.id)
        return 0
    await repo.enqueue(
        session=session,
        now=now,
        chat_id=chat,
        purpose="call_lapsed",
        request_id=item.request.id,
        text=t(
            "call_lapsed",
            lang,
            first_name=(item.resident.first_name if item.resident else None) or "?",
            reference=item.request.reference,
            when=when(services, call.due_at),
            assignee=item.assignee.name,
            skipped=skipped,
        ),
    )
    return 1


async def next_due(services: Services) -> datetime | None:
    """When the dispatcher next has work: wording a reminder ahead, or sending a message."""
    async with services.db.session() as session:
        reminder, message = await repo.next_due_times(session=session)
    times = [t for t in (reminder - LOOKAHEAD if reminder else None, message) if t is not None]
    return min(times, default=None)
