"""Erasure with open requests: the coordinators' approval, and erasing itself, for every
edge (Telegram's buttons, the web page, the CLI's rules).

The approval card goes to the coordination queue through the outbox; the first
coordinator to decide wins (a conditional update), every later one is told it is
decided. Erasing clears the person's data (``storage.repository.privacy``), notes the
stopped requests on their cards and writes the audit row; after the commit the
database's WAL is wiped so no copy of what went stays on disk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, markup_json
from helpline.cases import cards, queue_groups
from helpline.cases.access import Actor, actor_for
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Request, Resident, Role
from storage.repository import privacy as privacy_repo
from storage.repository.audit import record_audit

logger = logging.getLogger(__name__)

COORDINATORS = (Role.coordinator, Role.admin)


@dataclass(frozen=True)
class Decision:
    """A coordinator's decision on an erasure request, for the edge to finish: the
    resident's chat (None: none, or already decided) gets ``pv_erased`` after an approval,
    sent directly (a stored outbox row would keep the forgotten person's chat id)."""

    decided: bool
    approved: bool = False
    chat_id: int | None = None
    language: str = "nl"


@dataclass(frozen=True)
class CardPress:
    """A press on an approval card in a chat, for the edge: ``popup`` (an alert) when the
    presser is no coordinator or the erasure is already decided; else the ``line`` to
    add to the card and the ``decision`` to finish after the commit."""

    popup: str | None
    line: str = ""
    decision: Decision = Decision(decided=False)


async def ask_coordinator(
    session: AsyncSession, services: Services, resident_id: int, open_requests: list[Request]
) -> str:
    """Puts an approval card in the coordination queue; returns the text key for the resident."""
    if await privacy_repo.pending_erasure(session=session, resident_id=resident_id) is not None:
        return "pv_erase_waiting"
    now, t, lang = services.clock(), services.texts, services.staff_language
    row = await privacy_repo.request_erasure(
        session=session, resident_id=resident_id, source="telegram", now=now
    )
    chat = queue_groups.queue_chat(services, services.config.crisis_queue)
    if chat is not None:
        buttons = (
            (
                Button(t("btn_pv_approve", lang), callback("pv", "approve", row.id)),
                Button(t("btn_pv_refuse", lang), callback("pv", "refuse", row.id)),
            ),
        )
        references = ", ".join(r.reference for r in open_requests)
        await repo.enqueue(
            session=session,
            chat_id=chat,
            text=t("pv_approval_card", lang, references=references),
            reply_markup=markup_json(buttons),
            purpose="erasure",
            now=now,
        )
    else:
        logger.warning("erasure request %s: no coordination queue chat configured", row.id)
    return "pv_erase_needs_approval"


async def erase_subject(
    session: AsyncSession,
    services: Services,
    subject: privacy_repo.Subject,
    *,
    actor_staff_id: int | None,
    source: str,
) -> None:
    """Erases the person, tells the queue groups of stopped requests, and audits it."""
    now = services.clock()
    open_ids = [r.id for r in await privacy_repo.open_requests(session=session, subject=subject)]
    erasure = await privacy_repo.erase(session=session, subject=subject, now=now)
    line = services.texts("pv_card_erased", services.staff_language)
    for request_id in open_ids:  # after erasure, so the note itself is not cleared
        request = await session.get(Request, request_id, populate_existing=True)
        if request is not None:
            await cards.annotate_card(session, services, request, line)
    await record_audit(
        session=session,
        actor_staff_id=actor_staff_id,
        action=AuditAction.privacy_erase,
        resident_id=subject.resident_id,
        detail=f"by={source} requests={len(subject.request_ids)} open={len(open_ids)}",
        now=now,
    )
    logger.info("resident %s erased (%s)", subject.resident_id, sorted(erasure.cleared))


async def wipe_erased(services: Services) -> None:
    """After an erasure's commit: the database's WAL file keeps no copy of what went."""
    if not await services.db.wipe_wal():
        logger.warning("database busy: erased values stay in the WAL until the next checkpoint")


async def decide_erasure(
    session: AsyncSession, services: Services, actor: Actor, erasure_id: int, *, approve: bool
) -> Decision:
    """A coordinator approves (erase now) or refuses (tell the resident) an erasure."""
    now = services.clock()
    row = await privacy_repo.decide_erasure(
        session=session, erasure_id=erasure_id, staff_id=actor.id, approve=approve, now=now
    )
    if row is None:
        return Decision(decided=False)
    resident = await session.get(Resident, row.resident_id)
    chat_id = resident.chat_id if resident else None
    language = resident.language if resident else services.staff_language
    if approve:
        subject = await privacy_repo.subject_of(session=session, resident=resident)
        await erase_subject(
            session, services, subject, actor_staff_id=actor.id, source="coordinator"
        )
        return Decision(decided=True, approved=True, chat_id=chat_id, language=language)
    if chat_id is not None:
        await repo.enqueue(
            session=session,
            chat_id=chat_id,
            text=services.texts("pv_erase_refused", language),
            purpose="erasure",
            now=now,
        )
    return Decision(decided=True, language=language)


async def press_on_card(
    session: AsyncSession, services: Services, user_id: int, erasure_id: int, *, approve: bool
) -> CardPress:
    """A press of approve/refuse on an approval card by Telegram account ``user_id``:
    only a coordinator decides, checked at the press."""
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, user_id)
    if actor is None or actor.staff.role not in COORDINATORS:
        return CardPress(popup=t("pv_not_coordinator", lang))
    name = actor.staff.name  # erasure expires the session's rows
    decision = await decide_erasure(session, services, actor, erasure_id, approve=approve)
    if not decision.decided:
        return CardPress(popup=t("pv_already_decided", lang))
    verdict = "pv_approved_by" if approve else "pv_refused_by"
    return CardPress(popup=None, line=t(verdict, lang, staff=name), decision=decision)


async def after_decision(services: Services, bot: Any, decision: Decision) -> None:
    """After the commit: the WAL is wiped and the forgotten resident hears it is done."""
    if not decision.approved:
        return
    await wipe_erased(services)
    if decision.chat_id is None:
        return
    try:
        await bot.send_message(decision.chat_id, services.texts("pv_erased", decision.language))
    except Exception:  # a blocked chat: the erasure stands all the same
        logger.info("erasure notice to a forgotten resident failed")
