"""The resident's answer to the check question asked when a message may mean danger.

"Ja" escalates the message as a crisis: the crisis reply with the numbers, the request
marked crisis in the coordinators' queue and their alert. "Nee, dat niet" thanks the
resident; the request stays urgent. The open question is taken from the database by one
statement, so a second press (or a press delivered again after a restart) changes
nothing. A "Ja" without an open question (pressed after "Nee", or a question whose row
was pruned) is still a crisis, unless the resident's open request already is one.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from flows.safety import safety_text
from helpline.cases import intake
from helpline.cases.conversation import Sender, store_sender
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Resident


async def answer_check(
    session: AsyncSession, services: Services, sender: Sender, *, yes: bool
) -> str:
    """Takes the open check question of ``sender``'s chat and answers it.

    On "Ja" (``yes``) the message behind the question is raised as a crisis, unless that
    already happened; the resident row is stored first when the line does not know them
    yet (``sender.language`` is their language then). Returns the text for the resident:
    the crisis reply with the numbers, or the thanks for "Nee, dat niet".
    """
    t = services.texts
    answered = await repo.take_safety_check(session=session, chat_id=sender.chat_id)
    resident = await repo.get_resident_by_telegram_id(
        session=session, telegram_user_id=sender.user_id
    )
    lang = resident.language if resident else sender.language
    line = answered.line if answered is not None else "suicide"
    result = services.classifier.classify(answered.text if answered else "")
    crisis = replace(
        result,
        urgency="crisis",
        risk="high",
        crisis=line,
        lines=tuple(dict.fromkeys((line, *result.lines))),
    )
    if yes and not await _already_crisis(session, resident, answered is not None):
        if resident is None:
            resident = await store_sender(session, sender)
        draft = await repo.get_draft(session=session, chat_id=sender.chat_id)
        draft = draft if draft is not None and draft.flow == "resident" else None
        message = answered.text if answered else t("risk_yes_note", services.staff_language)
        request = await intake.raise_crisis(
            session, services, resident=resident, text=message, result=crisis, draft_row=draft
        )
        if draft is None:  # no intake will log this contact
            await intake.log_resident_message(session, services, request)
    return safety_text(t, crisis, lang) if yes else t("risk_no", lang)


async def _already_crisis(session: AsyncSession, resident: Resident | None, asked: bool) -> bool:
    """True when a "Ja" without an open question finds the crisis already raised."""
    if asked or resident is None or resident.id is None:
        return False
    request = await repo.latest_open_request(session=session, resident_id=resident.id)
    return request is not None and request.urgency == "crisis"
