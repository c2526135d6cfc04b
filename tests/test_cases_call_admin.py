"""The call use cases behind ``/beschikbaar``, ``/contactpersoon``, a typed prompt answer
and the presses on a reminder, called directly: no bot, only the database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from flows.calls import callbacks as cb
from helpline.cases import call_admin, call_prompts, intake, reminder_presses
from helpline.cases.access import actor_for
from helpline.cases.answers import Popup
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import AuditEntry, CallStatus, Request, Resident, Role
from tests.test_cases_direct import (
    CHAT,
    RESIDENT,
    actor,
    confirmed,
    outbox,
    services_for,
    stored_draft,
)

HOLDER, OTHER = 9101, 9102


async def claimed_request(db: Database, services: Services) -> Request:
    """Truus's request, claimed by the holder; another staff member of the same queue."""
    draft = confirmed("Kan iemand mij af en toe bellen?", "eenzaamheid")
    await stored_draft(db, services, draft)
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=CHAT)
        assert row is not None
        request = await intake.submit_intake(session, services, row=row, draft=draft)
        for user_id, name in ((HOLDER, "Sanne"), (OTHER, "Anna")):
            await repo.add_staff(
                session=session, telegram_user_id=user_id, name=name, role=Role.volunteer,
                queues=[request.queue],
            )  # fmt: skip
        holder = await actor_for(session, HOLDER)
        assert holder is not None and request.id is not None
        assert await repo.claim_request(
            session=session, request_id=request.id, staff_id=holder.id, now=services.clock()
        )
    return request


async def planned_call(db: Database, services: Services, request: Request) -> int:
    """A scheduled call for tomorrow, made by the holder and assigned to them."""
    holder = await actor(db, HOLDER)
    async with db.session() as session:
        call = await repo.create_call(
            session=session, request_id=request.id, assignee_id=holder.id,
            created_by=holder.id, due_at=services.clock() + timedelta(days=1),
            status=CallStatus.scheduled, notify_resident=True, created_at=services.clock(),
        )  # fmt: skip
    assert call.id is not None
    return call.id


async def test_availability_is_stored_shown_and_cleared(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    async with db.session() as session:
        await repo.add_staff(
            session=session, telegram_user_id=HOLDER, name="Sanne", role=Role.volunteer,
            queues=["belmaatjes"],
        )  # fmt: skip
    me = await actor(db, HOLDER)
    t, lang = services.texts, services.staff_language
    async with db.session() as session:
        bad = await call_admin.availability(session, services, me, "elke dag")
    assert bad.endswith(t("avail_usage", lang))
    async with db.session() as session:
        saved = await call_admin.availability(session, services, me, "ma 10-12")
        assert len(await repo.get_availability(session=session, staff_id=me.id)) == 1
    async with db.session() as session:
        shown = await call_admin.availability(session, services, me, "")
    assert shown.startswith(t("avail_current", lang, lines=saved.splitlines()[-1]))
    async with db.session() as session:
        cleared = await call_admin.availability(session, services, me, "Wis")
        assert await repo.get_availability(session=session, staff_id=me.id) == []
    assert cleared == t("avail_cleared", lang)


async def test_only_the_holder_sets_the_contact_person(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    t, lang = services.texts, services.staff_language
    words = [request.reference, "Jan", "de", "Vries", "123456789"]
    async with db.session() as session:
        refused = await call_admin.contact_person(session, services, await actor(db, OTHER), words)
    assert refused == t("not_allowed", lang, reference=request.reference)
    async with db.session() as session:
        saved = await call_admin.contact_person(session, services, await actor(db, HOLDER), words)
    assert "Jan de Vries" in saved
    async with db.session() as session:
        resident = await session.get(Resident, request.resident_id)
    assert resident is not None
    assert (resident.contact_person_name, resident.contact_person_chat_id) == (
        "Jan de Vries",
        123456789,
    )


async def test_a_stale_prompt_or_a_command_is_no_answer_and_drops_the_prompt(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    holder = await actor(db, HOLDER)
    for text, age in (("/agenda", timedelta(0)), ("morgen 10:00", timedelta(minutes=16))):
        async with db.session() as session:
            await repo.set_prompt(
                session=session, staff_id=holder.id, kind="plan_time", target_id=request.id or 0,
                now=services.clock() - age,
            )  # fmt: skip
        async with db.session() as session:
            assert await call_prompts.answer_prompt(session, services, HOLDER, text) is None
        async with db.session() as session:
            assert await repo.get_prompt(session=session, staff_id=holder.id) is None


async def test_a_typed_time_answers_the_prompt_with_a_draft(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    holder = await actor(db, HOLDER)
    async with db.session() as session:
        await repo.set_prompt(
            session=session, staff_id=holder.id, kind="plan_time", target_id=request.id or 0,
            now=services.clock(),
        )  # fmt: skip
    async with db.session() as session:
        answer = await call_prompts.answer_prompt(session, services, HOLDER, "morgen 10:00")
    assert answer is not None
    text, buttons = answer
    assert request.reference in text
    assert any(b.data.startswith("call:ok:") for row in buttons for b in row)
    async with db.session() as session:
        assert await repo.get_prompt(session=session, staff_id=holder.id) is None


async def test_the_number_is_shown_only_to_the_assignee_and_audited(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    call_id = await planned_call(db, services, request)
    t, lang = services.texts, services.staff_language
    async with db.session() as session:
        other = await reminder_presses.outcome_press(
            session, services, await actor(db, OTHER), call_id, "tel", ""
        )
    assert other == Popup(t("call_not_yours", lang))
    async with db.session() as session:
        shown = await reminder_presses.outcome_press(
            session, services, await actor(db, HOLDER), call_id, "tel", ""
        )
    assert isinstance(shown, Popup) and "612345678" in shown.text.replace(" ", "")
    async with db.session() as session:
        audits = list(await session.scalars(select(AuditEntry)))  # type: ignore[arg-type]
    assert [a.action for a in audits if a.action == "view_phone"] == ["view_phone"]


async def test_not_fitting_tells_the_assignee_once_and_only_for_the_resident(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    call_id = await planned_call(db, services, request)
    t = services.texts
    before = len(await outbox(db))
    async with db.session() as session:
        stranger = await reminder_presses.resident_press(session, services, 4242, call_id, "nofit")
    assert stranger == Popup(t("call_resident_gone", services.settings.default_language))
    for _ in range(2):
        async with db.session() as session:
            thanks = await reminder_presses.resident_press(
                session, services, RESIDENT, call_id, "nofit"
            )
        assert thanks == t("call_resident_nofit_thanks", "nl")
    told = [m for m in (await outbox(db))[before:] if m.chat_id == HOLDER]
    assert len(told) == 1 and cb.data("call", "mv", call_id) in (told[0].reply_markup or "")


async def test_the_database_decides_which_not_fitting_answer_is_the_first(
    db: Database, tmp_path: Path
) -> None:
    # The note is one conditional update: of two presses that both read the call before
    # either wrote, only the one whose update changed the row tells the assignee.
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    call_id = await planned_call(db, services, request)
    now = services.clock()
    async with db.session() as session:
        first = await repo.note_resident_declined(session=session, call_id=call_id, now=now)
        again = await repo.note_resident_declined(session=session, call_id=call_id, now=now)
    assert (first, again) == (True, False)
