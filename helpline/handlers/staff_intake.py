"""``/nieuw``: staff register a phone call, walk-in or email on the resident's behalf.

The draft is an ``intake_draft`` row with ``flow = "staff"`` in the staff member's
private chat, so it survives a restart like the resident intake does.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from flows import phone_intake as pi
from flows.conversation import Input, Reply
from helpline.cases.access import Actor, actor_for
from helpline.cases.core import Services
from helpline.cases.drafts import staff_draft, store_staff_draft
from helpline.cases.staff_intake import submit_staff_intake
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import reply_markup, to_input
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import IntakeDraft

STAFF_FLOW = "staff"
PI_PATTERN = r"^pi:[a-z_]{1,16}:[A-Za-z0-9_-]{1,40}$"


@on_command
async def new_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Starts a staff intake in the private chat (staff, coordinators and admins only)."""
    services, lang, chat = turn.services, turn.lang, turn.chat
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        refusal = (
            "not_staff_command"
            if actor is None
            else "not_for_volunteers"
            if not actor.may("phone_intake")
            else "private_chat_only"
            if chat.type != "private"
            else None
        )
        if refusal is not None:
            await turn.reply(refusal)
            return
        outcome = pi.begin(services.intake, lang)
        await repo.delete_draft(session=session, chat_id=chat.id)
        row = IntakeDraft(
            chat_id=chat.id,
            user_id=turn.user.id,
            flow=STAFF_FLOW,
            step="",
            language=lang,
            created_at=services.clock(),
        )
        store_staff_draft(services, row, outcome.draft)
        session.add(row)
    await _send(context, chat.id, outcome.replies)


async def staff_intake_input(update: Update, context: HelplineContext) -> bool:
    """Feeds a staff member's message or button to their open staff intake; False if none."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return False
    services = context.services
    async with services.db.session() as session:
        row = await repo.get_draft(session=session, chat_id=chat.id)
        if row is None or row.flow != STAFF_FLOW:
            return False
        actor = await actor_for(session, user.id)
        if actor is None or not actor.may("phone_intake"):
            return False
        if update.callback_query is not None:
            await answer_query(update.callback_query)
        replies = await _advance(session, services, actor, row, to_input(update))
    await _send(context, chat.id, replies)
    services.dispatcher.kick(context.application)
    return True


async def _advance(
    session: AsyncSession, services: Services, actor: Actor, row: IntakeDraft, event: Input
) -> tuple[Reply, ...]:
    lang = services.staff_language
    outcome = pi.step(services.intake, staff_draft(row), event, lang)
    if outcome.cancelled:
        await repo.delete_draft(session=session, chat_id=row.chat_id)
        return outcome.replies
    if not outcome.done:
        store_staff_draft(services, row, outcome.draft)
        return outcome.replies
    request = await submit_staff_intake(session, services, actor=actor, draft=outcome.draft)
    await repo.delete_draft(session=session, chat_id=row.chat_id)
    known = services.texts(
        "known_known" if request.new_or_known == "bekend" else "known_new", lang, count="", open=""
    )
    text = services.texts(
        "pi_submitted",
        lang,
        reference=request.reference,
        queue=services.config.queue_label(request.queue, lang),
        known=known,
    )
    return (Reply(text),)


async def _send(context: HelplineContext, chat_id: int, replies: tuple[Reply, ...]) -> None:
    for reply in replies:
        await context.bot.send_message(chat_id, reply.text, reply_markup=reply_markup(reply))
