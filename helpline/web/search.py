"""Search on the web page: by reference, phone number (any notation), first name or village.

The search is a POST (with the form token): what was searched for, often a phone number,
never lands in an address, a browser history or a proxy's log. Results are the requests
the searcher may open (``view_case``), with the card's facts; each listed request is an
audit row (``view_details``, ``via=web_search``), as each line of ``/mijn`` is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from flows.config import FlowConfig
from flows.phone import normalise_phone
from helpline.cases import audit
from helpline.web.sessions import Page, page
from storage.models import AuditAction
from storage.repository.web_views import search_requests

MAX_QUERY = 100
_REFERENCE = re.compile(r"^([A-Za-z]{1,8})-(\d{4})-(\d{1,6})$")


def search_routes() -> list[Route]:
    """The search form and its results."""
    return [
        Route("/web/search", page(search_form), methods=["GET"]),
        Route("/web/search", page(search), methods=["POST"]),
    ]


@dataclass(frozen=True)
class Query:
    """What a typed search means: exactly one of the fields is set (none: unreadable)."""

    reference: str | None = None
    phone: str | None = None
    village: str | None = None
    name: str | None = None


def read_query(typed: str, config: FlowConfig) -> Query:
    """A reference (``hh-2026-42`` → ``HH-2026-00042``), a phone number in any notation
    (normalised as everywhere, E.164), a village (name or key), else part of a first name."""
    text = " ".join(typed.split())[:MAX_QUERY]
    reference = _REFERENCE.match(text)
    if reference:
        prefix, year, number = reference.groups()
        return Query(reference=f"{prefix.upper()}-{year}-{int(number):05d}")
    if sum(c.isdigit() for c in text) >= 6:
        return Query(phone=normalise_phone(text))  # not a valid number: finds nothing
    village = config.village_by_name(text) if text else None
    if village is not None:
        return Query(village=village.key)
    return Query(name=text) if len(text) >= 2 else Query()


async def search_form(p: Page) -> Response:
    """The empty search form."""
    if not p.who.actor.may("search"):
        return p.render("message.html", 403, message="not_allowed")
    return p.render("search.html", typed="", results=None)


async def search(p: Page) -> Response:
    """Runs the search and lists what this staff member may open."""
    actor, config = p.who.actor, p.services.config
    if not actor.may("search"):
        return p.render("message.html", 403, message="not_allowed")
    typed = str((await p.request.form()).get("q") or "")[:MAX_QUERY]
    query = read_query(typed, config)
    found = await search_requests(
        session=p.session,
        reference=query.reference,
        phone=query.phone,
        village=query.village,
        name=query.name,
        queues=None if actor.may("view_all_queues") else actor.queues,
    )
    results = []
    for item in found:
        request = item.request
        if not actor.may("view_case", request):
            continue
        await audit.record(
            p.session, p.services, actor.id, AuditAction.view_details, request, "via=web_search"
        )
        category = config.categories.get(request.category)
        village = config.villages.get(request.village or "")
        local = request.created_at.astimezone(p.services.settings.zone)
        results.append(
            {
                "id": request.id,
                "reference": request.reference,
                "date": local.strftime("%d-%m-%Y"),
                "state": str(request.status),
                "queue": config.queue_label(request.queue, p.lang),
                "category": category.label(p.lang) if category else request.category,
                "village": village.name if village else p.t("unknown", p.lang),
                "first_name": item.first_name or p.t("unknown", p.lang),
            }
        )
    return p.render("search.html", typed=typed, results=results)
