"""Erasure with open requests: the coordinators' approval card, and erasing itself.

The card goes to the coordination queue through the outbox; the first coordinator
to press decides (a conditional update), every later press is told it is decided.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.error import TelegramError

from flows.conversation import Button, callback, markup_json
from helpline.cases import cards, queue_groups
from helpline.cases.access import actor_for
from helpline.cases.core import Services
from helpline.safe_send import answer_query
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import AuditAction, Request, Resident, Role
from storage.repository import privacy as privacy_repo
from storage.repository.audit import record_audit

logger = logging.getLogger(__name__)

COORDINATORS = (Role.coordinator, Role.admin)


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


async def decide(
    update: Update, context: HelplineContext, erasure_id: int, *, approve: bool
) -> None:
    """A coordinator approves (erase now) or refuses (tell the resident) an erasure."""
    services, query, user = context.services, update.callback_query, update.effective_user
    assert query is not None and user is not None
    t, lang, now = services.texts, services.staff_language, services.clock()
    async with services.db.session() as session:
        actor = await actor_for(session, user.id)
        if actor is None or actor.staff.role not in COORDINATORS:
            await answer_query(query, t("pv_not_coordinator", lang), alert=True)
            return
        name = actor.staff.name  # erasure expires the session's rows
        row = await privacy_repo.decide_erasure(
            session=session, erasure_id=erasure_id, staff_id=actor.id, approve=approve, now=now
        )
        if row is None:
            await answer_query(query, t("pv_already_decided", lang), alert=True)
            return
        resident = await session.get(Resident, row.resident_id)
        chat_id = resident.chat_id if resident else None
        resident_lang = resident.language if resident else lang
        if approve:
            subject = await privacy_repo.subject_of(session=session, resident=resident)
            await erase_subject(
                session, services, subject, actor_staff_id=actor.id, source="coordinator"
            )
        elif chat_id is not None:
            await repo.enqueue(
                session=session,
                chat_id=chat_id,
                text=t("pv_erase_refused", resident_lang),
                purpose="erasure",
                now=now,
            )
    if approve:
        await wipe_erased(services)
    verdict = "pv_approved_by" if approve else "pv_refused_by"
    await answer_query(query)
    await _mark(query, t(verdict, lang, staff=name))
    if approve and chat_id is not None:
        # Sent directly, not through the outbox: a stored row would keep the chat id of
        # the person who was just forgotten.
        try:
            await context.bot.send_message(chat_id, t("pv_erased", resident_lang))
        except TelegramError:
            logger.info("erasure notice to a forgotten resident failed")
    services.dispatcher.kick(context.application)


async def _mark(query: CallbackQuery, line: str) -> None:
    """Appends the decision to the approval card and removes its buttons."""
    text = getattr(query.message, "text", "") or ""
    try:
        await query.edit_message_text(f"{text}\n\n{line}")
    except TelegramError:
        logger.info("could not edit the erasure card")
