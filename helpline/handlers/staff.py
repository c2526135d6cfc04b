"""Staff in Telegram: the Claim button on queue cards, and /start in their private chat.

Every action checks who is pressing: non-staff and staff outside the request's
queue are refused without learning anything about the resident.
"""

from __future__ import annotations

from telegram.error import Forbidden

from flows.cards import case_buttons
from flows.conversation import parse_callback
from helpline.cases.access import Actor
from helpline.cases.claim import ClaimResult, claim_as
from helpline.cases.core import Services
from helpline.handlers.turn import ButtonTurn, on_query
from helpline.render import inline_markup
from helpline.safe_send import answer_query, edit_pressed, send_text
from helpline.services import HelplineContext
from storage.models import Role

CLAIM_PATTERN = r"^req:claim:\d{1,12}$"


@on_query
async def claim_button(turn: ButtonTurn, context: HelplineContext) -> None:
    """Claims the request on the card for the presser, if they may and nobody was first."""
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    # Malformed data is not refused first: a non-staff presser hears only that they are not staff.
    parsed = parse_callback(query.data or "")
    request_id = int(parsed.value) if parsed else 0
    async with services.db.session() as session:
        # The same use case as the web page's claim (helpline.cases.claim).
        claimed = await claim_as(session, services, turn.user.id, request_id)
        if claimed is None:
            await turn.popup("claim_not_staff")
            return
    staff, outcome = claimed
    if outcome.result == ClaimResult.gone:
        await turn.popup("claim_gone")
        return
    if outcome.result == ClaimResult.not_your_queue:
        await turn.popup("claim_not_your_queue")
        return
    if not outcome.won or outcome.request is None or not outcome.details or not outcome.card:
        await turn.popup("claim_taken", staff=outcome.holder or "?")
        return
    request, details = outcome.request, outcome.details
    # Shows on the card who took it and removes the button.
    await edit_pressed(query, services.cards.card(outcome.card, claimed_by=staff.name))
    is_volunteer = staff.role == Role.volunteer
    try:
        await send_text(
            context.bot,
            staff.telegram_user_id,
            services.cards.details(details, volunteer=is_volunteer),
            inline_markup(
                case_buttons(
                    t,
                    lang,
                    request_id,
                    volunteer=is_volunteer,
                    dial=services.settings.dial_url is not None,
                )
            ),
        )
    except Forbidden:
        await turn.popup("claim_open_private_chat", reference=request.reference)
        return
    await answer_query(query, t("claim_won", lang, reference=request.reference))


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
