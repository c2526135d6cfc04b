"""Messages that did not (surely) arrive: a resident blocked the bot (tell the holder), a
queue group removed it, a reminder was cut off by a crash or its assignee blocked the
bot (tell the coordinators), or a mail to a resident was given up after its last try
(tell the holder, else the queue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases.calls import when
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chat, queue_chats
from storage import repository as repo
from storage.email_models import EmailOutbox
from storage.models import CallReminder, CallStatus, Outbox, Request, Staff


async def _request_and_holder(
    session: AsyncSession, request_id: int | None
) -> tuple[Request | None, Staff | None]:
    """The request a message was about, and who holds it now (either may be None)."""
    request = await repo.get_request(session=session, request_id=request_id) if request_id else None
    if request is None or not request.claimed_by:
        return request, None
    return request, await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)


async def _alert(
    session: AsyncSession,
    services: Services,
    chat_id: int,
    request_id: int | None,
    key: str,
    **values: object,
) -> None:
    """Queues the staff text ``key`` to ``chat_id`` as an alert about ``request_id``."""
    await repo.enqueue(
        session=session,
        now=services.clock(),
        chat_id=chat_id,
        purpose="alert",
        request_id=request_id,
        text=services.texts(key, services.staff_language, **values),
    )


async def chat_blocked(services: Services, row: Outbox) -> None:
    """A resident blocked the bot: stop chat messages to them and tell the holder."""
    if row.chat_id <= 0:  # a group, not a resident
        await group_unreachable(services, row)
        return
    async with services.db.session() as session:
        resident = await repo.get_resident_by_chat_id(session=session, chat_id=row.chat_id)
        if resident is None or resident.id is None:
            return
        await repo.mark_blocked(session=session, resident_id=resident.id, now=services.clock())
        request, holder = await _request_and_holder(session, row.request_id)
        if request is None or holder is None:
            return
        await _alert(
            session,
            services,
            holder.telegram_user_id,
            request.id,
            "relay_blocked",
            first_name=resident.first_name or "?",
            reference=request.reference,
        )


async def group_unreachable(services: Services, row: Outbox) -> None:
    """A queue's group refused a card (the bot was removed): the coordinators hear of it.

    Without this the request would wait unseen; it is still in ``/wachtrij``.
    """
    queues = {chat: queue for queue, chat in queue_chats(services).items()}
    queue = queues.get(row.chat_id)
    coordination = queue_chats(services).get(services.config.crisis_queue)
    if queue is None or coordination is None or coordination == row.chat_id:
        return  # nobody else to tell (the coordinators' own group is the one refusing)
    async with services.db.session() as session:
        request = (
            await repo.get_request(session=session, request_id=row.request_id)
            if row.request_id
            else None
        )
        await _alert(
            session,
            services,
            coordination,
            row.request_id,
            "group_unreachable",
            queue=services.config.queue_label(queue, services.staff_language),
            reference=request.reference if request else "-",
        )


async def reminders_uncertain(services: Services, request_ids: list[int | None]) -> None:
    """After a crash, call reminders that may not have arrived: the coordinators check them.

    They are at most once (never sent twice), so instead of silence the coordinators'
    group gets the references, to look at in the agenda or to call the caller.
    """
    coordination = queue_chats(services).get(services.config.crisis_queue)
    if coordination is None:
        return
    async with services.db.session() as session:
        references = []
        for request_id in sorted({r for r in request_ids if r is not None}):
            request = await repo.get_request(session=session, request_id=request_id)
            if request is not None:
                references.append(request.reference)
        await _alert(
            session,
            services,
            coordination,
            None,
            "reminders_uncertain",
            count=len(request_ids),
            references=", ".join(references) or "-",
        )


async def mail_given_up(session: AsyncSession, services: Services, mail: EmailOutbox) -> None:
    """A mail to a resident could not be delivered, not even after the last try.

    The holder of its request hears of it in their private chat; a request nobody holds
    yet (the auto-reply of a new request) is flagged in its queue's group, and a mail of
    no request in the coordinators' group. Only the reference is named, never the
    address: group chats get no personal data.
    """
    request, holder = await _request_and_holder(session, mail.request_id)
    if holder is not None:
        chat: int | None = holder.telegram_user_id
        key = "mail_given_up_holder"
    else:
        queue = request.queue if request is not None else services.config.crisis_queue
        chat = queue_chat(services, queue)
        key = "mail_given_up_queue"
    if chat is None:
        return  # no group linked at all: the failed row stays visible in the outbox
    request_id = request.id if request is not None else None
    reference = request.reference if request is not None else "-"
    await _alert(session, services, chat, request_id, key, reference=reference)


async def reminder_blocked(services: Services, row: Outbox) -> None:
    """A 403 on a call message: stop reminders to that chat and tell whoever needs to know.

    A resident's chat is marked blocked by ``helpline.blocked`` (its reminders then stop);
    a blocked assignee chat means the call needs someone else: the coordinators hear.
    """
    if row.purpose != "call_reminder" or row.id is None:
        return
    async with services.db.session() as session:
        now = services.clock()
        reminder = await repo.reminder_for_outbox(session=session, outbox_id=row.id)
        if reminder is None:
            return
        call = await repo.get_call(session=session, call_id=reminder.call_id)
        if call is None or call.status != CallStatus.scheduled:
            return
        others = await repo.cancel_assignee_reminders(
            session=session, staff_id=call.assignee_id, now=now
        )
        await _tell_coordinators_blocked(session, services, reminder, others, now)


async def _tell_coordinators_blocked(
    session: AsyncSession, services: Services, reminder: CallReminder, calls: int, now: datetime
) -> None:
    call = await repo.get_call(session=session, call_id=reminder.call_id)
    request = await repo.get_request(session=session, request_id=call.request_id) if call else None
    assignee = (
        await repo.get_staff_by_id(session=session, staff_id=call.assignee_id) if call else None
    )
    chat = queue_chat(services, services.config.crisis_queue)
    if call is None or request is None or assignee is None or chat is None:
        return
    await repo.enqueue(
        session=session,
        now=now,
        chat_id=chat,
        purpose="call_blocked",
        request_id=request.id,
        text=services.texts(
            "call_assignee_blocked",
            services.staff_language,
            assignee=assignee.name,
            reference=request.reference,
            when=when(services, call.due_at),
            calls=calls,
        ),
    )
