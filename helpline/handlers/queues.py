"""/wachtrij (/queue) and /mijn: what is waiting in my queues, and what I hold."""

from __future__ import annotations

from flows.cards import URGENCY_ICONS, age_text, case_buttons
from flows.conversation import Button, callback, rows
from helpline.cases import audit, cards
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import inline_markup
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Role

MAX_LISTED = 20


@on_command
async def queue_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists open requests of my queues (all for coordinators), urgent first, with claim buttons."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_queue", refusal="not_staff_command")
        if actor is None:
            return
        sees_all = actor.may("view_all_queues")
        requests = await repo.open_requests(
            session=session, queues=None if sees_all else actor.queues, limit=MAX_LISTED
        )
    if not requests:
        await turn.reply("queue_empty")
        return
    now = services.clock()
    lines = [t("queue_header", lang, count=len(requests))]
    buttons = []
    for request in requests:
        category = services.config.categories.get(request.category)
        village = services.config.villages.get(request.village or "")
        lines.append(
            t(
                "queue_line",
                lang,
                icon=URGENCY_ICONS.get(request.urgency, ""),
                reference=request.reference,
                category=category.label(lang) if category else request.category,
                village=village.name if village else t("unknown", lang),
                age=age_text((now - request.created_at).total_seconds()),
            )
        )
        buttons.append(Button(f"✋ {request.reference}", callback("req", "claim", request.id)))
    await message.reply_text("\n".join(lines), reply_markup=inline_markup(rows(buttons, 2)))


@on_command
async def mine_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Lists the requests I hold, each with its case buttons."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        held = await repo.held_requests(session=session, staff_id=actor.id)
        views = [await cards.case_view(session, r) for r in held[:MAX_LISTED]]
        for request in held[:MAX_LISTED]:  # each line shows the resident's first name
            await audit.record(
                session, services, actor.id, AuditAction.view_details, request, "via=mine"
            )
    if not views:
        await turn.reply("mine_empty")
        return
    await turn.reply("mine_header", count=len(held))
    for view in views:
        category = services.config.categories.get(view.category)
        text = t(
            "case_menu",
            lang,
            reference=view.reference,
            category=category.label(lang) if category else view.category,
            first_name=view.first_name or t("unknown", lang),
        )
        volunteer = actor.staff.role == Role.volunteer  # the same buttons as after a claim
        dial = services.settings.dial_url is not None
        markup = inline_markup(
            case_buttons(t, lang, view.request_id, volunteer=volunteer, dial=dial)
        )
        await message.reply_text(URGENCY_ICONS.get(view.urgency, "") + text, reply_markup=markup)
