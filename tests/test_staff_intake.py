"""/nieuw: staff register a phone call or walk-in on the resident's behalf."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, IntakeDraft, Request, Role
from tests.bot_harness import running_app

SANNE = FakeUser(id=5001, first_name="Sanne")


async def test_phone_intake_creates_request_with_channel(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.say("/nieuw")
        await sanne.press("Telefoon")
        await sanne.say("Henk")
        await sanne.say("06-12345678")
        await sanne.press("Drunen")
        await sanne.say("Meneer snapt de brief van de belasting niet")
        await sanne.press("Formulieren")
        assert "Klopt dit" in sanne.last_text() and "Henk" in sanne.last_text()
        await sanne.press("Versturen")
        assert "HH-2026-00001" in sanne.last_text()
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            [contact] = list(await session.scalars(select(Contact)))
            assert await session.scalar(select(IntakeDraft)) is None
        assert (request.channel, request.category, request.queue) == (
            "phone",
            "formulieren",
            "wijkteam_drunen",
        )
        assert (contact.channel, contact.event, contact.staff_id) == ("phone", "intake", 1)
        assert "Nieuwe vraag" in h.telegram.last_sent(h.group("wijkteam_drunen"))["text"]


async def test_walk_in_records_location_and_survives_restart(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "wijkteam_vlijmen")
        await sanne.say("/nieuw")
        await sanne.press("Inloop")
        await sanne.press("Wijkwinkel Vlijmen")
        await sanne.say("Truus")
        telegram = h.telegram
    async with running_app(db, tmp_path, telegram) as h2:
        sanne = h2.chat(SANNE)
        await sanne.say("geen")
        await sanne.say("vlijmen")
        await sanne.say("Mevrouw wil graag een maatje om mee te praten")
        await sanne.press("Een praatje")
        await sanne.press("Versturen")
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert (request.channel, request.location, request.queue) == (
            "walk_in",
            "wijkwinkel_vlijmen",
            "belmaatjes",
        )


async def test_every_location_button_is_accepted(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "wijkteam_vlijmen")
        await sanne.say("/nieuw")
        await sanne.press("Inloop")
        # The longest key (wijkwinkel_oudheusden, 21 characters) must read back too.
        await sanne.press("Wijkwinkel Oudheusden")
        assert "naam" in sanne.last_text().lower()
        async with db.session() as session:
            [draft] = list(await session.scalars(select(IntakeDraft)))
        assert draft.location == "wijkwinkel_oudheusden"


async def test_bad_input_in_staff_intake_reprompts(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.say("/nieuw")
        await sanne.say("zomaar tekst")
        assert "knop" in h.telegram.sent(SANNE.id)[-2]["text"]
        await sanne.press("Telefoon")
        await sanne.say("Henk")
        await sanne.say("12")  # not a phone number
        assert "Telefoonnummer" in sanne.last_text() or "telefoonnummer" in sanne.last_text()
        await sanne.say("/stop")
        assert "niets opgeslagen" in sanne.last_text()


async def test_volunteers_and_residents_cannot_use_nieuw(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        volunteer = await h.add_staff(FakeUser(id=5003, first_name="Vera"), role=Role.volunteer)
        await volunteer.say("/nieuw")
        assert "niet voor vrijwilligers" in volunteer.last_text()
        resident = h.chat(FakeUser(id=4001, first_name="Mia"))
        await resident.say("/nieuw")
        assert "alleen voor medewerkers" in resident.last_text()


async def test_nieuw_in_a_group_points_to_the_private_chat(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne_user = FakeUser(id=5001, first_name="Sanne")
        sanne = await h.add_staff(sanne_user, "wijkteam_drunen")
        group = h.group("wijkteam_drunen")
        update = h.telegram.text(
            sanne_user, "/nieuw", chat_id=group, chat_type="supergroup", queue=False
        )
        await sanne.feed(update)
        assert "privégesprek" in str(h.telegram.last_sent(group).get("text"))


async def test_email_intake_without_phone_number(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "vrijwilligers")
        await sanne.say("/nieuw")
        await sanne.press("mail")
        await sanne.say("Joke")
        await sanne.say("geen")
        await sanne.press("Elshout")
        await sanne.say("Kan iemand de hond uitlaten, ik lig in het ziekenhuis")
        await sanne.press("Huisdier")
        await sanne.press("Versturen")
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            [contact] = list(await session.scalars(select(Contact)))
        assert (request.channel, request.category, request.contact_preference) == (
            "email",
            "huisdier",
            "none",
        )
        assert (contact.channel, contact.direction) == ("email", "inbound")


async def test_crisis_told_on_the_phone_alerts_the_coordinators(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.say("/nieuw")
        await sanne.press("Telefoon")
        await sanne.say("Henk")
        await sanne.say("0612345678")
        await sanne.press("Drunen")
        await sanne.say("Meneer zegt dat hij niet meer wil leven")
        await sanne.press("Zorgen")
        await sanne.press("Versturen")
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert (request.urgency, request.queue) == ("crisis", "coordinatie")
        alerts = [m["text"] for m in h.telegram.sent(h.group("coordinatie"))]
        assert any("CRISIS" in a and request.reference in a for a in alerts)
