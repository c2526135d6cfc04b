"""Direct Telegram calls from handlers that a passing Telegram hiccup must not break.

Messages that must not be lost go through the outbox; these are the replies a handler
sends at once (the resident's next prompt, an edit of the pressed message). A double
press makes an edit "not modified", an old message may be gone, a 502 or a timeout
passes after a moment: none of these is an error of the update.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from helpline.render import Markup

logger = logging.getLogger(__name__)

ATTEMPTS = 3
PAUSE_SECONDS = 0.5


async def answer_query(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answers a button press (stops the spinner, or shows ``text``); failing is fine.

    Telegram refuses a second answer and one after about 15 s: "query is too old". That
    happens after a restart, when the press is delivered again (the first run answered it
    and died before it confirmed the update). The press itself must still be handled.
    """
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        logger.info("button press not answered: %s", exc.message)
    except TelegramError:  # a timeout or a 5xx: the spinner stops by itself
        logger.warning("answer to a button press failed", exc_info=True)


async def edit_pressed(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edits the message whose button was pressed; unchanged or vanished is fine."""
    message = query.message
    if not isinstance(message, Message):  # deleted, or otherwise out of the bot's reach
        logger.info("pressed message not edited: no longer accessible")
        return
    data = {"chat_id": message.chat_id, "message_id": message.message_id, "text": text}
    try:
        # As ``query.edit_message_text`` asks it; the edited message Telegram answers with
        # is not needed, so not built (see ``send_text``).
        await query.get_bot()._post("editMessageText", data | {"reply_markup": markup})
    except BadRequest as exc:  # "message is not modified" (a double press), or it is gone
        logger.info("pressed message not edited: %s", exc.message)
    except TelegramError:
        logger.warning("edit of a pressed message failed", exc_info=True)


async def send_retrying(bot: Bot, chat_id: int, text: str, markup: Markup | str = None) -> int:
    """Sends a message, trying again after a short pause on a 5xx or a timeout.

    A timeout may mean Telegram did take it: then the person sees a prompt twice, which
    is better than none. 403, 400 and (without the rate limiter) 429 are raised at once.

    Returns:
        The id Telegram gave the message.

    Raises:
        telegram.error.TelegramError: When Telegram refused it, or kept failing.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await send_text(bot, chat_id, text, markup)
        except (Forbidden, BadRequest, RetryAfter):
            raise
        except NetworkError:  # also TimedOut; PTB maps 5xx answers to NetworkError
            if attempt == ATTEMPTS:
                raise
            logger.info("send to chat %s failed (attempt %s), trying again", chat_id, attempt)
            await asyncio.sleep(PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


async def send_text(bot: Bot, chat_id: int, text: str, markup: Markup | str = None) -> int:
    """``bot.send_message``, reading only the new message's id from Telegram's answer.

    The request is the one ``send_message`` makes, through the same path (the rate
    limiter, the error mapping); what is skipped is building a whole ``Message`` from the
    answer, which cost a fifth of a resident's update and of which only the id is used.
    ``markup`` may be a keyboard or its Bot API JSON (``render.wire_markup``, an outbox
    row's stored keyboard), which goes out as it is.

    Raises:
        telegram.error.TelegramError: As ``send_message`` raises it.
    """
    data = {"chat_id": chat_id, "text": text, "reply_markup": markup}
    result = await bot._post("sendMessage", data)  # PTB's own request path, without the parse
    return int(result["message_id"])
