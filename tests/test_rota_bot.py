"""/rooster through the fake Bot API; pops to whoever is on duty; the weekly list of gaps."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from flows.telephony import CallEvent, CallEventKind
from helpline.cases.rota import run_week_report
from helpline.cases.telephony import handle_call_event
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Role
from storage.telephony_models import PhoneShift, PhoneShiftException
from tests.bot_harness import Harness, running_app

TOM = FakeUser(id=5010, first_name="Tom")  # coordinator
SANNE = FakeUser(id=5001, first_name="Sanne")  # staff, wijkteam_drunen
KEES = FakeUser(id=5002, first_name="Kees")  # staff, in the telephony queue
VERA = FakeUser(id=5003, first_name="Vera")  # volunteer


async def people(h: Harness) -> None:
    await h.add_staff(TOM, "wijkteam_heusden", role=Role.coordinator)
    await h.add_staff(SANNE, "wijkteam_drunen")
    await h.add_staff(KEES, "coordinatie")
    await h.add_staff(VERA, "coordinatie", role=Role.volunteer)


async def ring(h: Harness, call_id: str) -> None:
    event = CallEvent(
        provider="cti",
        call_id=call_id,
        event=CallEventKind.ringing,
        from_number="+31612345678",
        to_number="+31416123456",
        direction="inbound",
        at=h.clock(),
    )
    await handle_call_event(h.services, event)
    await h.services.dispatcher.run_once(h.app.bot)


def pops(h: Harness, user: FakeUser) -> int:
    return sum("Inkomend gesprek" in (m.get("text") or "") for m in h.telegram.sent(user.id))


async def count(h: Harness, model: type) -> int:
    async with h.services.db.session() as session:
        return len(list(await session.scalars(select(model))))


async def test_coordinator_edits_the_rota_and_bad_input_gets_one_line(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await people(h)
        tom = h.chat(TOM)
        await tom.say("/rooster")
        assert "Nog niemand ingeroosterd" in tom.last_text()
        await tom.say("/rooster plus sanne ma 09:00-12:00")
        assert tom.last_text() == "✅ Sanne neemt de telefoon op, elke ma 09:00–12:00."
        await tom.say("/rooster plus Sanne ma 9-12")
        assert tom.last_text() == "Dat stond al in het rooster."
        await tom.say("/rooster extra Kees 07-05 13:00-17:00")
        assert "Kees neemt extra de telefoon op, do 07-05 13:00–17:00" in tom.last_text()
        await tom.say("/rooster vrij Sanne 11-05")
        assert "Sanne is vrij op ma 11-05 (hele dag)" in tom.last_text()
        await tom.say("/rooster")
        shown = tom.last_text()
        assert "ma 09:00–12:00: Sanne" in shown and "do 07-05 extra: Kees (13:00–17:00)" in shown
        assert "ma 04-05 12:00–17:00" in shown  # this Monday afternoon is not covered
        assert "do 07-05 09:00–13:00" in shown and "do 07-05 13:00" not in shown
        bad = {
            "/rooster plus Sanne ma 12:00-09:00": "Die tijden kloppen niet",
            "/rooster plus Sanne maandagochtend 9-12": "Welke dag?",
            "/rooster plus Bob ma 9-12": "geen medewerker met de naam Bob",
            "/rooster plus Vera ma 9-12": "Vera is vrijwilliger",
            "/rooster ruilen": "Dat begrijp ik niet",
            "/rooster vrij Sanne 01-01-2026": "al voorbij",
            "/rooster vrij Sanne 32-13": "datum kan ik niet lezen",
            "/rooster min Kees di 9-12": "Kees staat niet op di 09:00–12:00",
        }
        for typed, expected in bad.items():
            await tom.say(typed)
            answer = tom.last_text()
            assert expected in answer and "\n" not in answer, (typed, answer)
        assert (await count(h, PhoneShift), await count(h, PhoneShiftException)) == (1, 2)
        await tom.say("/rooster min Sanne ma 09:00-12:00")
        assert "Sanne staat niet meer op ma" in tom.last_text()
        await tom.say("/rooster min Kees 07-05")
        assert "uitzonderingen van Kees op do 07-05 zijn weg" in tom.last_text()
        assert (await count(h, PhoneShift), await count(h, PhoneShiftException)) == (0, 1)


async def test_only_coordinators_and_admins_may_use_the_rota(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await people(h)
        for user, expected in (
            (VERA, "alleen voor coördinatoren"),
            (KEES, "alleen voor coördinatoren"),
            (FakeUser(id=4001, first_name="Mia"), "alleen voor medewerkers"),
        ):
            chat = h.chat(user)
            await chat.say("/rooster plus Kees ma 09:00-12:00")
            assert expected in chat.last_text()
        assert await count(h, PhoneShift) == 0


async def test_pops_go_to_whoever_is_on_duty_else_the_queue(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await people(h)
        tom = h.chat(TOM)
        await tom.say("/rooster plus Sanne ma 09:00-12:00")  # now: Monday 11:00
        await ring(h, "c1")
        assert (pops(h, SANNE), pops(h, KEES), pops(h, VERA)) == (1, 0, 0)
        await tom.say("/rooster vrij Sanne 04-05 10:00-12:00")
        await ring(h, "c2")  # nobody on duty: the telephony queue, as without a rota
        assert (pops(h, SANNE), pops(h, KEES), pops(h, VERA)) == (1, 1, 0)
        await tom.say("/rooster extra Tom 04-05 11:00-11:30")
        await ring(h, "c3")
        assert (pops(h, TOM), pops(h, SANNE), pops(h, KEES)) == (1, 1, 1)


async def test_weekly_list_of_uncovered_hours_goes_to_the_leads_once(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await people(h)
        tom = h.chat(TOM)
        for day in ("ma", "di", "wo", "do", "vr"):
            await tom.say(f"/rooster plus Kees {day} 09:00-17:00")
        await tom.say("/rooster vrij Kees 12-05 13:00-17:00")  # next week's Tuesday
        h.clock.advance(days=4, hours=2, minutes=59)  # Friday 11:59
        assert await run_week_report(h.services) == 1  # never sent before: due at once
        h.clock.advance(minutes=2)  # Friday 12:01
        assert await run_week_report(h.services) == 0  # sent this week already
        await h.services.dispatcher.run_once(h.app.bot)
        report = h.telegram.last_sent(TOM.id)["text"]
        assert "week van 11-05" in report and "di 12-05 13:00–17:00" in report
        assert "do 14-05" not in report  # Ascension Day: the line is closed
        assert not any("week van" in (m.get("text") or "") for m in h.telegram.sent(KEES.id))
        h.clock.advance(days=7)
        await tom.say("/rooster min Kees 12-05")
        assert await run_week_report(h.services) == 0  # all covered: no message


async def test_an_extra_shift_on_a_closing_day_gets_the_pops(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await people(h)
        tom = h.chat(TOM)
        await tom.say("/rooster extra Kees 09-05 10:00-14:00")  # Saturday: the line is closed
        await tom.say("/rooster plus Sanne za 10:00-14:00")  # a weekly shift on a Saturday
        h.clock.advance(days=5)  # Saturday 9 May, 11:00
        await ring(h, "sat")
        assert (pops(h, KEES), pops(h, SANNE)) == (1, 1)
        h.clock.advance(hours=4)  # 15:00: nobody on duty, closed: no pops
        await ring(h, "late")
        assert (pops(h, KEES), pops(h, SANNE), pops(h, TOM)) == (1, 1, 0)
