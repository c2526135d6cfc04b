"""The phone line and privacy: strangers' numbers expire, a resident's export has their calls."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from flows.privacy import RetentionPolicy, cutoffs
from flows.telephony import CallEvent, CallEventKind
from helpline.cases.telephony import handle_call_event
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, Resident
from storage.repository.privacy import collect, erase, subject_of
from storage.repository.retention import apply_retention
from storage.telephony_models import PhoneCall
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
MIA_PHONE = "+31612345678"  # the number complete_intake gives
STRANGER = "+31687654321"
MISSED = "+31611112222"
POLICY = RetentionPolicy(free_text_months=12, contact_years=7, draft_days=14, run_hour=3)


def event(
    h: Harness, call_id: str, kind: CallEventKind, number: str, **fields: object
) -> CallEvent:
    values: dict[str, object] = {
        "provider": "cti",
        "call_id": call_id,
        "event": kind,
        "from_number": number,
        "to_number": "+31416123456",
        "direction": "inbound",
        "at": h.clock(),
    }
    values.update(fields)
    return CallEvent(**values)  # type: ignore[arg-type]


async def talk(h: Harness, call_id: str, number: str) -> None:
    """A call that was answered and ended normally."""
    await handle_call_event(h.services, event(h, call_id, CallEventKind.ringing, number))
    ended = event(h, call_id, CallEventKind.ended, number, cause="normalClearing")
    await handle_call_event(h.services, ended)


async def calls_by_id(h: Harness) -> dict[str, PhoneCall]:
    async with h.services.db.session() as session:
        return {c.call_id: c for c in await session.scalars(select(PhoneCall))}


async def retention(h: Harness) -> int:
    async with h.services.db.session() as session:
        now = h.clock()
        result = await apply_retention(session=session, cutoffs=cutoffs(POLICY, now), now=now)
        return result.call_numbers_cleared


async def test_retention_clears_numbers_of_callers_who_never_became_residents(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), "Hulp met een formulier")
        await talk(h, "mia", MIA_PHONE)  # a known resident
        await talk(h, "stranger", STRANGER)  # never became a resident
        await handle_call_event(h.services, event(h, "missed", CallEventKind.ringing, MISSED))
        await handle_call_event(
            h.services, event(h, "missed", CallEventKind.ended, MISSED, cause="noAnswer")
        )  # a missed call: its callback request makes the caller a resident
        h.clock.advance(days=13)
        assert await retention(h) == 0  # not yet expired
        assert (await calls_by_id(h))["stranger"].caller_phone == STRANGER
        h.clock.advance(days=2)
        assert await retention(h) == 1
        calls = await calls_by_id(h)
        assert calls["stranger"].caller_phone is None
        assert calls["stranger"].state == "ended"  # the call stays and counts
        assert calls["mia"].caller_phone == MIA_PHONE
        assert calls["missed"].caller_phone == MISSED
        async with h.services.db.session() as session:
            contacts = list(await session.scalars(select(Contact)))
        assert sum(c.event == "call" for c in contacts) == 2  # tallies stay
        assert await retention(h) == 0  # a second run changes nothing


async def test_export_has_calls_made_before_the_number_was_on_record(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await talk(h, "before", MIA_PHONE)  # an unknown number, then
        h.clock.advance(minutes=30)
        await complete_intake(h.chat(MIA), "Hulp met een formulier")  # she becomes a resident
        await talk(h, "after", MIA_PHONE)
        await talk(h, "other", STRANGER)
        async with h.services.db.session() as session:
            resident = await session.scalar(select(Resident).where(Resident.phone == MIA_PHONE))
            subject = await subject_of(session=session, resident=resident)
            export = await collect(session=session, subject=subject, now=h.clock())
        exported = {row["call_id"] for row in export["tables"]["phone_call"]}
        assert exported == {"before", "after"}
        async with h.services.db.session() as session:
            resident = await session.scalar(select(Resident).where(Resident.phone == MIA_PHONE))
            subject = await subject_of(session=session, resident=resident)
            await erase(session=session, subject=subject, now=h.clock())
        calls = await calls_by_id(h)
        assert calls["before"].caller_phone is None and calls["after"].caller_phone is None
        assert calls["other"].caller_phone == STRANGER
