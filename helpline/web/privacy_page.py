"""The privacy page (coordinators and admins): erasure requests that wait for approval,
decided with the same use case as the approval card's buttons in Telegram.

A resident with open requests who asks to be forgotten waits for a coordinator: the
page lists each request with the references it would stop (no name, no number), and
**Wissen** / **Weigeren** decide it — the first decision wins (a conditional update).
After an approval the WAL is wiped and the forgotten resident told, as from Telegram.
An access export (inzage) is asked for with the resident's REF as ``helpline privacy
export`` takes it (a reference, phone number, request number, email address or id:N),
in a POST so it never lands in an address; one match downloads the same JSON document,
audited (``privacy_export``, ``by=web``); several matches are listed by id to choose.
"""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from flows.privacy import MAX_REF_CHARS, RefError, parse_ref, to_json
from helpline.cases.erasure import COORDINATORS, after_decision, decide_erasure
from helpline.services import SERVICES_KEY
from helpline.web.sessions import Page, page
from storage.models import AuditAction, Resident
from storage.repository import privacy as privacy_repo
from storage.repository.audit import record_audit

NOTICES = frozenset({"erasure_done", "erasure_refused", "erasure_decided"})
# (export_none and export_several are shown with the form's answer, not through ?m=)


def privacy_routes() -> list[Route]:
    """The privacy page, its two decisions and the access export."""
    return [
        Route("/web/privacy", page(privacy_page), methods=["GET"]),
        Route("/web/privacy/{erasure_id:int}/approve", page(approve), methods=["POST"]),
        Route("/web/privacy/{erasure_id:int}/refuse", page(refuse), methods=["POST"]),
        Route("/web/privacy/export", page(access_export), methods=["POST"]),
    ]


async def privacy_page(p: Page) -> Response:
    """The erasure requests that wait for a coordinator, oldest first."""
    if p.who.actor.staff.role not in COORDINATORS:
        return p.render("message.html", 403, message="not_allowed")
    waiting = await _waiting(p)
    notice = p.request.query_params.get("m")
    return p.render(
        "privacy.html", waiting=waiting, notice=notice if notice in NOTICES else None, found=[]
    )


async def access_export(p: Page) -> Response:
    """Everything stored about one resident, as the JSON document of the CLI's export."""
    if p.who.actor.staff.role not in COORDINATORS:
        return p.render("message.html", 403, message="not_allowed")
    typed = str((await p.request.form()).get("ref") or "")[:MAX_REF_CHARS]
    try:
        ref = parse_ref(typed, p.services.config.organisation.reference_prefix)
    except RefError:
        return await _listed(p, "export_none", [])
    matches = await privacy_repo.find_residents(session=p.session, ref=ref)
    if len(matches) != 1:
        return await _listed(p, "export_several" if matches else "export_none", matches)
    person = await p.session.get(Resident, matches[0].resident_id)
    subject = await privacy_repo.subject_of(session=p.session, resident=person)
    now = p.services.clock()
    export = await privacy_repo.collect(session=p.session, subject=subject, now=now)
    await record_audit(
        session=p.session,
        actor_staff_id=p.who.actor.id,
        action=AuditAction.privacy_export,
        resident_id=matches[0].resident_id,
        detail="by=web",
        now=now,
    )
    name = f"inzage-{matches[0].resident_id}.json"
    return Response(
        to_json(export),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def _listed(p: Page, notice: str, matches: list[privacy_repo.Match]) -> Response:
    zone = p.services.settings.zone
    waiting = await _waiting(p)
    found = [
        {
            "ref": f"id:{m.resident_id}",
            "since": m.created_at.astimezone(zone).strftime("%d-%m-%Y"),
            "references": ", ".join(m.references) or "-",
        }
        for m in matches
    ]
    return p.render("privacy.html", 400, waiting=waiting, notice=notice, found=found)


async def _waiting(p: Page) -> list[dict[str, object]]:
    """The erasure requests that wait, with the references each would stop."""
    zone = p.services.settings.zone
    return [
        {
            "id": row.id,
            "since": row.requested_at.astimezone(zone).strftime("%d-%m-%Y %H:%M"),
            "references": ", ".join(references) or "-",
        }
        for row, references in await privacy_repo.pending_erasures(session=p.session)
    ]


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
