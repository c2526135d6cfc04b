"""Closing a request with its outcome: shared by the case buttons and referrals to partners."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.cases import cards
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.survey import ask_satisfaction
from storage import repository as repo
from storage.models import Channel, Direction, Request


async def resolve_case(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    request: Request,
    outcome: str,
    partner: str | None,
) -> Answer:
    """Resolves the request, logs the contact, asks for a grade and notes it on the card."""
    t, lang = services.texts, services.staff_language
    now = services.clock()
    if not await repo.resolve_request(
        session=session, request_id=request.id or 0, outcome=outcome, partner=partner, now=now
    ):
        return t("claim_gone", lang), ()
    await session.refresh(request)
    await count_contact(
        session, request, now, Channel.telegram, Direction.internal, "resolve", actor.id, outcome
    )
    await repo.set_active_request(session=session, staff_id=actor.id, request_id=None)
    await ask_satisfaction(session, services, request)  # once: a request resolves once
    label = services.config.outcome_label(outcome, lang)
    if partner:
        label += f" ({services.config.partners[partner].name})"
    await cards.annotate_card(session, services, request, t("card_resolved", lang, outcome=label))
    return t("resolved", lang, reference=request.reference, outcome=label), ()
