"""Staff in their private chat: plain text is relayed to the resident of their chosen case.

The resident sees the line's name, never the staff member's own account. Both
directions are contacts in the log; a blocked chat (403) marks the resident
unreachable by chat and tells the holder.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from flows.conversation import Button
from helpline.cases import audit
from helpline.cases.access import actor_for
from helpline.cases.email_relay import relay_by_email
from helpline.cases.handover_draft import note_for_draft
from helpline.cases.relay import MAX_RELAY_CHARS, record_relay
from helpline.channels import wake_mail_sender
from helpline.handlers.staff import staff_welcome
from helpline.handlers.staff_intake import staff_intake_input
from helpline.render import inline_markup
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, RequestStatus, Resident
from storage.repository.chat_messages import remember_messages

logger = logging.getLogger(__name__)


async def staff_private(update: Update, context: HelplineContext) -> bool:
    """Handles a private message from staff; False when the sender is not staff."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return False
    if await staff_intake_input(update, context):
        return True
    services = context.services
    t, lang = services.texts, services.staff_language
    async with services.db.session() as session:
        actor = await actor_for(session, user.id)
        if actor is None:
            return False
        text = message.text or ""
        # A draft handover takes the text (its safety reason or note) and may answer with buttons.
        note_sent = (
            None if text.startswith("/") else await note_for_draft(session, services, actor, text)
        )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if note_sent is not None:
            welcome, buttons = note_sent
        elif text.startswith("/start"):
            welcome = staff_welcome(services, actor)
        elif not text or text.startswith("/"):
            welcome = t("staff_help", lang)
        else:
            welcome = None
        request = (
            await repo.get_request(session=session, request_id=actor.staff.active_request_id)
            if actor.staff.active_request_id
            else None
        )
        resident = (
            await session.get(Resident, request.resident_id)
            if request and request.resident_id
            else None
        )
    if welcome is not None:
        await message.reply_text(welcome, reply_markup=inline_markup(buttons) if buttons else None)
        return True
    if (
        request is None
        or request.status != RequestStatus.claimed
        or not actor.may("relay", request)
    ):
        await message.reply_text(t("relay_no_case", lang))
        return True
    first_name = (resident.first_name if resident else None) or "?"
    if resident is not None and resident.chat_id is None and len(text) <= MAX_RELAY_CHARS:
        async with services.db.session() as session:  # a resident who wrote by email
            mailed = await relay_by_email(
                session, services, request=request, resident=resident, staff_id=actor.id, text=text
            )
        if mailed:
            wake_mail_sender(context.application)
            reference = request.reference
            await message.reply_text(
                t("relay_sent_email", lang, first_name=first_name, reference=reference)
            )
            return True
    if resident is None or resident.chat_id is None:
        if resident is not None and resident.phone:  # the reply shows their number
            async with services.db.session() as session:
                await audit.record(
                    session, services, actor.id, AuditAction.view_phone, request, "via=relay"
                )
        await message.reply_text(
            t("relay_not_chat", lang, phone=(resident.phone if resident else None) or "-")
        )
        return True
    if len(text) > MAX_RELAY_CHARS:
        await message.reply_text(t("relay_too_long", lang, limit=MAX_RELAY_CHARS))
        return True
    out = t("relay_from_staff", resident.language, text=text)
    try:
        relayed = await context.bot.send_message(resident.chat_id, out)
    except Forbidden:
        async with services.db.session() as session:
            await repo.mark_blocked(
                session=session, resident_id=resident.id or 0, now=services.clock()
            )
        await message.reply_text(
            t("relay_blocked", lang, first_name=first_name, reference=request.reference)
        )
        return True
    except TelegramError:
        logger.warning("relay for request %s failed", request.id, exc_info=True)
        await message.reply_text(t("error", lang))
        return True
    async with services.db.session() as session:
        await remember_messages(  # for the resident's /wis (helpline.cases.chatlog)
            session=session,
            chat_id=resident.chat_id,
            message_ids=[relayed.message_id],
            outgoing=True,
            now=services.clock(),
        )
        await record_relay(session, services, actor, request, text)
    await message.reply_text(
        t("relay_sent", lang, first_name=first_name, reference=request.reference)
    )
    return True
