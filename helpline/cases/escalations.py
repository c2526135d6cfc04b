"""Turning due escalation rows into queue reminders and coordinator alerts (outbox rows).

Runs inside the dispatcher's tick: a row is marked done in the same transaction
that writes its message to the outbox, so a restart neither loses nor repeats it.
"""

from __future__ import annotations

import logging

from flows.cards import age_text
from helpline.cases.core import Services
from helpline.cases.queue_groups import queue_chat
from storage import repository as repo
from storage.models import RequestStatus

logger = logging.getLogger(__name__)


async def run_escalations(services: Services) -> int:
    """Handles every due escalation; returns how many messages were queued."""
    t, lang, config = services.texts, services.staff_language, services.config
    queued = 0
    async with services.db.session() as session:
        now = services.clock()
        for row in await repo.take_due_escalations(session=session, now=now):
            request = await repo.get_request(session=session, request_id=row.request_id)
            if request is None or request.status != RequestStatus.open:
                continue  # claimed or closed meanwhile: nothing to escalate
            values = {
                "reference": request.reference,
                "category": config.categories[request.category].label(lang)
                if request.category in config.categories
                else request.category,
                "urgency": t(f"urgency_{request.urgency}", lang),
                "queue": config.queue_label(request.queue, lang),
                "age": age_text((now - request.created_at).total_seconds()),
            }
            if row.stage == "reminder":
                chat, text = (
                    queue_chat(services, request.queue),
                    t("escalation_reminder", lang, **values),
                )
            else:
                chat = queue_chat(services, config.crisis_queue)
                text = t("escalation_coordinator", lang, **values)
            if chat is None:
                logger.warning("escalation %s: no chat for its queue", row.id)
                continue
            await repo.enqueue(
                session=session,
                chat_id=chat,
                text=text,
                purpose="escalation",
                request_id=request.id,
                now=now,
            )
            queued += 1
    return queued
