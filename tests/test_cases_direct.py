"""The use cases called directly: no bot, no fake Bot API, only the database.

What a handler would do after parsing an update, done by hand: a resident's intake is
submitted, a crisis is raised mid-intake, a staff member's phone intake is stored. What
must reach someone is checked in the outbox, where the dispatcher would find it.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from flows.conversation import TextIn
from flows.intake import Draft, Step
from flows.phone_intake import StaffDraft, StaffStep
from helpline.app import build_services
from helpline.cases import conversation, drafts, intake, staff_intake
from helpline.cases.access import Actor, actor_for
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, IntakeDraft, Outbox, Request, Role
from tests.bot_harness import GROUP_BASE, FakeClock, make_settings

RESIDENT, CHAT = 7001, 7001


def services_for(db: Database, tmp_path: Path) -> Services:
    services = build_services(make_settings(tmp_path, db.url, []), clock=FakeClock(), db=db)
    services.settings.queue_chats = {
        q: GROUP_BASE - n for n, q in enumerate(services.config.queues)
    }
    return services


def confirmed(question: str, category: str, **fields: object) -> Draft:
    values: dict[str, object] = {
        "step": Step.SUMMARY,
        "language": "nl",
        "first_name": "Truus",
        "consented": True,
        "question": question,
        "category": category,
        "village": "drunen",
        "phone": "+31612345678",
        "contact_preference": "chat",
    }
    values.update(fields)
    return Draft(**values)  # type: ignore[arg-type]


async def actor(db: Database, user_id: int) -> Actor:
    """The staff member with this Telegram id, as a use case sees them."""
    async with db.session() as session:
        found = await actor_for(session, user_id)
    assert found is not None
    return found


async def outbox(db: Database) -> list[Outbox]:
    async with db.session() as session:
        return list(await session.scalars(select(Outbox).order_by(Outbox.id)))


async def stored_draft(db: Database, services: Services, draft: Draft) -> None:
    async with db.session() as session:
        row = IntakeDraft(chat_id=CHAT, user_id=RESIDENT, flow="resident", step=draft.step.value)
        session.add(drafts.store_resident_draft(services, row, draft))


async def test_a_submitted_intake_is_a_request_a_contact_and_a_card(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    draft = confirmed("Kan iemand boodschappen voor mij doen?", "boodschappen")
    await stored_draft(db, services, draft)
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=CHAT)
        assert row is not None
        assert drafts.resident_draft(row) == draft, "the row maps back to the same draft"
        request = await intake.submit_intake(session, services, row=row, draft=draft)
    async with db.session() as session:
        [stored] = list(await session.scalars(select(Request)))
        [contact] = list(await session.scalars(select(Contact)))
        assert await repo.get_draft(session=session, chat_id=CHAT) is None
    assert (stored.id, stored.category, stored.queue) == (request.id, "boodschappen", request.queue)
    assert (contact.channel, contact.event) == ("telegram", "intake")
    [card] = await outbox(db)
    assert card.chat_id == services.settings.queue_chats[stored.queue]
    keyboard = json.loads(card.reply_markup or "{}")["inline_keyboard"]
    assert any(b["callback_data"] == f"req:claim:{stored.id}" for r in keyboard for b in r)
    # The group sees the minimum (first name, village); never the question or the phone.
    assert "boodschappen voor mij" not in card.text and "612345678" not in card.text


async def test_a_crisis_mid_intake_alerts_the_coordinators_and_keeps_the_draft(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    draft = confirmed("", "overig", step=Step.QUESTION, consented=False)
    await stored_draft(db, services, draft)
    message = "ik wil niet meer leven"
    result = services.classifier.classify(message)
    assert result.urgency == "crisis"
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=CHAT)
        resident = await repo.upsert_telegram_resident(
            session=session, telegram_user_id=RESIDENT, chat_id=CHAT, first_name="Truus",
            language="nl",
        )  # fmt: skip
        request = await intake.raise_crisis(
            session, services, resident=resident, text=message, result=result, draft_row=row
        )
    assert (request.urgency, request.queue) == ("crisis", services.config.crisis_queue)
    assert request.consent_version == intake.VITAL_INTEREST
    coordination = services.settings.queue_chats[services.config.crisis_queue]
    assert [m.chat_id for m in await outbox(db)].count(coordination) >= 1
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=CHAT)
    assert row is not None and row.request_id == request.id and row.urgency == "crisis"


async def test_a_staff_intake_by_phone_is_stored_as_a_phone_request(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    async with db.session() as session:
        await repo.add_staff(
            session=session, telegram_user_id=9001, name="Sanne", role=Role.staff,
            queues=["wijkteam_drunen"],
        )  # fmt: skip
    draft = StaffDraft(
        step=StaffStep.SUMMARY,
        channel="phone",
        first_name="Kees",
        phone="0612345678",
        village="drunen",
        question="Meneer zoekt iemand die de tuin kan doen",
        category="klussen",
    )
    async with db.session() as session:
        actor = await actor_for(session, 9001)
        assert actor is not None
        request = await staff_intake.submit_staff_intake(
            session, services, actor=actor, draft=draft
        )
    assert (request.channel, request.category) == ("phone", "klussen")
    assert await outbox(db), "the card is queued for the group"


async def test_a_message_after_the_intake_joins_the_request_and_reaches_its_holder(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    draft = confirmed("Kan iemand mijn hond uitlaten?", "huisdier")
    await stored_draft(db, services, draft)
    async with db.session() as session:
        holder = await repo.add_staff(
            session=session, telegram_user_id=9002, name="Ali", role=Role.staff,
            queues=["vrijwilligers"],
        )  # fmt: skip
        row = await repo.get_draft(session=session, chat_id=CHAT)
        assert row is not None
        request = await intake.submit_intake(session, services, row=row, draft=draft)
        assert await repo.claim_request(
            session=session, request_id=request.id or 0, staff_id=holder.id or 0,
            now=services.clock(),
        )  # fmt: skip
    sender = conversation.Sender(CHAT, RESIDENT, "Truus", "nl")
    async with db.session() as session:
        resident = await repo.get_resident_by_telegram_id(
            session=session, telegram_user_id=RESIDENT
        )
        replies = await conversation.outside_intake(
            session, services, sender, TextIn("Hij heet Bruno"), resident
        )
    assert request.reference in replies[0].text
    relayed = [m for m in await outbox(db) if m.chat_id == 9002]
    assert len(relayed) == 1 and "Hij heet Bruno" in relayed[0].text
    async with db.session() as session:
        contacts = list(await session.scalars(select(Contact).order_by(Contact.id)))
    assert [c.event for c in contacts] == ["intake", "message"]


async def test_every_field_of_both_drafts_survives_its_row(db: Database, tmp_path: Path) -> None:
    # Each field gets a value unlike its default, so a field left out of the mapping
    # in either direction shows up as a difference.
    services = services_for(db, tmp_path)
    resident = Draft(
        step=Step.SUMMARY,
        language="en",
        first_name="Truus",
        consented=True,
        question="Boodschappen?",
        category="boodschappen",
        alternatives=("boodschappen", "vervoer"),
        urgency="urgent",
        kind="aanbod",
        village="drunen",
        phone="+31612345678",
        contact_preference="phone",
        preferred_time="morning",
    )
    staff = StaffDraft(
        step=StaffStep.SUMMARY,
        channel="walk_in",
        location="drunen",
        first_name="Kees",
        phone="+31612345679",
        village="vlijmen",
        question="Vervoer naar het ziekenhuis",
        category="vervoer",
        kind="informatie",
        urgency="urgent",
    )
    async with db.session() as session:
        row = IntakeDraft(chat_id=CHAT, user_id=RESIDENT, flow="resident", step="")
        session.add(drafts.store_resident_draft(services, row, resident))
        staff_row = IntakeDraft(chat_id=CHAT + 1, user_id=RESIDENT, flow="staff", step="")
        session.add(drafts.store_staff_draft(services, staff_row, staff))
    async with db.session() as session:
        stored = await repo.get_draft(session=session, chat_id=CHAT)
        stored_staff = await session.get(IntakeDraft, staff_row.id)
        assert stored is not None and stored_staff is not None
        assert drafts.resident_draft(stored) == resident
        assert drafts.staff_draft(stored_staff) == staff
