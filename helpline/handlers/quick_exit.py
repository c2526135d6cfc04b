"""``/wis``: a resident's quick exit — the bot deletes what it can of their private chat.

For residents who share a phone with someone they fear. Telegram lets a bot delete
both its own and the resident's messages in a private chat for 48 hours; the ids come
from ``chat_message`` (``helpline.cases.chatlog``). Nothing else changes: an open request,
an intake in progress and the contact log stay as they are — only the screen is wiped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, ReplyKeyboardRemove, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from helpline.cases import chatlog
from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

COMMANDS = ("wis",)
BATCH = 100  # deleteMessages takes at most 100 ids
MAX_SPAN = 1000  # ids tried between the oldest recorded one and the /wis (10 calls)


def ids_to_delete(recorded: Sequence[int], last: int | None) -> list[int]:
    """The recorded ids, and every id between the oldest of them and ``last``.

    Message ids of a private chat count up, so the span also catches a message that
    was sent without being recorded (a reply from a module that does not record).
    Ids of other chats in that span are skipped by Telegram (``chat_id`` scopes the
    call), so nothing outside this chat can be touched. A very long span is cut to
    the newest ``MAX_SPAN`` ids, the recorded ones always included.
    """
    ids = set(recorded)
    if last is not None:
        ids.add(last)
    if not ids:
        return []
    first, newest = min(ids), max(ids)
    span = range(max(first, newest - MAX_SPAN + 1), newest + 1)
    return sorted(ids | set(span))


async def delete_all(bot: Bot, chat_id: int, message_ids: Sequence[int]) -> int:
    """Deletes the messages in batches of 100; falls back to one by one. Returns the tries.

    ``deleteMessages`` skips ids it cannot find; when a batch is refused as a whole
    (an old Bot API server, a bad id), each message is tried on its own and the ones
    Telegram will not delete (too old, already gone) are passed over.
    """
    tried = 0
    for start in range(0, len(message_ids), BATCH):
        batch = list(message_ids[start : start + BATCH])
        tried += len(batch)
        try:
            await bot.delete_messages(chat_id, batch)
            continue
        except Forbidden:
            return tried  # the resident blocked the bot: nothing can be deleted
        except TelegramError:
            logger.info("deleteMessages refused in chat %s; one by one", chat_id)
        for message_id in batch:
            try:
                await bot.delete_message(chat_id, message_id)
            except BadRequest:
                continue  # too old or already deleted
            except TelegramError:
                logger.info("could not delete message %s in chat %s", message_id, chat_id)
    return tried


async def quick_exit(update: Update, context: HelplineContext) -> None:
    """Deletes the chat's recorded messages (and the /wis itself), then says goodbye."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or chat.type != "private":
        return
    services = context.services
    now = services.clock()
    async with services.db.session() as session:
        ids = await chatlog.deletable_ids(session, chat_id=chat.id, now=now)
    ids = ids_to_delete(ids, message.message_id if message is not None else None)
    tried = await delete_all(context.bot, chat.id, ids)
    async with services.db.session() as session:
        await chatlog.forget(session, chat_id=chat.id)
    logger.info("quick exit in chat %s: %s messages", chat.id, tried)
    # One short goodbye, on purpose. Only a new message can take away a keyboard still
    # on screen ("share my number"), and the resident sees that it worked. It reads
    # like the end of any chat: no word about help, danger or deleting, which would
    # draw the eye of the person they fear. An empty chat would show the bot's start
    # screen, which says more. The goodbye is recorded, so a second /wis removes it too.
    lang = services.settings.default_language
    user = update.effective_user
    if user is not None and (user.language_code or "").lower().startswith("en"):
        lang = "en"
    try:
        sent = await context.bot.send_message(
            chat.id, services.texts("wipe_done", lang), reply_markup=ReplyKeyboardRemove()
        )
    except TelegramError:
        logger.info("quick exit goodbye to chat %s not sent", chat.id)
        return
    await chatlog.remember(
        services.db, chat_id=chat.id, message_ids=[sent.message_id], outgoing=True, now=now
    )
