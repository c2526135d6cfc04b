"""Staff casework through the real application: queues, resolve, release, handover, relay."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.scripted import find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, Request, Resident, Role
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
TOM = FakeUser(id=5002, first_name="Tom")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def one(db: Database, model: type) -> object:
    async with db.session() as session:
        [row] = list(await session.scalars(select(model)))
        return row


async def claimed_by_sanne(h: Harness):  # type: ignore[no-untyped-def]
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    return sanne


async def test_queue_lists_crisis_and_urgent_first(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        coordinator = await h.add_staff(TOM, role=Role.coordinator)
        await complete_intake(h.chat(MIA), QUESTION)
        await complete_intake(
            h.chat(FakeUser(id=4002, first_name="Ben")),
            "Mijn man slaat mij soms",
            village="Vlijmen",
        )
        await coordinator.say("/wachtrij")
        listing = coordinator.last_text()
        assert listing.index("HH-2026-00002") < listing.index("HH-2026-00001")
        await coordinator.say("/queue")
        assert coordinator.last_text() == listing


async def test_queue_is_refused_to_non_staff(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        eve = h.chat(FakeUser(id=6001, first_name="Eve"))
        await eve.say("/wachtrij")
        assert "alleen voor medewerkers" in eve.last_text()
        assert "HH-" not in eve.last_text()


async def test_mine_and_resolve_with_outcome(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        await sanne.say("/mijn")
        assert "HH-2026-00001" in sanne.last_text()
        await sanne.press("Afronden")
        await sanne.press("Direct opgelost")
        assert "afgerond" in sanne.last_text()
        request = await one(db, Request)
        assert (request.status, request.outcome) == ("resolved", "direct_opgelost")  # type: ignore[attr-defined]
        async with db.session() as session:
            events = [c.event for c in await session.scalars(select(Contact))]
        assert "resolve" in events


async def test_referral_records_partner(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        await sanne.press("Afronden")
        await sanne.press("Doorverwezen")
        await sanne.press("Voedselbank")
        await sanne.press("zelf contact op")  # no details go along (the consent step)
        request = await one(db, Request)
        assert (request.outcome, request.partner) == ("doorverwezen", "voedselbank")  # type: ignore[attr-defined]


async def test_release_puts_request_back_with_new_card(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        await sanne.press("Terugzetten")
        await sanne.press("Geen tijd")
        request = await one(db, Request)
        assert request.status == "open" and request.claimed_by is None  # type: ignore[attr-defined]
        card = h.telegram.last_sent(h.group("wijkteam_drunen"))
        assert "Teruggezet door Sanne" in card["text"] and "Oppakken" in str(card["reply_markup"])


async def test_warm_handover_accept(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        tom = await h.add_staff(TOM, "wijkteam_vlijmen")
        await sanne.press("Overdragen")
        await sanne.press("Wijkteam Vlijmen")
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        await sanne.press("Geen notitie")
        request = await one(db, Request)
        assert request.claimed_by is not None and request.queue == "wijkteam_drunen"  # type: ignore[attr-defined]
        await tom.press("Accepteren", chat_id=h.group("wijkteam_vlijmen"))
        request = await one(db, Request)
        assert request.queue == "wijkteam_vlijmen"  # type: ignore[attr-defined]
        assert "overgenomen" in h.telegram.last_sent(SANNE.id)["text"]
        assert "Tom" in h.telegram.last_sent(MIA.id)["text"]


async def test_warm_handover_decline_keeps_holder(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        tom = await h.add_staff(TOM, "wijkteam_vlijmen")
        await sanne.press("Overdragen")
        await sanne.press("Wijkteam Vlijmen")
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        await sanne.press("Geen notitie")
        card, accept_data = find_button(h.telegram, h.group("wijkteam_vlijmen"), "Accepteren")
        await tom.press("Weigeren", chat_id=h.group("wijkteam_vlijmen"))
        request = await one(db, Request)
        assert request.queue == "wijkteam_drunen" and request.status == "claimed"  # type: ignore[attr-defined]
        assert "geweigerd" in h.telegram.last_sent(SANNE.id)["text"]
        # A late press on the decided handover (an old button) changes nothing.
        await tom.feed(h.telegram.press(TOM, card, accept_data, queue=False))
        assert "al afgehandeld" in h.telegram.callback_answers()[-1]["text"]
        assert (await one(db, Request)).queue == "wijkteam_drunen"  # type: ignore[attr-defined]


async def test_relay_both_ways(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        mia = h.chat(MIA)
        await sanne.say("Hallo")
        assert "Aan wie" in sanne.last_text()
        await sanne.press("Schrijven")
        await sanne.say("Ik bel u morgen om tien uur.")
        assert "Verstuurd" in sanne.last_text()
        to_mia = mia.last_text()
        assert "Ik bel u morgen om tien uur." in to_mia and "Sanne" not in to_mia
        await mia.say("Dat is goed, dank u")
        assert "Dat is goed, dank u" in h.telegram.last_sent(SANNE.id)["text"]
        async with db.session() as session:
            directions = sorted(
                (c.event, c.direction)
                for c in await session.scalars(select(Contact))
                if c.event in ("relay", "message")
            )
        assert directions == [("message", "inbound"), ("relay", "outbound")]


async def test_relay_to_blocked_resident_tells_holder(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        await sanne.press("Schrijven")
        h.telegram.block(MIA.id)
        await sanne.say("Bent u er nog?")
        assert "geblokkeerd" in sanne.last_text()
        resident = await one(db, Resident)
        assert resident.blocked_at is not None  # type: ignore[attr-defined]


async def test_known_resident_by_phone_variants(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION, phone="06-12345678")
        other_account = h.chat(FakeUser(id=4999, first_name="Mia"))
        await other_account.say("/start")
        await other_account.press("akkoord")
        await other_account.say(QUESTION)
        await other_account.press("Ja")
        await other_account.press("Drunen")
        await other_account.say("+31 6 1234 5678")
        await other_account.press("Ochtend")
        await other_account.press("Versturen")
        card = h.telegram.last_sent(h.group("wijkteam_drunen"))["text"]
        assert "bekend (1 eerdere vraag, open bij Wijkteam Drunen)" in card
        async with db.session() as session:
            labels = [r.new_or_known for r in await session.scalars(select(Request))]
        assert labels == ["nieuw", "bekend"]


async def test_log_records_a_follow_up_call_in_two_taps(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        await sanne.say("/log")
        await sanne.press("HH-2026-00001")
        await sanne.press("niet bereikt")
        assert "Vastgelegd" in sanne.last_text()
        async with db.session() as session:
            calls = [c for c in await session.scalars(select(Contact)) if c.event == "call"]
        assert [(c.channel, c.direction, c.kind, c.outcome) for c in calls] == [
            ("phone", "outbound", "follow_up", "no_answer")
        ]


async def test_handover_to_named_person_with_note(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        tom = await h.add_staff(TOM, "wijkteam_vlijmen")
        kim = await h.add_staff(FakeUser(id=5003, first_name="Kim"), "wijkteam_vlijmen")
        await sanne.press("Overdragen")
        await sanne.press("Wijkteam Vlijmen")
        await sanne.press("Tom")
        await sanne.press("gaf toestemming")
        await sanne.say("Mevrouw is slechthorend, graag langzaam praten.")
        assert "Tom" in sanne.last_text()
        card = h.telegram.last_sent(TOM.id)
        assert "slechthorend" in card["text"]
        # Only Tom may accept a handover addressed to him.
        message, data = find_button(h.telegram, TOM.id, "Accepteren")
        await kim.feed(h.telegram.press(kim.user, message, data, queue=False))
        assert (await one(db, Request)).claimed_by == 1  # type: ignore[attr-defined]
        await tom.press("Accepteren")
        request = await one(db, Request)
        assert request.queue == "wijkteam_vlijmen" and request.claimed_by == 2  # type: ignore[attr-defined]


async def test_outbox_message_to_blocked_resident_marks_and_tells_holder(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed_by_sanne(h)
        tom = await h.add_staff(TOM, "wijkteam_vlijmen")
        h.telegram.block(MIA.id)
        await sanne.press("Overdragen")
        await sanne.press("Wijkteam Vlijmen")
        await sanne.press("Iedereen van")
        await sanne.press("gaf toestemming")
        await sanne.press("Geen notitie")
        await tom.press("Accepteren", chat_id=h.group("wijkteam_vlijmen"))  # tells the resident
        await h.services.dispatcher.run_once(h.app.bot)
        assert (await one(db, Resident)).blocked_at is not None  # type: ignore[attr-defined]
        assert "geblokkeerd" in h.telegram.last_sent(TOM.id)["text"]


async def test_volunteer_sees_minimum_and_phone_only_while_holding(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), "Kan iemand boodschappen voor mij doen?")
        vera_user = FakeUser(id=5009, first_name="Vera")
        vera = await h.add_staff(vera_user, "vrijwilligers", role=Role.volunteer)
        await vera.press("Oppakken", chat_id=h.group("vrijwilligers"))
        details = h.telegram.last_sent(vera_user.id)["text"]
        assert "Mia" in details and "boodschappen voor mij" not in details
        assert "12345678" not in details
        await vera.press("Nummer tonen")
        assert h.telegram.callback_answers()[-1]["text"] == "Mia: 06 12345678"
        await vera.press("Afronden")
        await vera.press("Direct opgelost")
        message, data = find_button(h.telegram, vera_user.id, "Nummer tonen")
        await vera.feed(h.telegram.press(vera_user, message, data, queue=False))
        assert "12345678" not in h.telegram.callback_answers()[-1]["text"]
