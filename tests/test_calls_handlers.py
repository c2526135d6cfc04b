"""Planning follow-up calls through the fake Bot API: quick picks, typed times, /plan,
repetition, assignees and availability, and everyone who may not being refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from helpline.scripted import ScriptedChat, find_button
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import (
    Availability,
    CallSeries,
    CallStatus,
    Contact,
    Request,
    Role,
    ScheduledCall,
)
from tests.bot_harness import running_app
from tests.calls_helpers import (
    ANNA,
    MIA,
    QUESTION,
    SANNE,
    advance_to,
    call_contacts,
    calls,
    claimed_case,
    local,
    reminders,
    texts_in,
)


async def test_quick_pick_plans_a_call_with_reminders(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        assert "Wanneer wilt u bellen" in sanne.last_text()
        await sanne.press("Morgenochtend")
        draft = sanne.last_text()
        assert "nog niet vastgelegd" in draft and "morgen om 10:00" in draft
        [call] = await calls(h)
        assert call.status == CallStatus.draft
        assert not await reminders(h)  # a draft is never reminded
        await sanne.press("Inplannen")
        assert "Ingepland" in sanne.last_text()
        [call] = await calls(h)
        assert call.status == CallStatus.scheduled
        assert call.due_at == local(2026, 5, 5, 10, 0)
        assert [(r.kind, r.due_at) for r in await reminders(h)] == [
            ("lead", local(2026, 5, 5, 9, 30)),
            ("due", local(2026, 5, 5, 10, 0)),
        ]


async def test_double_confirm_schedules_once(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenmiddag")
        message, data = find_button(h.telegram, SANNE.id, "Inplannen")
        await sanne.feed(h.telegram.press(SANNE, message, data, queue=False))
        await sanne.feed(h.telegram.press(SANNE, message, data, queue=False))
        assert len(await reminders(h)) == 2
        assert h.telegram.callback_answers()[-1].get("show_alert")


async def test_typed_time_after_pick_yourself_with_reprompts(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        await sanne.press("Zelf")
        assert "Typ de dag en de tijd" in sanne.last_text()
        await sanne.say("morgen")
        assert "Hoe laat?" in sanne.last_text()
        await sanne.say("gisteren 10:00")
        assert "Dit begrijp ik niet: 'gisteren'" in sanne.last_text()
        await sanne.say("x" * 5000)
        assert "begrijp ik niet" in sanne.last_text()
        await sanne.feed(h.telegram.media(SANNE, "sticker", queue=False))
        assert "Typ de dag en de tijd" in sanne.last_text()
        await sanne.say("vrijdag 14u wekelijks 4x")
        draft = sanne.last_text()
        assert "vrijdag 8 mei om 14:00" in draft and "elke vrijdag, 4 keer" in draft
        await sanne.press("Inplannen")
        async with db.session() as session:
            [series] = list(await session.scalars(select(CallSeries)))
        assert series.rule == "FREQ=WEEKLY;INTERVAL=1;BYDAY=FR;COUNT=4"
        assert series.status == "active"
        # Nothing of the typed text went to the resident.
        assert not texts_in(h, MIA.id, "vrijdag")


async def test_plan_command_with_typed_time(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan")
        assert "Zo plant u een belafspraak" in sanne.last_text()
        await sanne.say("/plan hh-2026-1 overmorgen 9.30")
        assert "woensdag 6 mei om 09:30" in sanne.last_text()
        await sanne.press("Inplannen")
        [call] = await calls(h)
        assert call.due_at == local(2026, 5, 6, 9, 30)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("/plan morgen", "is geen vraagnummer"),
        ("/plan HH-2026-99999 morgen 10:00", "Ik ken geen vraag"),
        ("/plan HH-2026-00001 morgen 25:00", "is geen tijd"),
        ("/plan HH-2026-00001 vandaag 08:00", "al voorbij"),
        ("/plan HH-2026-00001 morgen 10:00 5x", "Hoe vaak?"),
        ("/plan HH-2026-00001 31-02 10:00", "geen bestaande datum"),
    ],
)
async def test_bad_plan_input_gets_a_clear_answer(
    db: Database, tmp_path: Path, typed: str, answer: str
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say(typed)
        assert answer in sanne.last_text()
        assert not await calls(h)


async def test_plan_without_reference_lists_held_requests(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan")
        await sanne.press("HH-2026-00001")
        assert "Wanneer wilt u bellen" in sanne.last_text()


async def test_repeat_buttons_make_a_series(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenochtend")
        await sanne.press("Herhalen")
        await sanne.press("Om de 2 weken")
        await sanne.press("8 keer")
        assert "om de 2 weken op dinsdag, 8 keer" in sanne.last_text()
        await sanne.press("Herhalen")
        await sanne.press("Eén keer")
        assert "nee, één keer" in sanne.last_text()
        await sanne.press("Herhalen")
        await sanne.press("Elke dag")
        await sanne.press("3 maanden")
        assert "elke dag, tot en met 04-08-2026" in sanne.last_text()
        await sanne.press("Annuleren")
        assert "Er is niets vastgelegd" in sanne.last_text()
        [call] = await calls(h)
        assert call.status == CallStatus.cancelled


async def test_belmaatje_assignee_availability_warning_and_suggestion(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        anna = await h.add_staff(ANNA, "belmaatjes", role=Role.volunteer)
        await anna.say("/beschikbaar wo 14-16, vr 10:00-11:30")
        assert "woensdag 14:00–16:00" in anna.last_text()
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenochtend")
        await sanne.press("Wie belt")
        await sanne.press("Anna")
        draft = sanne.last_text()
        assert "Wie belt: Anna" in draft
        assert "Anna kan dan niet bellen" in draft and "woensdag 6 mei om 14:00" in draft
        await sanne.press("Neem")
        assert "Wanneer: woensdag 6 mei om 14:00" in sanne.last_text()
        assert "kan dan niet" not in sanne.last_text()
        await sanne.press("Inplannen")
        assert "Sanne heeft een belafspraak voor u gepland" in anna.last_text()
        # The volunteer's reminder: first name and topic, the number only through a button.
        await advance_to(h, local(2026, 5, 6, 14, 0))
        reminder = anna.last_text()
        assert "Nu bellen: Mia" in reminder and "tel:" not in reminder
        assert QUESTION not in reminder
        await anna.press("Nummer tonen")
        assert "06 12345678" in h.telegram.callback_answers()[-1]["text"]
        await anna.press("Gebeld")
        [contact] = await call_contacts(h)
        assert (contact.channel, contact.direction, contact.outcome) == (
            "phone",
            "outbound",
            "reached",
        )
        assert contact.staff_id is not None


async def test_staff_reminder_has_tel_link_and_summary(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan HH-2026-00001 morgen 10:00")
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 5, 9, 30))
        lead = sanne.last_text()
        assert "Straks bellen: Mia" in lead and "tel:+31612345678" in lead and QUESTION in lead


async def test_agenda_lists_today_and_the_coming_days(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/agenda")
        assert "geen belafspraken" in sanne.last_text()
        for when in ("vandaag 15:00", "donderdag 10:00"):
            await sanne.say(f"/plan HH-2026-00001 {when}")
            await sanne.press("Inplannen")
        await sanne.say("/agenda")
        agenda = sanne.last_text()
        assert agenda.index("Vandaag:") < agenda.index("vandaag om 15:00")
        assert agenda.index("De komende dagen:") < agenda.index("donderdag 7 mei om 10:00")
        assert "Mia (HH-2026-00001)" in agenda


async def test_availability_input_is_forgiving_and_bad_input_explained(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        anna = await h.add_staff(ANNA, "belmaatjes", role=Role.volunteer)
        await anna.say("/beschikbaar")
        assert "nog geen beschikbaarheid" in anna.last_text()
        await anna.say("/beschikbaar ma 10-12 graag")
        assert "Dit begrijp ik niet: 'graag'" in anna.last_text()
        await anna.say("/beschikbaar werkdagen 9 tot 12")
        assert "vrijdag 09:00–12:00" in anna.last_text()
        await anna.say("/beschikbaar wis")
        async with db.session() as session:
            assert not list(await session.scalars(select(Availability)))


async def test_reschedule_from_the_reminder(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan HH-2026-00001 morgen 10:00")
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 5, 9, 30))
        await sanne.press("Verzetten")
        await sanne.press("Zelf")
        await sanne.say("donderdag 11:00")
        assert "Verzet: HH-2026-00001 is nu donderdag 7 mei om 11:00" in sanne.last_text()
        [call] = await calls(h)
        assert call.due_at == local(2026, 5, 7, 11, 0)
        pending = [(r.kind, r.due_at) for r in await reminders(h) if r.status == "pending"]
        assert pending == [("lead", local(2026, 5, 7, 10, 30)), ("due", local(2026, 5, 7, 11, 0))]
        await advance_to(h, local(2026, 5, 5, 10, 0))  # the old due time: nothing
        assert "Nu bellen" not in sanne.last_text()


async def test_contact_person_command(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/contactpersoon")
        assert "Zo legt u een contactpersoon vast" in sanne.last_text()
        await sanne.say("/contactpersoon HH-2026-00001 Piet de Vries 7001234")
        assert "Piet de Vries (krijgt bericht via Telegram)" in sanne.last_text()
        async with db.session() as session:
            request = await session.get(Request, 1)
            assert request is not None
            resident = await repo.get_resident_by_telegram_id(
                session=session, telegram_user_id=MIA.id
            )
        assert resident is not None and resident.contact_person_chat_id == 7001234


# --- refusals -----------------------------------------------------------------------------
async def _planned_call(h, sanne: ScriptedChat) -> ScheduledCall:  # type: ignore[no-untyped-def]
    await sanne.say("/plan HH-2026-00001 morgen 10:00")
    await sanne.press("Inplannen")
    [call] = await calls(h)
    return call


OUTSIDERS = [
    ("non-staff", None, ()),
    ("volunteer other queue", Role.volunteer, ("belmaatjes",)),
    ("staff same queue, not holder", Role.staff, ("wijkteam_drunen",)),
]


@pytest.mark.parametrize(("who", "role", "queues"), OUTSIDERS, ids=[o[0] for o in OUTSIDERS])
async def test_others_cannot_plan_move_or_settle_calls(
    db: Database, tmp_path: Path, who: str, role: Role | None, queues: tuple[str, ...]
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, rid = await claimed_case(h)
        call = await _planned_call(h, sanne)
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenmiddag")
        draft = (await calls(h))[-1]
        eve_user = FakeUser(id=6001, first_name="Eve")
        eve = await h.add_staff(eve_user, *queues, role=role) if role else h.chat(eve_user)
        before = [(c.status, c.due_at, c.assignee_id) for c in await calls(h)]
        card = h.telegram.last_sent(SANNE.id)
        presses = [
            f"call:new:{rid}",
            f"call:pick:{rid}:tom_am",
            f"call:pick:{rid}:pick",
            f"call:ok:{draft.id}",
            f"call:who:{draft.id}:6001",
            f"call:no:{draft.id}",
            f"call:done:{call.id}",
            f"call:miss:{call.id}",
            f"call:mv:{call.id}",
            f"call:mvp:{call.id}:tom_pm",
            f"call:tel:{call.id}",
            f"cr:nofit:{call.id}",
            f"cr:stop:{call.id}",
        ]
        for data in presses:
            await eve.feed(h.telegram.press(eve_user, card, data, queue=False))
        answers = h.telegram.callback_answers()[-len(presses) :]
        assert all(a.get("text") for a in answers), "every refused press is answered"
        for command in (
            "/plan HH-2026-00001 morgen 10:00",
            "/plan",
            "/contactpersoon HH-2026-00001 X 12345",
        ):
            await eve.say(command)
        assert [(c.status, c.due_at, c.assignee_id) for c in await calls(h)] == before
        async with db.session() as session:
            assert not list(await session.scalars(select(Contact).where(Contact.event == "call")))
        seen = " ".join(m.get("text", "") for m in h.telegram.sent(eve_user.id))
        seen += " ".join(a.get("text", "") for a in answers)
        assert "Mia" not in seen and "0612345678" not in seen and "12345678" not in seen


@pytest.mark.parametrize(
    "data",
    ["call:ok:999999", "call:done:0", "call:zz:1", "call:pick:1:nonsense", "cal:do:1:boom"],
)
async def test_forged_or_stale_call_buttons_change_nothing(
    db: Database, tmp_path: Path, data: str
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        card = h.telegram.last_sent(SANNE.id)
        await sanne.feed(h.telegram.press(SANNE, card, data, queue=False))
        answered = h.telegram.callback_answers()[-1].get("text")
        assert answered or "Wanneer wilt u bellen" in sanne.last_text()  # asked again
        assert not await calls(h)


async def test_stale_draft_button_after_confirm(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenochtend")
        message, data = find_button(h.telegram, SANNE.id, "Herhalen")
        await sanne.press("Inplannen")
        await sanne.feed(h.telegram.press(SANNE, message, data, queue=False))
        assert "bestaat niet meer" in h.telegram.callback_answers()[-1]["text"]
        [call] = await calls(h)
        assert call.series_id is None


async def test_one_off_call_not_answered_offers_to_plan_again(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan HH-2026-00001 morgen 10:00")
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await sanne.press("Niet bereikt")
        assert "niet bereikt" in sanne.last_text()
        [contact] = await call_contacts(h)
        assert contact.outcome == "no_answer"
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenmiddag")
        await sanne.press("Inplannen")
        assert [c.status for c in await calls(h)] == [CallStatus.no_answer, CallStatus.scheduled]


async def test_an_old_question_does_not_catch_a_later_message(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.press("Bellen plannen")
        await sanne.press("Zelf")
        h.clock.advance(minutes=20)
        await sanne.say("morgen 10:00")  # too late to be the answer: goes on as usual
        assert "nog niet vastgelegd" not in sanne.last_text()
        assert not await calls(h)
