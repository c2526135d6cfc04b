"""``/beschikbaar``, ``/agenda``, ``/contactpersoon``, and the typed answers to a call
prompt (a date/time, a closing note).

Typed answers: a press that asks for text stores a ``staff_prompt`` row; the next plain
message of that person answers it (handled before the relay, group -1). A command
drops the prompt; anything but text gets the question again. What each of these does
is decided in ``helpline.cases.call_admin`` and ``helpline.cases.call_prompts``.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from helpline.cases import call_admin, call_prompts
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import inline_markup
from helpline.services import HelplineContext

AVAILABILITY_COMMANDS = ["beschikbaar"]
AGENDA_COMMANDS = ["agenda"]
CONTACT_COMMANDS = ["contactpersoon"]


@on_command
async def availability_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/beschikbaar ma 10-12, wo 14-16``: stores when I can call; without text shows it."""
    services, message = turn.services, turn.message
    typed = (message.text or "").partition(" ")[2].strip()
    async with services.db.session() as session:
        actor = await turn.actor(session, "set_availability", refusal="not_staff_command")
        if actor is None:
            return
        reply = await call_admin.availability(session, services, actor, typed)
    await message.reply_text(reply)


@on_command
async def agenda_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/agenda``: my scheduled calls today and in the coming days."""
    services = turn.services
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_agenda", refusal="not_staff_command")
        if actor is None:
            return
        reply = await call_admin.agenda(session, services, actor)
    await turn.message.reply_text(reply)


@on_command
async def contact_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/contactpersoon HH-2026-00042 Naam [telegram-id]``: the telefooncirkel's contact."""
    services, message = turn.services, turn.message
    words = (message.text or "").split()[1:]
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        reply = await call_admin.contact_person(session, services, actor, words)
    await message.reply_text(reply)


async def prompt_input(update: Update, context: HelplineContext) -> None:
    """A staff member's next message after a call prompt: a date/time or a closing note.

    Raises ``ApplicationHandlerStop`` when it used the message, so the relay never sees it.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await context.sender_is_staff(user.id):
        return  # residents: no prompt to answer (the lookup is shared with the relay)
    services = context.services
    async with services.db.session() as session:
        answer = await call_prompts.answer_prompt(session, services, user.id, message.text or "")
    if answer is None:
        return
    reply, buttons = answer
    await message.reply_text(reply, reply_markup=inline_markup(buttons) if buttons else None)
    services.dispatcher.kick(context.application)
    raise ApplicationHandlerStop
