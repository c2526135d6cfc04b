"""One request on the web page: its facts and its history in time order, audited.

Who may open it follows the permission table (``view_case``): the queue's members,
the holder, the target of a pending handover, the coordinators. The question, the
phone number and free-text notes only for those Telegram shows them to
(``view_details``: the holder unless a volunteer, and the coordinators). Every opening
is an audit row (``view_details``, ``via=web``; ``details=no`` when they were hidden).
"""

from __future__ import annotations

from sqlmodel import col, select
from starlette.responses import Response

from flows.phone import display_phone
from helpline.cases import audit, cards
from helpline.cases.relay import MAX_RELAY_CHARS
from helpline.web.sessions import Page
from storage import repository as repo
from storage.models import AuditAction, Handover, RequestStatus
from storage.repository.web_views import Event, request_history

NOTICES = frozenset(
    {"claim_won", "claim_taken", "resolved", "resolve_failed"}
    | {f"write_{how}" for how in ("chat", "email", "not_holder", "empty", "too_long")}
    | {"write_unreachable"}
    | {f"handover_{why}" for why in ("sent", "not_holder", "bad_queue", "no_basis")}
    | {"handover_reason_short", "handover_reason_long"}
)
WEB_OUTCOMES_EXCLUDED = frozenset({"doorverwezen"})  # needs the partner and consent steps


async def case_page(p: Page) -> Response:
    """Shows one request, if this staff member may open it; the view is audited."""
    rid = int(p.request.path_params["rid"])
    actor, services, config, lang = p.who.actor, p.services, p.services.config, p.lang
    request = await repo.get_request(session=p.session, request_id=rid)
    handover = await _pending_handover(p, rid) if request is not None else None
    if request is None or not actor.may("view_case", request, handover):
        # The same answer for a request that does not exist: nothing is revealed.
        return p.render("message.html", 403, message="not_allowed")
    details = actor.may("view_details", request)
    view = await cards.case_view(p.session, request, full=details)
    await audit.record(
        p.session,
        services,
        actor.id,
        AuditAction.view_details,
        request,
        "via=web" + ("" if details else " details=no"),
    )
    holder = (
        await repo.get_staff_by_id(session=p.session, staff_id=request.claimed_by)
        if request.claimed_by
        else None
    )
    history = [
        _event(p, e, details) for e in await request_history(session=p.session, request_id=rid)
    ]
    category = config.categories.get(request.category)
    village = config.villages.get(request.village or "")
    is_open = request.status in (RequestStatus.open, RequestStatus.claimed)
    outcomes = (
        [
            (key, config.outcome_label(key, lang))
            for key in config.outcomes
            if key not in WEB_OUTCOMES_EXCLUDED
        ]
        if is_open and actor.may("resolve", request)
        else []
    )
    notice = p.request.query_params.get("m")
    return p.render(
        "case.html",
        view=view,
        details=details,
        phone=display_phone(view.phone) if view.phone else "",
        state=str(request.status),
        holder=holder.name if holder else None,
        queue=config.queue_label(request.queue, lang),
        category=category.label(lang) if category else request.category,
        village=village.name if village else p.t("unknown", lang),
        history=history,
        outcomes=outcomes,
        may_claim=request.claimed_by is None and is_open and actor.may("claim", request),
        may_write=request.status == RequestStatus.claimed and actor.may("relay", request),
        max_chars=MAX_RELAY_CHARS,
        resident_id=request.resident_id,
        best_time=services.texts(f"time_{view.preferred_time or 'any'}", lang),
        handover_queues=[
            (q, config.queue_label(q, lang)) for q in config.queues if q != request.queue
        ]
        if request.status == RequestStatus.claimed
        and request.claimed_by == actor.id
        and actor.may("handover", request)
        else [],
        notice=notice if notice in NOTICES else None,
    )


async def _pending_handover(p: Page, request_id: int) -> Handover | None:
    found: Handover | None = await p.session.scalar(
        select(Handover).where(
            col(Handover.request_id) == request_id, col(Handover.status) == "pending"
        )
    )
    return found


def _event(p: Page, event: Event, details: bool) -> dict[str, object]:
    """One history line in words; free text only with the details."""
    local = event.at.astimezone(p.services.settings.zone)
    text = p.t(f"event_{event.kind}", p.lang, what=event.what, extra=event.extra or "")
    return {
        "iso": local.isoformat(),
        "when": local.strftime("%d-%m-%Y %H:%M"),
        "text": text,
        "staff": event.staff,
        "detail": event.detail if details else None,
    }
