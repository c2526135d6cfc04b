"""A resident's data rights in Telegram: /mijngegevens, /vergeetmij, coordinator approval.

/mijngegevens sends everything stored about the sender (readable text and a JSON
file). /vergeetmij asks first; with requests still open the erasure waits for a
coordinator, who gets an approval card in the coordination queue (via the outbox).
Staff get a pointer to the CLI instead: these commands are about one's own data.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from io import BytesIO

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from flows.conversation import Button, parse_callback
from flows.privacy import MAX_MESSAGES, chunk_lines, export_lines, to_json
from helpline.cases.access import actor_for
from helpline.cases.core import Services
from helpline.cases.erasure import ask_coordinator, erase_subject, wipe_erased
from helpline.handlers.privacy_approval import decide
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Resident
from storage.repository import privacy as privacy_repo
from storage.repository.audit import record_audit

logger = logging.getLogger(__name__)

# The resident's own confirm buttons, and the coordinators' approval buttons.
FORGET_PATTERN = r"^pv:forget:(yes|no)$"
APPROVAL_PATTERN = r"^pv:(approve|refuse):\d{1,12}$"
MYDATA_COMMANDS = ["mijngegevens", "mydata"]
FORGET_COMMANDS = ["vergeetmij", "forgetme"]


def _language(update: Update, resident: Resident | None, services: Services) -> str:
    if resident is not None:
        return resident.language
    code = (update.effective_user.language_code or "") if update.effective_user else ""
    return "en" if code.lower().startswith("en") else services.settings.default_language


async def _refused(update: Update, context: HelplineContext, session: AsyncSession) -> bool:
    """Answers a group chat or a staff member; True when the command stops here."""
    services, message, user = context.services, update.effective_message, update.effective_user
    assert message is not None and user is not None
    lang = _language(update, None, services)
    if update.effective_chat is None or update.effective_chat.type != "private":
        await message.reply_text(services.texts("pv_private_only", lang))
        return True
    if await actor_for(session, user.id) is not None:
        await message.reply_text(services.texts("pv_staff_not_resident", services.staff_language))
        return True
    return False


async def _subject(session: AsyncSession, update: Update) -> privacy_repo.Subject:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
    return await privacy_repo.subject_of(
        session=session, resident=resident, telegram_ids=(user.id, chat.id)
    )


async def mydata_command(update: Update, context: HelplineContext) -> None:
    """Sends the resident everything stored about them: readable messages and a JSON file."""
    services, message = context.services, update.effective_message
    if message is None or update.effective_user is None:
        return
    async with services.db.session() as session:
        if await _refused(update, context, session):
            return
        subject = await _subject(session, update)
        export = await privacy_repo.collect(session=session, subject=subject, now=services.clock())
        resident = await repo.get_resident_by_telegram_id(
            session=session, telegram_user_id=update.effective_user.id
        )
        lang = _language(update, resident, services)
        if privacy_repo.holds_data(export):
            await record_audit(
                session=session,
                actor_staff_id=None,
                action=AuditAction.privacy_export,
                resident_id=subject.resident_id,
                detail="by=resident channel=telegram",
                now=services.clock(),
            )
    if not privacy_repo.holds_data(export):
        await message.reply_text(services.texts("pv_nothing_stored", lang))
        return

    def label(key: str) -> str:
        category = services.config.categories.get(key)
        return category.label(lang) if category else key

    def place(key: str) -> str:
        found = services.config.villages.get(key)
        return found.name if found else key

    lines = export_lines(export, services.texts, lang, services.settings.zone, label, place)
    try:
        chunks = chunk_lines(lines)
        if len(chunks) > MAX_MESSAGES:  # a long history: the file holds the rest
            chunks = [*chunks[: MAX_MESSAGES - 1], services.texts("pv_export_more", lang)]
        for text in chunks:
            await message.reply_text(text)
        document = BytesIO(to_json(export).encode())
        await message.reply_document(
            document,
            filename="mijngegevens.json",
            caption=services.texts("pv_export_caption", lang),
        )
    except TelegramError:
        logger.warning("data export to chat %s failed", message.chat_id, exc_info=True)


async def forget_command(update: Update, context: HelplineContext) -> None:
    """Asks the resident to confirm that everything about them is to be erased."""
    services, message = context.services, update.effective_message
    if message is None or update.effective_user is None:
        return
    t = services.texts
    async with services.db.session() as session:
        if await _refused(update, context, session):
            return
        subject = await _subject(session, update)
        export = await privacy_repo.collect(session=session, subject=subject, now=services.clock())
        open_requests = await privacy_repo.open_requests(session=session, subject=subject)
        resident = await repo.get_resident_by_telegram_id(
            session=session, telegram_user_id=update.effective_user.id
        )
    lang = _language(update, resident, services)
    if not privacy_repo.holds_data(export):
        await message.reply_text(t("pv_nothing_stored", lang))
        return
    text = t("pv_forget_confirm", lang)
    if open_requests:
        references = ", ".join(r.reference for r in open_requests)
        text += "\n\n" + t("pv_forget_open_note", lang, references=references)
    buttons = (
        (Button(t("btn_pv_forget_yes", lang), "pv:forget:yes"),),
        (Button(t("btn_pv_forget_no", lang), "pv:forget:no"),),
    )
    await message.reply_text(text, reply_markup=inline_markup(buttons))


async def privacy_button(update: Update, context: HelplineContext) -> None:
    """The resident's confirm/cancel, or a coordinator's approve/refuse."""
    query = update.callback_query
    if query is None:
        return
    parsed = parse_callback(query.data or "")
    if parsed is None or update.effective_user is None:
        await answer_query(query)
        return
    _, action, value = parsed
    if action == "forget":
        await answer_query(query)
        await _forget_answer(update, context, confirmed=value == "yes")
    else:  # decide() answers: a refusal is a popup, and a query takes one answer only
        await decide(update, context, int(value), approve=action == "approve")


async def _forget_answer(update: Update, context: HelplineContext, *, confirmed: bool) -> None:
    """Erases now, asks a coordinator (open requests), or keeps everything."""
    services, query, user = context.services, update.callback_query, update.effective_user
    assert query is not None and user is not None
    t, now = services.texts, services.clock()
    message = query.message
    if message is None or message.chat.type != "private":
        return
    await _drop_buttons(query)
    async with services.db.session() as session:
        if await actor_for(session, user.id) is not None:
            await context.bot.send_message(
                message.chat.id, t("pv_staff_not_resident", services.staff_language)
            )
            return
        resident = await repo.get_resident_by_telegram_id(session=session, telegram_user_id=user.id)
        lang = _language(update, resident, services)
        subject = await privacy_repo.subject_of(
            session=session, resident=resident, telegram_ids=(user.id, message.chat.id)
        )
        export = await privacy_repo.collect(session=session, subject=subject, now=now)
        if not confirmed:
            reply = t("pv_forget_kept", lang)
        elif not privacy_repo.holds_data(export):
            reply = t("pv_nothing_stored", lang)  # pressed twice: already erased
        elif open_requests := await privacy_repo.open_requests(session=session, subject=subject):
            assert resident is not None and resident.id is not None
            reply = await ask_coordinator(session, services, resident.id, open_requests)
            reply = t(reply, lang)
        else:
            await erase_subject(session, services, subject, actor_staff_id=None, source="telegram")
            reply = t("pv_erased", lang)
    if reply == t("pv_erased", lang):
        await wipe_erased(services)
    await context.bot.send_message(message.chat.id, reply)
    services.dispatcher.kick(context.application)


async def _drop_buttons(query: CallbackQuery) -> None:
    """Removes the buttons of an answered question (a second press then finds none)."""
    # Already removed, or too old to edit: the answer still goes out.
    with suppress(TelegramError):
        await query.edit_message_reply_markup(None)
