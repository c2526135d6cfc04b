"""The privacy page (coordinators and admins): erasure requests that wait for approval,
decided with the same use case as the approval card's buttons in Telegram.

A resident with open requests who asks to be forgotten waits for a coordinator: the
page lists each request with the references it would stop (no name, no number), and
**Wissen** / **Weigeren** decide it — the first decision wins (a conditional update).
After an approval the WAL is wiped and the forgotten resident told, as from Telegram.
Access exports stay with ``/mijngegevens`` and ``helpline privacy export``.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from helpline.cases.erasure import COORDINATORS, after_decision, decide_erasure
from helpline.services import SERVICES_KEY
from helpline.web.sessions import Page, page
from storage.repository import privacy as privacy_repo

NOTICES = frozenset({"erasure_done", "erasure_refused", "erasure_decided"})


def privacy_routes() -> list[Route]:
    """The privacy page and its two decisions."""
    return [
        Route("/web/privacy", page(privacy_page), methods=["GET"]),
        Route("/web/privacy/{erasure_id:int}/approve", page(approve), methods=["POST"]),
        Route("/web/privacy/{erasure_id:int}/refuse", page(refuse), methods=["POST"]),
    ]


async def privacy_page(p: Page) -> Response:
    """The erasure requests that wait for a coordinator, oldest first."""
    if p.who.actor.staff.role not in COORDINATORS:
        return p.render("message.html", 403, message="not_allowed")
    zone = p.services.settings.zone
    waiting = [
        {
            "id": row.id,
            "since": row.requested_at.astimezone(zone).strftime("%d-%m-%Y %H:%M"),
            "references": ", ".join(references) or "-",
        }
        for row, references in await privacy_repo.pending_erasures(session=p.session)
    ]
    notice = p.request.query_params.get("m")
    return p.render("privacy.html", waiting=waiting, notice=notice if notice in NOTICES else None)


async def approve(p: Page) -> Response:
    """Erases the resident now (the first decision wins)."""
    return await _decide(p, approve=True)


async def refuse(p: Page) -> Response:
    """Keeps the resident's data and tells them (the first decision wins)."""
    return await _decide(p, approve=False)


async def _decide(p: Page, *, approve: bool) -> Response:
    if p.who.actor.staff.role not in COORDINATORS:
        return p.render("message.html", 403, message="not_allowed")
    erasure_id = int(p.request.path_params["erasure_id"])
    decision = await decide_erasure(p.session, p.services, p.who.actor, erasure_id, approve=approve)
    if not decision.decided:
        return RedirectResponse("/web/privacy?m=erasure_decided", 303)
    application = p.application

    async def finish() -> None:  # after the commit, as the Telegram edge does
        await after_decision(p.services, application.bot, decision)
        application.bot_data[SERVICES_KEY].dispatcher.kick(application)

    notice = "erasure_done" if approve else "erasure_refused"
    return RedirectResponse(f"/web/privacy?m={notice}", 303, background=BackgroundTask(finish))
