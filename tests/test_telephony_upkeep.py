"""Calls the exchange left open, after a restart or for good; the unhandled-call reminder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlmodel import select

from flows.telephony import CallEvent, CallEventKind
from helpline.cases.phone_upkeep import run_phone_upkeep
from helpline.cases.telephony import handle_call_event
from helpline.screen_pops import edit_pops
from helpline.settings import Settings
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Request, Role
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall
from tests.bot_harness import Harness, running_app

SANNE = FakeUser(id=5001, first_name="Sanne")
CALLER = "+31612345678"


def event(h: Harness, kind: CallEventKind, call_id: str = "c1", **fields: object) -> CallEvent:
    values: dict[str, object] = {
        "provider": "cti",
        "call_id": call_id,
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


async def ring_and_answer(h: Harness, call_id: str = "c1") -> None:
    await handle_call_event(h.services, event(h, CallEventKind.ringing, call_id))
    await handle_call_event(
        h.services, event(h, CallEventKind.answered, call_id, answered_by="201")
    )


async def rows(h: Harness, model: type) -> list:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(model)))


async def deliver(h: Harness) -> None:
    await h.services.dispatcher.run_once(h.app.bot)


async def test_a_call_open_at_start_up_is_reconciled_by_its_hangup(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await ring_and_answer(h)
        clock = h.clock
    # The process stops (a crash or a restart) between the answer and the hangup.
    async with running_app(db, tmp_path) as h:
        h.clock.now = clock.now
        h.clock.advance(minutes=4)
        hangup = event(h, CallEventKind.ended, cause="normalClearing")
        assert (await handle_call_event(h.services, hangup)).changed
        [call] = await rows(h, PhoneCall)
        [contact] = await rows(h, Contact)
        assert call.state == "ended" and call.contact_id == contact.id
        await deliver(h)
        assert "(4 min)" in h.telegram.last_sent(SANNE.id)["text"]


async def test_stale_calls_are_closed_as_unknown_and_a_late_hangup_changes_nothing(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await handle_call_event(h.services, event(h, CallEventKind.ringing, "ringing"))
        await ring_and_answer(h, "answered")
        await deliver(h)
        h.clock.advance(minutes=239)
        assert (await run_phone_upkeep(h.services)).closed == 0
        h.clock.advance(minutes=2)
        outcome = await run_phone_upkeep(h.services)
        assert outcome.closed == 2
        await edit_pops(h.app, outcome.edits)
        calls = {c.call_id: c for c in await rows(h, PhoneCall)}
        assert (calls["ringing"].state, calls["ringing"].cause) == ("unknown", "unknown")
        assert (calls["answered"].state, calls["answered"].cause) == ("ended", "unknown")
        [contact] = await rows(h, Contact)  # only the answered call was a contact
        assert contact.id == calls["answered"].contact_id
        assert await rows(h, Request) == []  # unknown is not missed: no callback
        pop = h.telegram.sent(SANNE.id)[0]
        assert (
            "meldde niet hoe dit gesprek afliep"
            in h.telegram.message(SANNE.id, pop["message_id"])["text"]
        )
        await deliver(h)
        assert "meldde niet wanneer" in h.telegram.last_sent(SANNE.id)["text"]
        for call_id in ("ringing", "answered"):
            late = event(h, CallEventKind.ended, call_id, cause="normalClearing")
            assert not (await handle_call_event(h.services, late)).changed
        assert (await run_phone_upkeep(h.services)).closed == 0


async def test_an_unhandled_call_gets_one_reminder_after_15_minutes(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await ring_and_answer(h)
        h.clock.advance(minutes=2)
        await handle_call_event(h.services, event(h, CallEventKind.ended, cause="normalClearing"))
        await deliver(h)
        h.clock.advance(minutes=14)
        assert (await run_phone_upkeep(h.services)).reminded == 0
        h.clock.advance(minutes=2)
        assert (await run_phone_upkeep(h.services)).reminded == 1
        assert (await run_phone_upkeep(h.services)).reminded == 0  # one reminder only
        await deliver(h)
        reminder = h.telegram.last_sent(SANNE.id)
        assert "Nog niet vastgelegd" in reminder["text"] and "11:02" in reminder["text"]
        assert "Alleen informatie" in str(reminder["reply_markup"])
        await h.chat(SANNE).press("Alleen informatie")  # the reminder's button works
        [call] = await rows(h, PhoneCall)
        assert call.follow_up == "info"
        h.clock.advance(hours=1)
        assert (await run_phone_upkeep(h.services)).reminded == 0


async def test_a_handled_call_gets_no_reminder(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await with_sanne(h)
        await ring_and_answer(h)
        await handle_call_event(h.services, event(h, CallEventKind.ended, cause="normalClearing"))
        await deliver(h)
        await h.chat(SANNE).press("Alleen informatie")
        h.clock.advance(minutes=20)
        assert (await run_phone_upkeep(h.services)).reminded == 0
        assert h.app.job_queue is not None
        assert "phone-upkeep" in {job.name for job in h.app.job_queue.jobs()}


def test_stale_call_minutes_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        Settings(telephony_stale_call_minutes=5, HELPLINE_DATA_DIR=tmp_path)
