"""Editing screen pops Telegram already shows: a call answered, ended or linked to a request.

The webhooks, Asterisk's events and the pop's own buttons all end in an edit of the pops
they changed; this is the one Telegram edge that makes those edits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application

from helpline.cases.call_outcome import PopEdit
from helpline.services import SERVICES_KEY
from storage.repository.telephony import sent_message_id

logger = logging.getLogger(__name__)

IN_FLIGHT_WAIT, IN_FLIGHT_POLL = 10.0, 0.05  # seconds


async def edit_pops(
    application: Application[Any, Any, Any, Any, Any, Any], edits: list[PopEdit]
) -> None:
    """Edits pops Telegram shows; best effort (a failed edit leaves the pop as it was).

    A pop still in flight (Telegram has it, the outbox has not yet noted its message id)
    is edited once the id is there, waiting at most ``IN_FLIGHT_WAIT`` seconds.
    """
    services = application.bot_data[SERVICES_KEY]
    for edit in edits:
        message_id = edit.message_id
        for _ in range(int(IN_FLIGHT_WAIT / IN_FLIGHT_POLL)):
            if message_id is not None:
                break
            await asyncio.sleep(IN_FLIGHT_POLL)
            async with services.db.session() as session:
                message_id = await sent_message_id(session=session, outbox_id=edit.outbox_id)
        if message_id is None:
            logger.info("screen pop not edited: not sent within %s s", IN_FLIGHT_WAIT)
            continue
        try:
            await application.bot.edit_message_text(
                edit.text, chat_id=edit.chat_id, message_id=message_id
            )
        except TelegramError as exc:
            logger.info("screen pop not edited: %s", type(exc).__name__)
