"""🔗 Bij HH-… after a call from a known caller, and their last contact in the pop."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select, update

from flows.telephony import CallEvent, CallEventKind
from helpline.cases.telephony import handle_call_event
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Request, Role
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
CALLER = "+31612345678"  # Mia's number in complete_intake


def event(h: Harness, kind: CallEventKind, call_id: str, **more: object) -> CallEvent:
    values: dict[str, object] = {
        "provider": "cti",
        "call_id": call_id,
        "event": kind,
        "from_number": CALLER,
        "to_number": "+31416123456",
        "direction": "inbound",
        "at": h.clock(),
    }
    values.update(more)
    return CallEvent(**values)  # type: ignore[arg-type]


async def setup(h: Harness) -> None:
    await complete_intake(h.chat(MIA), "Hulp met een formulier van de gemeente")
    await h.add_staff(SANNE, "coordinatie", role=Role.coordinator)
    async with h.services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=SANNE.id)
        assert staff is not None and staff.id is not None
        await set_phone_extension(session=session, staff_id=staff.id, extension="201")


async def talk(h: Harness, call_id: str) -> None:
    await handle_call_event(h.services, event(h, CallEventKind.ringing, call_id))
    await handle_call_event(
        h.services, event(h, CallEventKind.answered, call_id, answered_by="201")
    )
    h.clock.advance(minutes=3)
    await handle_call_event(
        h.services, event(h, CallEventKind.ended, call_id, cause="normalClearing")
    )
    await h.services.dispatcher.run_once(h.app.bot)


async def call_contact(h: Harness, call_id: str) -> Contact:
    async with h.services.db.session() as session:
        call = await session.scalar(select(PhoneCall).where(PhoneCall.call_id == call_id))
        assert call is not None and call.contact_id is not None
        contact = await session.get(Contact, call.contact_id)
        assert contact is not None
        return contact


async def test_link_the_call_to_the_callers_open_request(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await setup(h)
        h.clock.advance(days=2)
        await talk(h, "c1")
        pop = next(m for m in h.telegram.sent(SANNE.id) if "Inkomend" in (m.get("text") or ""))
        assert "laatste contact 04-05-2026" in pop["text"]
        ended = h.telegram.last_sent(SANNE.id)
        labels = [b["text"] for row in ended["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["📝 Nieuwe vraag", "🔗 Bij HH-2026-00001", "ℹ️ Alleen informatie"]
        await h.chat(SANNE).press("Bij HH-2026-00001")
        assert h.telegram.last_sent(SANNE.id)["text"] == "✅ Vastgelegd bij HH-2026-00001."
        contact = await call_contact(h, "c1")
        async with h.services.db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert (contact.request_id, contact.kind) == (request.id, "follow_up")
        assert contact.category == request.category
        # A second press (an old message, a double tap) changes nothing.
        data = f"tel:link_{request.id}:{(await call_id_of(h, 'c1'))}"
        await h.chat(SANNE).feed(h.telegram.press(SANNE, ended, data, queue=False))
        assert h.telegram.last_sent(SANNE.id)["text"] == "Dit gesprek is al afgehandeld."


async def call_id_of(h: Harness, call_id: str) -> int:
    async with h.services.db.session() as session:
        call = await session.scalar(select(PhoneCall).where(PhoneCall.call_id == call_id))
        assert call is not None and call.id is not None
        return call.id


async def test_a_closed_or_foreign_request_is_not_linked(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await setup(h)
        await talk(h, "c1")
        ended = h.telegram.last_sent(SANNE.id)
        async with h.services.db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            await session.execute(update(Request).values(status="resolved"))
        await h.chat(SANNE).press("Bij HH-2026-00001")
        assert "HH-2026-00001 is al afgesloten" in h.telegram.last_sent(SANNE.id)["text"]
        assert (await call_contact(h, "c1")).request_id is None
        forged = f"tel:link_{(request.id or 0) + 1}:{await call_id_of(h, 'c1')}"
        await h.chat(SANNE).feed(h.telegram.press(SANNE, ended, forged, queue=False))
        assert h.telegram.last_sent(SANNE.id)["text"] == "Dit gesprek is al afgehandeld."
        await h.chat(SANNE).feed(
            h.telegram.press(SANNE, ended, f"tel:info:{await call_id_of(h, 'c1')}", queue=False)
        )
        assert "alleen informatie" in h.telegram.last_sent(SANNE.id)["text"]  # still possible
