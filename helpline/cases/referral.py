"""Referral to a partner (outcome ``doorverwezen``): did the resident's details go along?

After the holder picks the partner, they say what was shared, explicitly:

- ``case:rfn_<partner>:<request>`` — nothing: the resident contacts the partner
  themselves. Resolved as before; nothing to record.
- ``case:rfc_<partner>:<request>`` — details shared with the resident's consent.
- ``case:rfs_<partner>:<request>`` — shared without consent because someone's safety is
  at stake: the holder types why (a draft ``Handover`` row with ``to_partner`` holds
  the reason until then; ``hd:stop`` cancels), then it is resolved.

Sharing is stored as a ``Handover`` row with ``to_partner`` and status ``referred``
(the warm handover to a partner), and audited with its basis.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.core import Services
from helpline.cases.handover_consent import (
    CONSENT,
    SAFETY,
    ask_reason,
    audit_sent,
    new_draft,
)
from helpline.cases.resolve import resolve_case
from storage import repository as repo
from storage.models import Handover, Request, RequestStatus

STEPS = ("rfn", "rfc", "rfs")
OUTCOME = "doorverwezen"


def ask_shared(services: Services, request: Request, partner: str) -> Answer:
    """Asks whether the resident's details go to the partner, and on which basis."""
    t, lang = services.texts, services.staff_language
    name = services.config.partners[partner].name
    rid = request.id
    buttons = (
        (Button(t("btn_referral_none", lang), callback("case", f"rfn_{partner}", rid)),),
        (Button(t("btn_referral_consent", lang), callback("case", f"rfc_{partner}", rid)),),
        (Button(t("btn_referral_safety", lang), callback("case", f"rfs_{partner}", rid)),),
    )
    return t("referral_ask_shared", lang, reference=request.reference, partner=name), buttons


async def referral_step(
    session: AsyncSession,
    services: Services,
    actor: Actor,
    request: Request,
    step: str,
    partner: str,
) -> Answer:
    """Applies the holder's answer: resolve, resolve and record consent, or ask the reason."""
    if step == "rfn":
        return await resolve_case(session, services, actor, request, OUTCOME, partner)
    handover = await new_draft(session, actor, request, request.queue)
    handover.to_partner = partner
    if step == "rfc":
        handover.consent_basis, handover.consent_at = CONSENT, services.clock()
        return await finish_referral(session, services, actor, handover)
    handover.consent_basis = SAFETY  # the reason is typed next (handover_draft.note_for_draft)
    return ask_reason(services, handover)


async def finish_referral(
    session: AsyncSession, services: Services, actor: Actor, handover: Handover
) -> Answer:
    """Resolves the request as referred to the partner and records what was shared."""
    t, lang = services.texts, services.staff_language
    request = await repo.get_request(session=session, request_id=handover.request_id)
    if request is None or not actor.may("resolve", request) or handover.to_partner is None:
        handover.status = "cancelled"
        return t("not_holder", lang), ()
    answer = await resolve_case(session, services, actor, request, OUTCOME, handover.to_partner)
    if request.status != RequestStatus.resolved:  # closed meanwhile: nothing was referred
        handover.status = "cancelled"
        return answer
    handover.status, handover.decided_at = "referred", services.clock()
    await audit_sent(session, services, actor, request, handover)
    return answer
