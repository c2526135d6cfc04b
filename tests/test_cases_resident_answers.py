"""The resident's answers as use cases, called directly: no bot, only the database.

The answer to the check question (a crisis on "Ja", once; nothing on "Nee"), the
survey's grade, opt-out and remark (only for the resident's own resolved request, only
once), and the check that a resident mid-intake is not staff.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from flows.conversation import CommandIn
from flows.satisfaction import SurveyAnswer
from helpline.cases import conversation, intake, safety_answer, survey
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import Outbox, Request, Resident, Role
from tests.test_cases_direct import services_for

NOOR = conversation.Sender(chat_id=4401, user_id=4401, first_name="Noor", language="nl")
OTHER = 4402
MAYBE = "Ik voel me zo alleen, niemand zou me missen"  # the classifier asks (possible risk)


async def rows(db: Database, model: type) -> list:
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def alerts(db: Database, services: Services) -> int:
    """Messages queued for the coordinators (the crisis card or alert)."""
    coordination = services.settings.queue_chats[services.config.crisis_queue]
    return sum(row.chat_id == coordination for row in await rows(db, Outbox))


async def ask(db: Database, services: Services) -> None:
    """Noor wrote a message that may mean danger: the line asked the check question."""
    result = services.classifier.classify(MAYBE)
    assert result.risk == "possible"
    async with db.session() as session:
        await conversation.ask_safety_check(session, NOOR, result, MAYBE, services.clock())


async def test_yes_raises_the_crisis_once(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await ask(db, services)
    async with db.session() as session:
        first = await safety_answer.answer_check(session, services, NOOR, yes=True)
    assert "113" in first and "0800-0113" in first
    [request] = await rows(db, Request)
    assert request.urgency == "crisis"
    assert await alerts(db, services) == 1
    [resident] = await rows(db, Resident)  # not known before: stored for the crisis
    assert resident.telegram_user_id == NOOR.user_id

    async with db.session() as session:  # pressed again: the same reply, nothing more
        again = await safety_answer.answer_check(session, services, NOOR, yes=True)
    assert again == first
    assert len(await rows(db, Request)) == 1
    assert await alerts(db, services) == 1


async def test_no_thanks_and_raises_nothing(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await ask(db, services)
    async with db.session() as session:
        said = await safety_answer.answer_check(session, services, NOOR, yes=False)
    assert said == services.texts("risk_no", "nl")
    assert await rows(db, Request) == []
    assert await alerts(db, services) == 0


async def test_yes_without_a_question_is_still_a_crisis(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    async with db.session() as session:
        said = await safety_answer.answer_check(session, services, NOOR, yes=True)
    assert "113" in said and "0800-0113" in said
    [request] = await rows(db, Request)
    assert request.urgency == "crisis"
    assert await alerts(db, services) == 1


async def resolved_request(db: Database, services: Services) -> Request:
    async with db.session() as session:
        resident = await conversation.store_sender(session, NOOR)
        return await repo.create_request(
            session=session,
            prefix="HH",
            resident_id=resident.id or 0,
            category="formulieren",
            queue="wijkteam_drunen",
            status="resolved",
            created_at=services.clock(),
        )


async def test_a_grade_is_stored_once_and_invites_a_remark(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await resolved_request(db, services)
    grade = SurveyAnswer(request_id=request.id, grade=8)
    async with db.session() as session:
        reply = await survey.answer_survey(session, services, NOOR.user_id, grade)
    assert reply.refusal is None and reply.stored
    assert reply.text == services.texts("survey_thanks", "nl")
    assert reply.invitation is not None and request.reference in reply.invitation
    assert survey.invited_reference(services, reply.invitation) == request.reference
    assert survey.invited_reference(services, f"Over {request.reference}?") is None

    async with db.session() as session:
        again = await survey.answer_survey(session, services, NOOR.user_id, grade)
    assert not again.stored and again.invitation is None
    assert again.text == services.texts("survey_already_answered", "nl")

    async with db.session() as session:
        remark = await survey.add_remark(session, services, NOOR.user_id, request.reference, "Top")
    assert remark is not None and remark.stored
    assert remark.text == services.texts("survey_remark_thanks", "nl")


async def test_someone_elses_survey_is_refused(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await resolved_request(db, services)
    async with db.session() as session:
        other = conversation.Sender(OTHER, OTHER, "Piet", "en")
        await conversation.store_sender(session, other)
    opt_out = SurveyAnswer(request_id=request.id, grade=None)
    async with db.session() as session:
        reply = await survey.answer_survey(session, services, OTHER, opt_out)
        remark = await survey.add_remark(session, services, OTHER, request.reference, "Hm")
    assert reply.refusal == services.texts("survey_not_available", "en")
    assert remark is None
    async with db.session() as session:  # Noor herself may still opt out
        own = await survey.answer_survey(session, services, NOOR.user_id, opt_out)
    assert own.stored and own.text == services.texts("survey_opted_out", "nl")
    assert own.invitation is None


async def test_mid_intake_only_for_a_resident_with_a_draft(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    async with db.session() as session:
        assert not await intake.runs_for_resident(
            session, user_id=NOOR.user_id, chat_id=NOOR.chat_id
        )
        await conversation.on_message(
            session, services, NOOR, CommandIn("start"), safety=None, incoming=[], outgoing=[]
        )
    async with db.session() as session:
        assert await intake.runs_for_resident(session, user_id=NOOR.user_id, chat_id=NOOR.chat_id)
        await repo.add_staff(
            session=session,
            telegram_user_id=NOOR.user_id,
            name="Noor",
            role=Role.volunteer,
            queues=[],
        )
    async with db.session() as session:
        assert not await intake.runs_for_resident(
            session, user_id=NOOR.user_id, chat_id=NOOR.chat_id
        )
