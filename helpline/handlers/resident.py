"""Residents in their private chat: the intake, crisis replies and later messages.

One update = one transaction: load the draft, run the pure step, store the result,
commit, then send. A crisis reply goes out first, before anything else happens.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.error import Forbidden, TelegramError

from flows import intake
from flows.conversation import CommandIn, Input, Reply, TextIn
from flows.safety import check_buttons, has_urgent_text, safety_text
from flows.texts import moment_text
from flows.triage import Classification
from flows.urgency import most_urgent
from helpline.cases import cards, chatlog, drafts
from helpline.cases import intake as intake_case
from helpline.cases.core import Services
from helpline.handlers import quick_exit
from helpline.handlers.survey import remark_reply
from helpline.render import reply_markup, to_input
from helpline.safe_send import answer_query, send_retrying
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import Channel, Direction, IntakeDraft, Request, RequestStatus, Resident

logger = logging.getLogger(__name__)

MAX_FORWARD = 3500  # characters of a resident's message forwarded to the holder


def language_of(update: Update, services: Services) -> str:
    """English for residents whose Telegram speaks English, else the line's default."""
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    return "en" if code.lower().startswith("en") else services.settings.default_language


async def on_resident_update(update: Update, context: HelplineContext) -> None:
    """Handles every private-chat message or button press of a resident."""
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if update.callback_query is not None:
        await answer_query(update.callback_query)
    if user is None or chat is None or chat.type != "private":
        return
    event = to_input(update)
    # Ids only, for /wis (helpline.cases.chatlog): recorded in the update's one transaction,
    # or on their own on the two paths that have none here.
    seen = [update.message.message_id] if update.message is not None else []
    if isinstance(event, CommandIn) and event.name in quick_exit.COMMANDS:
        await _remember_incoming(services, chat.id, seen)
        await quick_exit.quick_exit(update, context)  # before anything else: the screen
        return
    safety = _safety_check(services, event)
    crisis = safety if safety is not None and safety.urgency == "crisis" else None
    safety_sent: list[int] = []
    if safety is not None:
        sent = await _send_safety(context, chat.id, safety, language_of(update, services))
        safety_sent = [sent] if sent is not None else []
    asking = safety is not None and safety.risk == "possible"
    # A remark for the satisfaction survey is kept, also when the line asks about it.
    if (safety is None or asking) and await remark_reply(update, context):
        async with services.db.session() as session:
            now = services.clock()
            await _remember_both(session, chat.id, seen, safety_sent, now)
            if asking and safety is not None and isinstance(event, TextIn):
                await _ask(session, chat.id, user.id, safety, event.text, now)
        return

    replies: tuple[Reply, ...]
    async with services.db.session() as session:
        now = services.clock()
        await _remember_both(session, chat.id, seen, safety_sent, now)
        row = await repo.get_draft(session=session, chat_id=chat.id)
        # A running intake step needs no resident row (most updates): one query less.
        resident = (
            await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
            if row is None or crisis is not None
            else None
        )
        if crisis is not None and isinstance(event, TextIn):
            if resident is None:
                resident = await repo.upsert_telegram_resident(
                    session=session,
                    telegram_user_id=user.id,
                    chat_id=chat.id,
                    first_name=user.first_name,
                    language=language_of(update, services),
                )
            await intake_case.raise_crisis(
                session, services, resident=resident, text=event.text, result=crisis, draft_row=row
            )
        elif safety is not None:  # urgent: shown first in the queues
            await _mark_urgent(session, services, row, resident)
            if asking and isinstance(event, TextIn):
                await _ask(session, chat.id, user.id, safety, event.text, now)
        if row is not None and row.flow != "resident":
            # A staff member's own /nieuw draft: an old or forged button in their private
            # chat is not a resident's intake step.
            replies = (Reply(services.texts("claim_gone", services.staff_language)),)
        elif row is None:
            replies = await _outside_intake(session, services, update, event, resident)
        else:
            replies = await _intake_step(session, services, row, event)
    await _send(context, chat.id, replies)
    # Only a card, alert or relay needs delivering now (most steps queue nothing).
    if repo.queued_messages(session=session):
        services.dispatcher.kick(context.application)


def _safety_check(services: Services, event: Input) -> Classification | None:
    """Safety detection on every text the resident sends, at any step: a crisis, a
    possible danger (the resident is asked), or an urgent message with a safety line of
    its own (domestic violence: Veilig Thuis)."""
    if not isinstance(event, TextIn):
        return None
    result = services.classifier.classify(event.text)
    if result.risk != "none":
        return result
    if result.urgency == "crisis" or (result.urgency == "urgent" and has_urgent_text(result)):
        return result
    return None


async def _ask(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    result: Classification,
    text: str,
    now: datetime,
) -> None:
    """Keeps the message behind a check question: "Ja" escalates it as a crisis."""
    line = result.crisis or "suicide"
    await repo.ask_safety_check(
        session=session, chat_id=chat_id, user_id=user_id, line=line, text=text, now=now
    )


async def _mark_urgent(
    session: AsyncSession, services: Services, row: IntakeDraft | None, resident: Resident | None
) -> None:
    """Raises the running intake, or else the open request, to urgent (never lowers);
    an unclaimed request's escalation clock restarts with the urgent limits."""
    if row is not None:
        row.urgency = most_urgent(row.urgency, "urgent")
        return
    if resident is None or resident.id is None:
        return
    request = await repo.latest_open_request(session=session, resident_id=resident.id)
    if request is not None and request.urgency == "normal":
        request.urgency = "urgent"
        if request.status == RequestStatus.open:
            await cards.schedule_escalations(session, services, request)


async def _send_safety(
    context: HelplineContext, chat_id: int, result: Classification, lang: str
) -> int | None:
    """Sends the safety reply; returns its message id (for /wis), None when it failed."""
    text = safety_text(context.services.texts, result, lang)
    markup = None
    if result.risk == "possible":
        markup = reply_markup(Reply(text, check_buttons(context.services.texts, lang)))
    try:
        sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError:
        logger.warning("safety reply to chat %s failed", chat_id, exc_info=True)
        return None
    return sent.message_id


async def _remember_both(
    session: AsyncSession, chat_id: int, incoming: list[int], outgoing: list[int], now: datetime
) -> None:
    """Records the message ids of this update, for /wis, in the update's transaction."""
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=incoming, outgoing=False, now=now
    )
    await chatlog.remember_in(
        session, chat_id=chat_id, message_ids=outgoing, outgoing=True, now=now
    )


async def _remember_incoming(services: Services, chat_id: int, message_ids: list[int]) -> None:
    """Records the incoming message's id in a transaction of its own (no other here)."""
    await chatlog.remember(
        services.db, chat_id=chat_id, message_ids=message_ids, outgoing=False, now=services.clock()
    )


async def _outside_intake(
    session: AsyncSession,
    services: Services,
    update: Update,
    event: Input,
    resident: Resident | None,
) -> tuple[Reply, ...]:
    """No intake running: start one, or add the message to the open request."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    lang = resident.language if resident else language_of(update, services)
    open_request = (
        await repo.latest_open_request(session=session, resident_id=resident.id)
        if resident is not None and resident.id is not None
        else None
    )
    if isinstance(event, CommandIn) and event.name == "stop":
        return (Reply(services.texts("nothing_to_stop", lang), remove_keyboard=True),)
    if isinstance(event, CommandIn) and event.name == "help":
        return (Reply(services.texts("help", lang)),)
    if open_request is not None and isinstance(event, TextIn):
        await repo.add_note(
            session=session, request_id=open_request.id or 0, author="resident", text=event.text
        )
        await repo.log_contact(
            session=session,
            occurred_at=services.clock(),
            channel=Channel.telegram,
            direction=Direction.inbound,
            event="message",
            **repo.request_contact_fields(open_request),
        )
        await _forward_to_holder(session, services, open_request, resident, event.text)
        return (Reply(services.texts("message_added", lang, reference=open_request.reference)),)
    if open_request is not None and update.callback_query is not None:
        # E.g. "Versturen" pressed again because the confirmation never came (a restart):
        # the resident learns the question is in, and its number.
        reference = open_request.reference
        return (Reply(services.texts("already_submitted", lang, reference=reference)),)
    outcome = intake.start(services.intake, first_name=user.first_name, language=lang)
    row = IntakeDraft(
        chat_id=chat.id,
        user_id=user.id,
        step=outcome.draft.step.value,
        created_at=services.clock(),  # the injected clock, like every other time
    )
    session.add(drafts.store_resident_draft(services, row, outcome.draft))
    return outcome.replies


async def _intake_step(
    session: AsyncSession, services: Services, row: IntakeDraft, event: Input
) -> tuple[Reply, ...]:
    """Runs one intake step and stores its result."""
    draft = drafts.resident_draft(row)
    outcome = intake.advance(services.intake, draft, event)
    if outcome.action is intake.Action.CONTINUE:
        drafts.store_resident_draft(services, row, outcome.draft)
        return outcome.replies
    if outcome.action is intake.Action.SUBMIT:
        request = await intake_case.submit_intake(session, services, row=row, draft=outcome.draft)
        queue = services.config.queue_label(request.queue, draft.language)
        text = services.texts("submitted", draft.language, queue=queue, reference=request.reference)
        return (Reply(text, remove_keyboard=True), *_out_of_hours(services, draft.language))
    # Cancel or decline: forget the draft (a crisis request, if any, stays open, and
    # its crisis message counts as a contact: there will be no intake contact).
    if row.request_id is not None:
        opened = await repo.get_request(session=session, request_id=row.request_id)
        if opened is not None:
            await intake_case.log_resident_message(session, services, opened)
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    return outcome.replies


async def _send(context: HelplineContext, chat_id: int, replies: tuple[Reply, ...]) -> None:
    """Sends the replies in order; a blocked chat is noted, not raised."""
    sent: list[int] = []
    for reply in replies:
        try:
            message = await send_retrying(context.bot, chat_id, reply.text, reply_markup(reply))
        except Forbidden:
            logger.info("chat %s has blocked the bot", chat_id)
            break
        except TelegramError:  # kept failing: the step is stored, the next message re-asks
            logger.warning("reply to chat %s failed", chat_id, exc_info=True)
            break
        sent.append(message.message_id)
    services = context.services
    await chatlog.remember(
        services.db, chat_id=chat_id, message_ids=sent, outgoing=True, now=services.clock()
    )


async def _forward_to_holder(
    session: AsyncSession,
    services: Services,
    request: Request,
    resident: Resident | None,
    text: str,
) -> None:
    """Passes a resident's message on to the staff member holding the request."""
    if request.claimed_by is None:
        return
    holder = await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
    if holder is None or not holder.active:
        return
    await repo.enqueue(
        now=services.clock(),
        session=session,
        chat_id=holder.telegram_user_id,
        text=services.texts(
            "relay_to_holder",
            services.staff_language,
            first_name=(resident.first_name if resident else None) or "?",
            reference=request.reference,
            # Telegram takes 4,096 characters; the whole message is kept as a note.
            text=text if len(text) <= MAX_FORWARD else text[:MAX_FORWARD].rstrip() + "…",
        ),
        purpose="relay",
        request_id=request.id,
    )


def _out_of_hours(services: Services, lang: str) -> tuple[Reply, ...]:
    """When the line is closed, says when it will answer (crisis replies never wait for this)."""
    now = services.clock()
    if services.hours.is_open(now):
        return ()
    opens = services.hours.next_open(now)
    if opens is None:
        return ()
    when = moment_text(services.texts, lang, opens.astimezone(services.settings.zone))
    return (Reply(services.texts("out_of_hours", lang, when=when)),)
