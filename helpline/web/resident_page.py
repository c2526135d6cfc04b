"""A resident's page: all their requests, for the bekendheidscheck by a person.

Reached from a case page (the resident's id, never a name or number, is in the
address). Staff, coordinators and admins who may search (``search``: a number finds a
person) see the requests they may open (``view_case``), and only their count
otherwise; the first name and village as on a card. Every opening is an audit row per
request listed (``view_details``, ``via=web_resident``), as a search's are.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from helpline.cases import audit
from helpline.web.sessions import Page, page
from storage.models import AuditAction, Resident
from storage.repository.web_views import resident_requests


def resident_routes() -> list[Route]:
    """The resident's page."""
    return [Route("/web/residents/{resident_id:int}", page(resident_page), methods=["GET"])]


async def resident_page(p: Page) -> Response:
    """The resident's requests this staff member may open, and how many more there are."""
    actor, config, zone = p.who.actor, p.services.config, p.services.settings.zone
    resident = await p.session.get(Resident, int(p.request.path_params["resident_id"]))
    if not actor.may("search") or resident is None or resident.anonymised_at is not None:
        return p.render("message.html", 403, message="not_allowed")
    requests = await resident_requests(session=p.session, resident_id=resident.id or 0)
    shown = [r for r in requests if actor.may("view_case", r)]
    if not shown:  # none of theirs this staff member may see: nothing about the person
        return p.render("message.html", 403, message="not_allowed")
    rows = []
    for request in shown:
        await audit.record(
            p.session, p.services, actor.id, AuditAction.view_details, request, "via=web_resident"
        )
        category = config.categories.get(request.category)
        rows.append(
            {
                "id": request.id,
                "reference": request.reference,
                "date": request.created_at.astimezone(zone).strftime("%d-%m-%Y"),
                "state": str(request.status),
                "queue": config.queue_label(request.queue, p.lang),
                "category": category.label(p.lang) if category else request.category,
            }
        )
    village = config.villages.get(resident.village or "")
    return p.render(
        "resident.html",
        first_name=resident.first_name or p.t("unknown", p.lang),
        village=village.name if village else p.t("unknown", p.lang),
        since=resident.created_at.astimezone(zone).strftime("%d-%m-%Y"),
        rows=rows,
        hidden=len(requests) - len(shown),
    )
