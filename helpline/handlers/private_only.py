"""Staff commands whose answer names residents are answered only in a private chat.

In a queue group every member would read the answer; there the command gets a pointer
to the private chat instead (the cards in the group show no more than their minimum).
"""

from __future__ import annotations

import functools

from telegram import Update
from telegram.constants import ChatType

from helpline.handlers.turn import Handler
from helpline.services import HelplineContext


def private_only(handler: Handler) -> Handler:
    """Wraps a command handler: in a group it answers with a pointer to the private chat."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: HelplineContext) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is not None and chat.type != ChatType.PRIVATE:
            if message is not None:
                services = context.services
                await message.reply_text(
                    services.texts("private_chat_only", services.staff_language)
                )
            return
        await handler(update, context)

    return guarded
