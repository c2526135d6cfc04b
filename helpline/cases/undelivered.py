"""Messages that did not (surely) arrive: a resident blocked the bot (tell the holder), a
queue group removed it, or a reminder was cut off by a crash (tell the coordinators), or
a mail to a resident was given up after its last try (tell the holder, else the queue)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chat, queue_chats
from storage import repository as repo
from storage.email_models import EmailOutbox
from storage.models import Outbox


async def chat_blocked(services: Services, row: Outbox) -> None:
    """A resident blocked the bot: stop chat messages to them and tell the holder."""
    if row.chat_id <= 0:  # a group, not a resident
        await group_unreachable(services, row)
        return
    t, lang = services.texts, services.staff_language
    async with services.db.session() as session:
        now = services.clock()
        resident = await repo.get_resident_by_chat_id(session=session, chat_id=row.chat_id)
        if resident is None or resident.id is None:
            return
        await repo.mark_blocked(session=session, resident_id=resident.id, now=now)
        request = (
            await repo.get_request(session=session, request_id=row.request_id)
            if row.request_id
            else None
        )
        holder = (
            await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
            if request is not None and request.claimed_by
            else None
        )
        if request is None or holder is None:
            return
        await repo.enqueue(
            session=session,
            now=now,
            chat_id=holder.telegram_user_id,
            purpose="alert",
            request_id=request.id,
            text=t(
                "relay_blocked",
                lang,
                first_name=resident.first_name or "?",
                reference=request.reference,
            ),
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
        await repo.enqueue(
            session=session,
            now=services.clock(),
            chat_id=coordination,
            purpose="alert",
            request_id=row.request_id,
            text=services.texts(
                "group_unreachable",
                services.staff_language,
                queue=services.config.queue_label(queue, services.staff_language),
                reference=request.reference if request else "-",
            ),
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
        await repo.enqueue(
            session=session,
            now=services.clock(),
            chat_id=coordination,
            purpose="alert",
            text=services.texts(
                "reminders_uncertain",
                services.staff_language,
                count=len(request_ids),
                references=", ".join(references) or "-",
            ),
        )


async def mail_given_up(session: AsyncSession, services: Services, mail: EmailOutbox) -> None:
    """A mail to a resident could not be delivered, not even after the last try.

    The holder of its request hears of it in their private chat; a request nobody holds
    yet (the auto-reply of a new request) is flagged in its queue's group, and a mail of
    no request in the coordinators' group. Only the reference is named, never the
    address: group chats get no personal data.
    """
    t, lang = services.texts, services.staff_language
    request = (
        await repo.get_request(session=session, request_id=mail.request_id)
        if mail.request_id
        else None
    )
    holder = (
        await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
        if request is not None and request.claimed_by
        else None
    )
    reference = request.reference if request is not None else "-"
    if holder is not None:
        chat: int | None = holder.telegram_user_id
        text = t("mail_given_up_holder", lang, reference=reference)
    else:
        queue = request.queue if request is not None else services.config.crisis_queue
        chat = queue_chat(services, queue)
        text = t("mail_given_up_queue", lang, reference=reference)
    if chat is None:
        return  # no group linked at all: the failed row stays visible in the outbox
    await repo.enqueue(
        session=session,
        now=services.clock(),
        chat_id=chat,
        purpose="alert",
        request_id=request.id if request is not None else None,
        text=text,
    )
