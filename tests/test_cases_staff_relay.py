"""A staff member's private text as a use case, called directly: no bot, only the database.

Who may relay (only the holder of their chosen, claimed case), what is said instead
(welcome, help, no case, too long, no chat: the number shown and audited), and what is
recorded after the edge's send: the note, the outbound contact and the message id, or
the resident marked unreachable when they blocked the bot.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from helpline.cases import staff_relay
from helpline.cases.core import Services
from helpline.cases.relay import MAX_RELAY_CHARS
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Request, RequestNote, Resident, Role
from storage.privacy_models import AuditAction, AuditEntry, ChatMessage
from tests.test_cases_direct import services_for

SANNE, PIET, STRANGER = 5401, 5402, 5403
MIA_CHAT = 4501


async def rows(db: Database, model: type) -> list:
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def case_of_sanne(
    db: Database, services: Services, *, chat: bool = True, holder: int = SANNE
) -> Request:
    """Mia's request, claimed by ``holder``, chosen by Sanne as her case to write to."""
    async with db.session() as session:
        ids: dict[int, int | None] = {}
        for telegram_id, name in ((SANNE, "Sanne"), (PIET, "Piet")):
            staff = await repo.add_staff(
                session=session,
                telegram_user_id=telegram_id,
                name=name,
                role=Role.volunteer,
                queues=["wijkteam_drunen"],
            )
            ids[telegram_id] = staff.id
        mia = Resident(
            telegram_user_id=MIA_CHAT if chat else None,
            chat_id=MIA_CHAT if chat else None,
            first_name="Mia",
            phone="+31612345678",
            language="en",
        )
        session.add(mia)
        await session.flush()
        request = await repo.create_request(
            session=session,
            prefix="HH",
            resident_id=mia.id,
            category="formulieren",
            queue="wijkteam_drunen",
            status="claimed",
            claimed_by=ids[holder],
            created_at=services.clock(),
        )
        await repo.set_active_request(
            session=session, staff_id=ids[SANNE] or 0, request_id=request.id
        )
        return request


async def read(
    db: Database, services: Services, user_id: int, text: str
) -> staff_relay.StaffText | None:
    async with db.session() as session:
        return await staff_relay.read_text(session, services, user_id, text)


async def test_only_staff_and_only_plain_text_is_relayed(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await case_of_sanne(db, services)
    t, lang = services.texts, services.staff_language
    assert await read(db, services, STRANGER, "Hallo") is None
    start = await read(db, services, SANNE, "/start")
    assert start is not None and start.greet and start.actor.staff.name == "Sanne"
    help_ = await read(db, services, SANNE, "/wachtrij")
    assert help_ is not None and help_.answer == (t("staff_help", lang), ())
    piet = await read(db, services, PIET, "Hallo")  # no case chosen
    assert piet is not None and piet.to_chat is None
    assert piet.answer == (t("relay_no_case", lang), ())


async def test_the_holder_relays_and_the_delivery_is_recorded(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await case_of_sanne(db, services)
    turn = await read(db, services, SANNE, "Ik bel je morgen")
    assert turn is not None and turn.answer is None and turn.to_chat is not None
    to_chat = turn.to_chat
    assert to_chat.chat_id == MIA_CHAT
    assert to_chat.text == services.texts("relay_from_staff", "en", text="Ik bel je morgen")
    assert await rows(db, RequestNote) == []  # nothing recorded before the send
    async with db.session() as session:
        said = await staff_relay.delivered(session, services, to_chat, 777)
    assert said == services.texts(
        "relay_sent", services.staff_language, first_name="Mia", reference=request.reference
    )
    [note] = await rows(db, RequestNote)
    assert note.text == "Ik bel je morgen"
    assert [c.direction for c in await rows(db, Contact)] == ["outbound"]
    assert [(m.chat_id, m.message_id) for m in await rows(db, ChatMessage)] == [(MIA_CHAT, 777)]


async def test_a_blocked_chat_marks_the_resident(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await case_of_sanne(db, services)
    turn = await read(db, services, SANNE, "Hallo Mia")
    assert turn is not None and turn.to_chat is not None
    async with db.session() as session:
        await staff_relay.blocked(session, services, turn.to_chat)
    [mia] = await rows(db, Resident)
    assert mia.blocked_at is not None
    assert await rows(db, RequestNote) == []


async def test_not_the_holder_relays_nothing(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await case_of_sanne(db, services, holder=PIET)
    turn = await read(db, services, SANNE, "Hallo Mia")
    assert turn is not None and turn.to_chat is None
    assert turn.answer == (services.texts("relay_no_case", services.staff_language), ())


async def test_too_long_is_refused(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await case_of_sanne(db, services)
    turn = await read(db, services, SANNE, "x" * (MAX_RELAY_CHARS + 1))
    assert turn is not None and turn.to_chat is None
    limit = services.texts("relay_too_long", services.staff_language, limit=MAX_RELAY_CHARS)
    assert turn.answer == (limit, ())


async def test_no_chat_shows_the_number_audited(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    request = await case_of_sanne(db, services, chat=False)
    turn = await read(db, services, SANNE, "Hallo Mia")
    assert turn is not None and turn.to_chat is None and not turn.mailed
    said = services.texts("relay_not_chat", services.staff_language, phone="+31612345678")
    assert turn.answer == (said, ())
    [audit] = [a for a in await rows(db, AuditEntry) if a.action == AuditAction.view_phone]
    assert audit.request_id == request.id and audit.detail == "via=relay"
    assert await rows(db, RequestNote) == []
