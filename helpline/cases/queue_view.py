"""What a staff member sees of the work: the open requests of their queues (``/wachtrij``)
and the requests they hold (``/mijn``).

The edge finds the staff member and checks the command's permission in the same
transaction; these read the requests and return the messages to send, in order.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.cards import URGENCY_ICONS, age_text, case_buttons
from flows.conversation import Button, callback, rows
from helpline.cases import audit, cards
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Role

MAX_LISTED = 20


async def waiting(session: AsyncSession, services: Services, actor: Actor) -> Answer:
    """The open requests of ``actor``'s queues (all queues for whoever may see them all),
    urgent first, one line each, with a claim button per request; or the text that
    there are none."""
    t, lang, config = services.texts, services.staff_language, services.config
    sees_all = actor.may("view_all_queues")
    requests = await repo.open_requests(
        session=session, queues=None if sees_all else actor.queues, limit=MAX_LISTED
    )
    if not requests:
        return t("queue_empty", lang), ()
    now = services.clock()
    lines = [t("queue_header", lang, count=len(requests))]
    buttons = []
    for request in requests:
        category = config.categories.get(request.category)
        village = config.villages.get(request.village or "")
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
    return "\n".join(lines), rows(buttons, 2)


async def held(session: AsyncSession, services: Services, actor: Actor) -> list[Answer]:
    """The requests ``actor`` holds: a header, then each request with its case buttons;
    or the one text that there are none.

    Each line shows the resident's first name, so each request listed is audited as
    its details viewed.
    """
    t, lang, config = services.texts, services.staff_language, services.config
    requests = await repo.held_requests(session=session, staff_id=actor.id)
    listed = requests[:MAX_LISTED]
    views = [await cards.case_view(session, r) for r in listed]
    for request in listed:
        await audit.record(
            session, services, actor.id, AuditAction.view_details, request, "via=mine"
        )
    if not views:
        return [(t("mine_empty", lang), ())]
    answers: list[Answer] = [(t("mine_header", lang, count=len(requests)), ())]
    volunteer = actor.staff.role == Role.volunteer  # the same buttons as after a claim
    dial = services.settings.dial_url is not None
    for view in views:
        category = config.categories.get(view.category)
        text = t(
            "case_menu",
            lang,
            reference=view.reference,
            category=category.label(lang) if category else view.category,
            first_name=view.first_name or t("unknown", lang),
        )
        buttons = case_buttons(t, lang, view.request_id, volunteer=volunteer, dial=dial)
        answers.append((URGENCY_ICONS.get(view.urgency, "") + text, buttons))
    return answers
