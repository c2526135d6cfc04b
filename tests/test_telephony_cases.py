"""The phone-line use case without HTTP: exchanges that differ, odd orders, closed hours."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from flows.telephony import CallEvent, CallEventKind
from helpline.cases.telephony import handle_call_event
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Request, Resident, Role
from storage.repository.privacy import erase, subject_of
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall, PhonePop
from tests.bot_harness import Harness, complete_intake, running_app

SANNE = FakeUser(id=5001, first_name="Sanne")
CALLER = "+31612345678"


def event(h: Harness, kind: CallEventKind, **fields: object) -> CallEvent:
    values: dict[str, object] = {
        "provider": "cti",
        "call_id": "c1",
        "event": kind,
        "from_number": CALLER,
        "to_number": "+31416123456",
        "direction": "inbound",
        "at": h.clock(),
    }
    values.update(fields)
    return CallEvent(**values)  # type: ignore[arg-type]


async def with_sanne(h: Harness) -> None:
    await h.add_staff(SANNE, "coordinatie", role=Role.coordinator)
    async with h.services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=SANNE.id)
        assert staff is not None and staff.id is not None
        await set_phone_extension(session=session, staff_id=staff.id, extension="201")


async def rows(h: Harness, model: type) -> list:  # type: ignore[type-arg]
    async with h.services.db.session() as session:
        return list(await session.scalars(select(model)))


async def test_answer_reported_only_with_the_hangup(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await handle_call_event(h.services, event(h, CallEventKind.ringing))
        h.clock.advance(minutes=2)
        ended = event(h, CallEventKind.ended, cause="normalClearing", answered_by="201")
        outcome = await handle_call_event(h.services, ended)
        assert outcome.changed
        [call] = await rows(h, PhoneCall)
        assert call.state == "ended" and call.answered_ext == "201" and call.answered_by
        [contact] = await rows(h, Contact)
        assert contact.staff_id == call.answered_by
        await h.services.dispatcher.run_once(h.app.bot)
        assert "afgelopen" in h.telegram.last_sent(SANNE.id)["text"]


async def test_normal_clearing_without_who_logs_a_contact_without_staff(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await handle_call_event(h.services, event(h, CallEventKind.ringing))
        await handle_call_event(h.services, event(h, CallEventKind.ended, cause="normalClearing"))
        [contact] = await rows(h, Contact)
        assert contact.staff_id is None and await rows(h, Request) == []


async def test_closed_hours_send_no_pops_and_a_missed_call_becomes_a_callback(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        h.clock.advance(hours=12)  # Monday 23:00 in Heusden
        outcome = await handle_call_event(h.services, event(h, CallEventKind.ringing))
        assert outcome.changed and outcome.pops == 0
        await handle_call_event(h.services, event(h, CallEventKind.ended, cause="noAnswer"))
        [request] = await rows(h, Request)
        assert request.queue == "coordinatie" and request.status == "open"
        assert await rows(h, PhonePop) == []


async def test_outbound_and_out_of_order_events(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        outbound = event(h, CallEventKind.ringing, direction="outbound", call_id="o1")
        placed = await handle_call_event(h.services, outbound)
        assert placed.changed and placed.pops == 0  # recorded (test_phone_dial), no pops
        assert [c.direction for c in await rows(h, PhoneCall)] == ["outbound"]
        # The hangup overtook the newCall: a missed call; the late newCall pops nothing.
        await handle_call_event(h.services, event(h, CallEventKind.ended, cause="cancel"))
        late = await handle_call_event(h.services, event(h, CallEventKind.ringing))
        assert not late.changed and late.pops == 0
        [call] = [c for c in await rows(h, PhoneCall) if c.direction == "inbound"]
        assert call.state == "missed"
        h.clock.advance(minutes=1)
        # An answer after the end changes nothing either.
        answer = event(h, CallEventKind.answered, answered_by="201")
        assert not (await handle_call_event(h.services, answer)).changed


async def test_erasing_a_resident_clears_the_number_on_their_calls(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(FakeUser(id=4001, first_name="Mia")), "Hulp met formulier")
        await handle_call_event(h.services, event(h, CallEventKind.ringing))
        async with h.services.db.session() as session:
            [call] = list(await session.scalars(select(PhoneCall)))
            assert call.resident_id is not None and call.caller_phone == CALLER
            resident = await session.get(Resident, call.resident_id)
            subject = await subject_of(session=session, resident=resident)
            await erase(session=session, subject=subject, now=h.clock())
        [call] = await rows(h, PhoneCall)
        assert call.caller_phone is None and call.state == "ringing"
