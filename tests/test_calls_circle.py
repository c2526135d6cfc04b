"""Recurring check-ins across DST, the telefooncirkel (retry, alert after N misses, closing
the alert), and the resident's own reminders (opt-in, quiet hours, "Past niet", 403)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from helpline.scripted import find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import CallAlert, CallSeries, CallStatus, RequestNote, Resident, Role
from tests.bot_harness import running_app
from tests.calls_helpers import (
    COORD,
    MIA,
    SANNE,
    advance_to,
    call_contacts,
    calls,
    claimed_case,
    local,
    texts_in,
    tick,
)

CONTACT_PERSON = 7001234


@pytest.mark.parametrize(
    ("start", "first", "typed"),
    [
        (local(2026, 3, 16, 9, 0), local(2026, 3, 22, 10, 0), "zondag 10:00 wekelijks"),
        (local(2026, 10, 12, 9, 0), local(2026, 10, 18, 10, 0), "zondag 10:00 wekelijks"),
    ],
    ids=["march", "october"],
)
async def test_weekly_check_in_stays_at_ten_across_dst(
    db: Database, tmp_path: Path, start, first, typed: str
) -> None:  # type: ignore[no-untyped-def]
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h, start=start)
        await sanne.say(f"/plan HH-2026-00001 {typed}")
        await sanne.press("Inplannen")
        seen = []
        for _ in range(3):
            [call] = [c for c in await calls(h) if c.status == CallStatus.scheduled]
            seen.append(call.due_at)
            await advance_to(h, call.due_at)
            await sanne.press("Gebeld")
        assert seen[0] == first
        assert [s.astimezone(first.tzinfo).strftime("%a %H:%M") for s in seen] == ["Sun 10:00"] * 3
        assert len({s.utcoffset() for s in (x.astimezone(first.tzinfo) for x in seen)}) == 2
        assert len(await call_contacts(h)) == 3


async def _check_in(h, sanne) -> None:  # type: ignore[no-untyped-def]
    await sanne.say(f"/contactpersoon HH-2026-00001 Piet {CONTACT_PERSON}")
    await sanne.say("/plan HH-2026-00001 morgen 10:00 wekelijks")
    await sanne.press("Inplannen")


async def test_telefooncirkel_retries_then_alerts_after_two_misses(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _check_in(h, sanne)
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await sanne.press("Niet bereikt")
        reply = sanne.last_text()
        assert "niet bereikt" in reply and "Nieuwe poging: vandaag om 11:00" in reply
        assert not texts_in(h, h.group("coordinatie"), "Telefooncirkel")
        await advance_to(h, local(2026, 5, 5, 11, 0))
        assert "Nieuwe poging (1)" in sanne.last_text()
        await sanne.press("Niet bereikt")
        assert "De coördinator en de contactpersoon krijgen bericht" in sanne.last_text()
        [alert_text] = texts_in(h, h.group("coordinatie"), "Telefooncirkel")
        assert "Mia (HH-2026-00001) is 2 keer achter elkaar niet bereikt" in alert_text
        assert alert_text.count("niet bereikt (Sanne)") == 2
        assert "Contactpersoon Piet heeft bericht gekregen" in alert_text
        [told] = texts_in(h, CONTACT_PERSON, "niet bereiken")
        assert "Mia" in told and "06" not in told  # first name only, no number
        assert [c.outcome for c in await call_contacts(h)] == ["no_answer", "no_answer"]
        async with db.session() as session:
            [series] = list(await session.scalars(select(CallSeries)))
        assert series.misses == 0  # counting starts again after the alert
        # The next regular check-in is still planned, a week later.
        assert local(2026, 5, 12, 10, 0) in [
            c.due_at for c in await calls(h) if c.status == CallStatus.scheduled
        ]

        # A coordinator closes the alert with what was done and a note.
        kim = await h.add_staff(FakeUser(id=6002, first_name="Kim"), "coordinatie")
        await kim.press("Later toch bereikt", chat_id=h.group("coordinatie"))
        assert "Alleen een coördinator" in h.telegram.callback_answers()[-1]["text"]
        carla = await h.add_staff(COORD, "coordinatie", role=Role.coordinator)
        await carla.press("Later toch bereikt", chat_id=h.group("coordinatie"))
        assert "Wat is er gedaan" in carla.last_text()
        await carla.say("Buurvrouw ging kijken, alles goed")
        assert "afgesloten door Carla: Later toch bereikt" in carla.last_text()
        async with db.session() as session:
            [alert] = list(await session.scalars(select(CallAlert)))
            notes = [n.text for n in await session.scalars(select(RequestNote))]
        assert alert.status == "closed" and alert.action == "reached_later"
        assert any("Buurvrouw ging kijken" in n for n in notes)
        await carla.press("Anders", chat_id=h.group("coordinatie"))
        assert "al afgesloten" in h.telegram.callback_answers()[-1]["text"]


async def test_reached_after_a_miss_resets_the_count(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _check_in(h, sanne)
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await sanne.press("Niet bereikt")
        await advance_to(h, local(2026, 5, 5, 11, 0))
        await sanne.press("Gebeld")
        async with db.session() as session:
            [series] = list(await session.scalars(select(CallSeries)))
        assert series.misses == 0
        await advance_to(h, local(2026, 5, 12, 10, 0))
        await sanne.press("Niet bereikt")
        assert not texts_in(h, h.group("coordinatie"), "Telefooncirkel")


async def _resident_opts_in(h, sanne, when: str = "woensdag 10:00") -> None:  # type: ignore[no-untyped-def]
    await sanne.say(f"/plan HH-2026-00001 {when}")
    await sanne.press("Inwoner herinneren")
    assert "Herinnering aan inwoner: ja" in sanne.last_text()
    await sanne.press("Inplannen")


async def test_resident_reminder_and_past_niet(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _resident_opts_in(h, sanne)
        mia = h.chat(MIA)
        await advance_to(h, local(2026, 5, 5, 9, 59))
        assert not texts_in(h, MIA.id, "belt Sanne")
        await advance_to(h, local(2026, 5, 5, 10, 0))
        assert mia.last_text() == "Morgen om 10:00 belt Sanne van HeusdenHelpt! u."
        message, data = find_button(h.telegram, MIA.id, "Past niet")
        await mia.press("Past niet")
        assert "Wij zoeken een ander moment" in mia.last_text()
        assert "Mia (HH-2026-00001) vraagt om een ander moment" in sanne.last_text()
        await mia.feed(h.telegram.press(MIA, message, data, queue=False))  # pressed again
        assert len(texts_in(h, SANNE.id, "vraagt om een ander moment")) == 1
        await sanne.press("Verzetten")
        await sanne.press("Zelf")
        await sanne.say("donderdag 15:00")
        await tick(h)
        moved = mia.last_text()
        assert moved == (
            "Uw belafspraak is verzet: Sanne van HeusdenHelpt! belt u nu donderdag 7 mei om 15:00."
        )


async def test_moved_notice_waits_for_the_end_of_quiet_hours(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _resident_opts_in(h, sanne, "woensdag 14:00")
        h.clock.now = local(2026, 5, 5, 22, 0)
        await sanne.say("/agenda")
        [call] = await calls(h)
        from helpline.cases.calls import reschedule

        async with db.session() as session:
            fresh = await session.get(type(call), call.id)
            assert fresh is not None
            assert await reschedule(session, h.services, fresh, local(2026, 5, 6, 16, 0))
        await tick(h)
        assert not texts_in(h, MIA.id, "verzet")
        await advance_to(h, local(2026, 5, 6, 8, 59))
        assert not texts_in(h, MIA.id, "verzet")
        await advance_to(h, local(2026, 5, 6, 9, 0))
        [moved] = texts_in(h, MIA.id, "verzet")
        assert "vandaag om 16:00" in moved


async def test_no_reminders_without_opt_in_and_after_stop(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await sanne.say("/plan HH-2026-00001 woensdag 10:00")
        await sanne.press("Inplannen")  # not opted in
        await advance_to(h, local(2026, 5, 5, 10, 0))
        assert not texts_in(h, MIA.id, "belt Sanne")
        await _resident_opts_in(h, sanne, "vrijdag 10:00")
        await advance_to(h, local(2026, 5, 7, 10, 0))
        mia = h.chat(MIA)
        assert "Morgen om 10:00 belt Sanne" in mia.last_text()
        await mia.press("Geen herinneringen meer")
        async with db.session() as session:
            [resident] = list(await session.scalars(select(Resident)))
        assert resident.call_reminders is False


async def test_resident_who_blocked_the_bot_gets_no_more_reminders(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _resident_opts_in(h, sanne)
        h.telegram.block(MIA.id)
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await tick(h)
        assert "geblokkeerd" in sanne.last_text() or "blokkeerd" in sanne.last_text()
        async with db.session() as session:
            [resident] = list(await session.scalars(select(Resident)))
        assert resident.blocked_at is not None
        sent_to_mia = [c for c in h.telegram.calls if c.params.get("chat_id") == MIA.id]
        await advance_to(h, local(2026, 5, 6, 9, 30))
        await advance_to(h, local(2026, 5, 6, 10, 0))
        assert "Nu bellen: Mia" in sanne.last_text()  # the assignee is still reminded
        assert [c for c in h.telegram.calls if c.params.get("chat_id") == MIA.id] == sent_to_mia
        await sanne.say("/plan HH-2026-00001 vrijdag 10:00")
        assert "niet mogelijk (geen Telegram)" in sanne.last_text()


async def test_someone_else_cannot_answer_for_the_resident(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne, _ = await claimed_case(h)
        await _resident_opts_in(h, sanne)
        await advance_to(h, local(2026, 5, 5, 10, 0))
        notice = h.telegram.last_sent(MIA.id)
        [data] = [
            b["callback_data"]
            for row in notice["reply_markup"]["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("cr:nofit")
        ]
        eve = FakeUser(id=6001, first_name="Eve")
        await h.chat(eve).feed(h.telegram.press(eve, notice, data, queue=False))
        assert "voorbij of veranderd" in h.telegram.callback_answers()[-1]["text"]
        assert not texts_in(h, SANNE.id, "vraagt om een ander moment")
