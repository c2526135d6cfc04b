"""The coordinator web page: the live queues, claiming, one case with its history.

Every route runs inside ``sessions.page``: the session, the staff member's role and
queues are read from the database at the moment of the request, and a POST needs the
session's form token. Claim and resolve call the same use cases as the Telegram
buttons (``helpline.cases.claim``, ``helpline.cases.resolve.resolve_case``), so the
same conditional updates decide; the card in the queue group is edited after the
transaction commits, as the button edits it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from telegram.error import TelegramError

from flows.cards import age_text, case_buttons
from flows.conversation import markup_json
from helpline.cases.claim import ClaimResult, claim
from helpline.cases.handover import handover_from_page
from helpline.cases.relay import MAX_RELAY_CHARS, relay_text
from helpline.cases.resolve import resolve_case
from helpline.channels import wake_mail_sender
from helpline.services import SERVICES_KEY, HelplineApp
from helpline.web.case_page import NOTICES, WEB_OUTCOMES_EXCLUDED, case_page
from helpline.web.live import live_fragment, row_renderer
from helpline.web.sessions import Page, page
from storage import repository as repo
from storage.models import Request, RequestStatus, Role
from storage.repository.web_views import QueueRow, queue_rows

logger = logging.getLogger(__name__)


def page_routes() -> list[Route]:
    """The page routes (the login routes are in ``helpline.web.login``)."""
    return [
        Route("/web", index, methods=["GET"]),
        Route("/web/", index, methods=["GET"]),
        Route("/web/queues", page(queues_page), methods=["GET"]),
        Route("/web/queues/live", page(queues_live, touch=False), methods=["GET"]),
        Route("/web/requests/{rid:int}", page(case_page), methods=["GET"]),
        Route("/web/requests/{rid:int}/claim", page(claim_request), methods=["POST"]),
        Route("/web/requests/{rid:int}/resolve", page(resolve_request), methods=["POST"]),
        Route("/web/requests/{rid:int}/write", page(write_to_resident), methods=["POST"]),
        Route("/web/requests/{rid:int}/handover", page(hand_over), methods=["POST"]),
    ]


async def index(_: object) -> Response:
    """The start page is the queues."""
    return RedirectResponse("/web/queues", 303)


@dataclass(frozen=True)
class QueueView:
    """One queue on the page."""

    key: str
    label: str
    rows: list[dict[str, object]]


async def _queues(p: Page) -> list[QueueView] | None:
    actor, config = p.who.actor, p.services.config
    if not actor.may("view_queue"):
        return None
    keys = list(config.queues) if actor.may("view_all_queues") else actor.queues
    keys = [k for k in keys if k in config.queues]
    rows = await queue_rows(session=p.session, queues=keys)
    by_queue: dict[str, list[dict[str, object]]] = {k: [] for k in keys}
    now = p.services.clock()
    for row in rows:
        by_queue[row.request.queue].append(_row(p, row, now))
    return [QueueView(k, config.queue_label(k, p.lang), by_queue[k]) for k in keys]


def _row(p: Page, row: QueueRow, now: object) -> dict[str, object]:
    """The card's facts of one request (first name, village, category: no more)."""
    request, config, actor = row.request, p.services.config, p.who.actor
    category = config.categories.get(request.category)
    village = config.villages.get(request.village or "")
    late = (
        request.status == RequestStatus.open
        and row.escalates_at is not None
        and row.escalates_at <= now  # type: ignore[operator]
    )
    return {
        "id": request.id,
        "reference": request.reference,
        "age": age_text((now - request.created_at).total_seconds()),
        "urgency": request.urgency,
        "category": category.label(p.lang) if category else request.category,
        "village": village.name if village else p.t("unknown", p.lang),
        "first_name": row.first_name or p.t("unknown", p.lang),
        "known": "yes" if request.new_or_known == "bekend" else "no",
        "holder": row.holder if request.claimed_by else None,
        "late": late,
        "may_claim": request.claimed_by is None and actor.may("claim", request),
        "may_open": actor.may("view_case", request),
    }


async def queues_page(p: Page) -> Response:
    """The queues I may see, with their open and claimed requests."""
    queues = await _queues(p)
    if queues is None:
        return p.render("message.html", 403, message="not_allowed")
    notice = p.request.query_params.get("m")
    return p.render(
        "queues.html",
        queues=queues,
        notice=notice if notice in NOTICES else None,
        row_html=row_renderer(p.request, p.services, p.who.csrf),
    )


async def queues_live(p: Page) -> Response:
    """The queues alone, for the page's script to swap in (every second; shared, cached)."""
    return await live_fragment(p, _queues)


async def claim_request(p: Page) -> Response:
    """Claims a request from the page: the same use case as the card's button."""
    staff = p.who.actor.staff
    outcome = await claim(
        p.session, p.services, staff, int(p.request.path_params["rid"]), via="web"
    )
    if outcome.result == ClaimResult.gone:
        return p.render("message.html", 404, message="not_allowed")
    if outcome.result == ClaimResult.not_your_queue:
        return p.render("message.html", 403, message="not_allowed")
    if not outcome.won or outcome.request is None or not outcome.details or not outcome.card:
        return RedirectResponse("/web/queues?m=claim_taken", 303)
    request, services = outcome.request, p.services
    task = None
    if outcome.result == ClaimResult.won:
        # The claimer's private chat gets the details and case buttons, as after a press.
        volunteer = staff.role == Role.volunteer
        lang = services.staff_language
        buttons = case_buttons(services.texts, lang, request.id or 0, volunteer=volunteer)
        await repo.enqueue(
            session=p.session,
            chat_id=staff.telegram_user_id,
            text=services.cards.details(outcome.details, volunteer=volunteer),
            reply_markup=markup_json(buttons),
            purpose="details",
            request_id=request.id,
            now=services.clock(),
        )
        text = services.cards.card(outcome.card, claimed_by=staff.name)
        task = BackgroundTask(_after_claim, p.application, request, text)
    return RedirectResponse("/web/queues?m=claim_won", 303, background=task)


async def _after_claim(application: HelplineApp, request: Request, text: str) -> None:
    """After the commit: the card in the queue group shows who took it (button gone)."""
    application.bot_data[SERVICES_KEY].dispatcher.kick(application)
    if request.card_chat_id is None or request.card_message_id is None:
        return  # the card is not in the group yet; it will come with its button
    try:
        await application.bot.edit_message_text(
            text, chat_id=request.card_chat_id, message_id=request.card_message_id
        )
    except TelegramError as exc:
        logger.info("card of request %s not edited: %s", request.id, type(exc).__name__)


async def _path_request(p: Page, action: str) -> Request | None:
    """The request the path names, if this staff member may ``action`` it (checked in
    the page's transaction); None for one that does not exist, so nothing is revealed."""
    rid = int(p.request.path_params["rid"])
    request = await repo.get_request(session=p.session, request_id=rid)
    if request is None or not p.who.actor.may(action, request):
        return None
    return request


def _kick(application: HelplineApp) -> BackgroundTask:
    """After the commit: the outbox goes at once."""
    return BackgroundTask(application.bot_data[SERVICES_KEY].dispatcher.kick, application)


async def write_to_resident(p: Page) -> Response:
    """The holder's message to the resident: the same relay as ✉️ Schrijven in Telegram."""
    request = await _path_request(p, "view_case")
    if request is None:
        return p.render("message.html", 403, message="not_allowed")
    text = str((await p.request.form()).get("text") or "")[: MAX_RELAY_CHARS + 1]
    relayed = await relay_text(p.session, p.services, p.who.actor, request, text)
    task = None
    if relayed.how in ("chat", "email"):
        task = BackgroundTask(_after_write, p.application)
    return RedirectResponse(
        f"/web/requests/{request.id}?m=write_{relayed.how}", 303, background=task
    )


async def hand_over(p: Page) -> Response:
    """The holder hands the request to another team: the same rules as in Telegram."""
    request = await _path_request(p, "view_case")
    if request is None:
        return p.render("message.html", 403, message="not_allowed")
    form = await p.request.form()
    notice = await handover_from_page(
        p.session,
        p.services,
        p.who.actor,
        request,
        queue=str(form.get("queue") or ""),
        basis=str(form.get("basis") or ""),
        reason=str(form.get("reason") or "")[:2000],
        note=str(form.get("note") or "")[:2000],
    )
    task = _kick(p.application) if notice == "handover_sent" else None
    return RedirectResponse(f"/web/requests/{request.id}?m={notice}", 303, background=task)


async def _after_write(application: HelplineApp) -> None:
    """After the commit: the outbox and the mail sender go at once."""
    application.bot_data[SERVICES_KEY].dispatcher.kick(application)
    wake_mail_sender(application)


async def resolve_request(p: Page) -> Response:
    """Closes a request with an outcome: the same use case as the case button."""
    request = await _path_request(p, "resolve")
    if request is None:
        return p.render("message.html", 403, message="not_allowed")
    form = await p.request.form()
    outcome = form.get("outcome")
    config = p.services.config
    if not isinstance(outcome, str) or outcome not in config.outcomes:
        return p.render("message.html", 400, message="bad_outcome")
    if outcome in WEB_OUTCOMES_EXCLUDED or request.status not in (
        RequestStatus.open,
        RequestStatus.claimed,
    ):
        return RedirectResponse(f"/web/requests/{request.id}?m=resolve_failed", 303)
    await resolve_case(p.session, p.services, p.who.actor, request, outcome, None)
    notice = "resolved" if request.status == RequestStatus.resolved else "resolve_failed"
    return RedirectResponse(
        f"/web/requests/{request.id}?m={notice}", 303, background=_kick(p.application)
    )
