"""The staff page (coordinators and admins): who works for the line, in which role and
teams, with which phone extension. Read-only: staff are added, changed and removed
with ``/staf`` in Telegram or ``helpline staff`` (one implementation of those rules)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from helpline.web.sessions import Page, page
from storage import repository as repo


def staff_routes() -> list[Route]:
    """The staff page."""
    return [Route("/web/staff", page(staff_page), methods=["GET"])]


async def staff_page(p: Page) -> Response:
    """Every active staff member with role, teams and phone extension, by name."""
    if not p.who.actor.may("manage_staff"):
        return p.render("message.html", 403, message="not_allowed")
    config = p.services.config
    members = [
        {
            "name": member.name,
            "role": str(member.role),
            "queues": ", ".join(config.queue_label(q, p.lang) for q in queues) or "-",
            "extension": member.phone_extension or "-",
        }
        for member, queues in await repo.list_staff(session=p.session)
    ]
    return p.render("staff.html", members=members)
