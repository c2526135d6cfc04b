"""Staff in Telegram: the Claim button on queue cards, and /start in their private chat.

Every action checks who is pressing: non-staff and staff outside the request's
queue are refused without learning anything about the resident.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

from flows.cards import case_buttons
from flows.conversation import parse_callback
from helpline.cases import audit, cards
from helpline.cases.access import Actor
from helpline.cases.core import Services
from helpline.handlers.turn import query_turn
from helpline.render import inline_markup
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Channel, Direction, Request, RequestStatus, Role, Staff

logger = logging.getLogger(__name__)

CLAIM_PATTERN = r"^req:claim:\d{1,12}$"
COORDINATING_ROLES = (Role.coordinator, Role.admin)


def may_handle(staff: Staff, queues: list[str], request: Request) -> bool:
    """Coordinators and admins handle any queue; others only their own queues."""
    return staff.role in COORDINATING_ROLES or request.queue in queues


async def claim_button(update: Update, context: HelplineContext) -> None:
    """Claims the request on the card for the presser, if they may and nobody was first."""
    turn = query_turn(update, context)
    if turn is None:
        return
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    # Malformed data is not refused first: a non-staff presser hears only that they are not staff.
    parsed = parse_callback(query.data or "")
    request_id = int(parsed.value) if parsed else 0
    async with services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=turn.user.id)
        if staff is None or staff.id is None:
            await answer_query(query, t("claim_not_staff", lang), alert=True)
            return
        request = await repo.get_request(session=session, request_id=request_id)
        if request is None:
            await answer_query(query, t("claim_gone", lang), alert=True)
            return
        queues = await repo.staff_queues(session=session, staff_id=staff.id)
        if not may_handle(staff, queues, request):
            await answer_query(query, t("claim_not_your_queue", lang), alert=True)
            return
        # The holder pressing again (e.g. the details never came because the bot stopped
        # right after the claim) gets the details again; nothing is claimed or logged twice.
        again = request.claimed_by == staff.id and request.status == RequestStatus.claimed
        # Already taken as read: lost without asking (the conditional UPDATE is what
        # decides a race; a request seen taken cannot be won in this transaction).
        taken = request.claimed_by is not None or request.status != RequestStatus.open
        won = again or (
            not taken
            and await repo.claim_request(
                session=session, request_id=request_id, staff_id=staff.id, now=services.clock()
            )
        )
        if won and not again:
            await repo.cancel_escalations(
                session=session, request_id=request_id, now=services.clock()
            )
            await repo.log_contact(
                session=session,
                occurred_at=services.clock(),
                channel=Channel.telegram,
                direction=Direction.internal,
                event="claim",
                staff_id=staff.id,
                **repo.request_contact_fields(request),
            )
        if won:
            details = await cards.case_view(session, request, full=True)
            # The card shows the same facts without the question and phone: no second lookup.
            view = replace(details, question=None, phone=None)
            # Audited in the claim's transaction, before the send: a view is never missed.
            await audit.record(
                session,
                services,
                actor_id=staff.id,
                action=AuditAction.view_details,
                request=request,
                detail="via=claim" + (" phone=no" if staff.role == Role.volunteer else ""),
            )
        else:
            holder = (
                await repo.get_staff_by_id(session=session, staff_id=request.claimed_by)
                if request.claimed_by
                else None
            )
    if not won:
        name = holder.name if holder else "?"
        await answer_query(query, t("claim_taken", lang, staff=name), alert=True)
        return
    await _mark_card(query, services.cards.card(view, claimed_by=staff.name))
    is_volunteer = staff.role == Role.volunteer
    try:
        await context.bot.send_message(
            staff.telegram_user_id,
            services.cards.details(details, volunteer=is_volunteer),
            reply_markup=inline_markup(case_buttons(t, lang, request_id, volunteer=is_volunteer)),
        )
    except Forbidden:
        await answer_query(
            query, t("claim_open_private_chat", lang, reference=request.reference), alert=True
        )
        return
    await answer_query(query, t("claim_won", lang, reference=request.reference))


async def _mark_card(query: object, text: str) -> None:
    """Shows on the card who took it and removes the button."""
    try:
        await query.edit_message_text(text)  # type: ignore[attr-defined]
    except BadRequest:  # e.g. "message is not modified" after a double press
        logger.debug("card not edited", exc_info=True)
    except TelegramError:
        logger.warning("card edit failed", exc_info=True)


def staff_welcome(services: Services, actor: Actor) -> str:
    """The greeting for a registered staff member: role and queues."""
    lang = services.staff_language
    labels = ", ".join(services.config.queue_label(q, lang) for q in actor.queues) or "-"
    return (
        services.texts(
            "staff_welcome", lang, name=actor.staff.name, role=str(actor.staff.role), queues=labels
        )
        + "\n\n"
        + services.texts("staff_help", lang)
    )
