"""The agenda on the web page: the scheduled calls of the coming week per caller, open
telefooncirkel alerts and the phone rota.

Everyone who plans calls sees their own (``view_agenda``, as ``/agenda``); coordinators
and admins (``view_all_queues``) see every caller's, the open alerts and the rota
(``/rooster``). Calls still open from earlier days are listed first, marked overdue.
Only a first name and the request's reference per call, as in Telegram.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from starlette.responses import Response
from starlette.routing import Route

from helpline.cases import rota
from helpline.web.sessions import Page, page
from storage import repository as repo

DAYS = 7
OVERDUE_DAYS = 30  # calls left open this long ago still show, as overdue


def agenda_routes() -> list[Route]:
    """The agenda page."""
    return [Route("/web/agenda", page(agenda_page), methods=["GET"])]


async def agenda_page(p: Page) -> Response:
    """The coming week's calls (mine, or everyone's for a coordinator), alerts and rota."""
    actor, services = p.who.actor, p.services
    if not actor.may("view_agenda"):
        return p.render("message.html", 403, message="not_allowed")
    everyone = actor.may("view_all_queues")
    zone, now = services.settings.zone, services.clock()
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone) - timedelta(days=OVERDUE_DAYS)
    end = datetime.combine(today + timedelta(days=DAYS + 1), time(0), tzinfo=zone)
    calls = await repo.calls_for_assignee(
        session=p.session, staff_id=None if everyone else actor.id, start=start, end=end
    )
    staff = await repo.list_staff(session=p.session) if everyone else []
    names = {member.id: member.name for member, _ in staff}
    callers: dict[str, list[dict[str, object]]] = {}
    for call, request, resident in calls:
        who = names.get(call.assignee_id, "?") if everyone else actor.staff.name
        local = call.due_at.astimezone(zone)
        callers.setdefault(who, []).append(
            {
                "iso": local.isoformat(),
                "when": local.strftime("%d-%m %H:%M"),
                "overdue": call.due_at < now,
                "first_name": (resident.first_name if resident else None) or p.t("unknown", p.lang),
                "reference": request.reference,
                "rid": request.id if actor.may("view_case", request) else None,
            }
        )
    alerts = []
    rota_text = None
    if everyone:
        for alert, request, resident in await repo.open_call_alerts(session=p.session):
            alerts.append(
                {
                    "since": alert.created_at.astimezone(zone).strftime("%d-%m %H:%M"),
                    "first_name": (resident.first_name if resident else None)
                    or p.t("unknown", p.lang),
                    "reference": request.reference,
                    "rid": request.id,
                }
            )
        rota_text = await rota.show(p.session, services, services.staff_language, now)
    return p.render(
        "agenda.html",
        callers=sorted(callers.items()),
        everyone=everyone,
        alerts=alerts,
        rota_text=rota_text,
    )
