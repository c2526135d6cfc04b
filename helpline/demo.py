"""``helpline demo``: the whole path without a token or network.

A resident does an intake, the card appears in the wijkteam's group and a staff
member claims it — all through the real application against the in-process fake
Bot API — and the transcript is printed. ``--email`` plays the same path for a
resident who writes an email: the mail becomes the card, the holder writes back from
Telegram, and the mails the line would send are printed instead of sent. ``--phone``
plays a call from that resident: the exchange's events reach the line's own webhook
(in-process, no port is opened), the pop reaches Sanne, who answers; after the hangup
the contact is logged and she gets the follow-up buttons.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col

from flows.email_message import parse_mail
from flows.rota import Span
from helpline.app import build_application, build_services
from helpline.cases.core import Services
from helpline.cases.email_intake import receive_mail
from helpline.scripted import ScriptedChat
from helpline.services import HelplineApp
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from helpline.web.server import build_web_app
from storage import repository as repo
from storage.email_models import EmailOutbox
from storage.migrate import upgrade
from storage.models import Contact, Role
from storage.repository import rota as rota_repo
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall

DEMO_GROUP_BASE = -1001000000000
DEMO_QUEUE = "wijkteam_drunen"
DEMO_LINE = "hulp@heusdenhelpt.example"
DEMO_SECRET = "demo-telephony-secret"
# What an exchange with Zammad-style generic CTI posts for one answered call.
DEMO_CALL = (
    "event=newCall&from=0612345678&to=0416123456&direction=in&callId=demo-call-1",
    "event=answer&from=0612345678&to=0416123456&direction=in&callId=demo-call-1"
    "&answeringNumber=201",
    "event=hangup&from=0612345678&to=0416123456&direction=in&callId=demo-call-1"
    "&cause=normalClearing&answeringNumber=201",
)
DEMO_MAIL = """From: Mia de Vries <mia.devries@example.nl>
To: {line}
Subject: Hulp met een formulier
Message-ID: <demo-1@example.nl>
Content-Type: text/plain; charset=utf-8

Beste mensen,

Ik krijg steeds brieven van de belastingdienst en ik snap er niks van.
Ik woon in Drunen. Kan iemand mij helpen met het formulier?

Met vriendelijke groet,
Mia de Vries
"""


@dataclass
class Demo:
    """A throw-away line: the app on a fake Telegram, and its transcript so far."""

    app: HelplineApp
    services: Services
    telegram: FakeTelegram
    staff: ScriptedChat
    lines: list[str] = field(default_factory=list)
    _shown: int = 0

    def catch_up(self) -> None:
        """Adds what happened on Telegram since the last call to the transcript."""
        transcript = self.telegram.transcript()
        self.lines += transcript[self._shown :]
        self._shown = len(transcript)

    def group(self, queue: str) -> int:
        """The demo group chat of a queue."""
        return self.services.settings.queue_chats[queue]


@asynccontextmanager
async def demo_line(*, email: bool = False) -> AsyncIterator[Demo]:
    """The Heusden configuration in a temporary database, Sanne on the wijkteam Drunen."""
    telegram = FakeTelegram()
    with tempfile.TemporaryDirectory(prefix="helpline-demo-") as tmp:
        settings = Settings(
            telegram_bot_token=None,
            HELPLINE_DATA_DIR=Path(tmp),
            database_url=None,
            # The script is written for the Heusden configuration and its own groups.
            flows_dir=None,
            queue_chats={},
        )
        if email:  # mail is queued as for a real line; the demo prints it, nothing is sent
            settings.mail_from, settings.smtp_url = DEMO_LINE, "smtp://127.0.0.1:25"
        services = build_services(settings)
        settings.queue_chats = {
            queue: DEMO_GROUP_BASE - n for n, queue in enumerate(services.config.queues)
        }
        await upgrade(services.db)
        staff_user = FakeUser(id=5001, first_name="Sanne")
        async with services.db.session() as session:
            await repo.add_staff(
                session=session,
                telegram_user_id=staff_user.id,
                name="Sanne",
                role=Role.staff,
                queues=[DEMO_QUEUE],
            )
        app = build_application(
            settings, request=FakeRequest(telegram), services=services, rate_limit=False
        )
        staff = ScriptedChat(app, telegram, staff_user)
        async with app:
            yield Demo(app, services, telegram, staff)


async def _intake_and_claim(demo: Demo) -> None:
    resident = ScriptedChat(demo.app, demo.telegram, FakeUser(id=4242, first_name="Mia"))
    await demo.staff.say("/start")
    await resident.say("/start")
    await resident.press("akkoord")
    await resident.say(
        "Ik krijg steeds brieven van de belastingdienst en ik snap er niks van. "
        "Kan iemand mij helpen met het formulier?"
    )
    await resident.press("Ja")
    await resident.press("Drunen")
    await resident.share_contact("+31612345678")
    await resident.press("Ochtend")
    await resident.press("Versturen")
    await demo.staff.press("Oppakken", chat_id=demo.group(DEMO_QUEUE))


async def run_demo(echo: bool = True) -> list[str]:
    """Plays the scripted intake and claim; returns (and prints) the transcript."""
    async with demo_line() as demo:
        await _intake_and_claim(demo)
        demo.catch_up()
    return _shown(demo.lines, echo)


async def run_phone_demo(echo: bool = True) -> list[str]:
    """Plays a call from a known resident through the line's CTI webhook; returns (and
    prints) the transcript with the exchange's events and the contact logged."""
    async with demo_line() as demo:
        await _intake_and_claim(demo)  # Mia is known now: her number, her open request
        demo.catch_up()
        demo.lines = ["(Earlier: Mia asked for help in Telegram; Sanne holds her request.)"]
        services = demo.services
        services.settings.telephony_secret = SecretStr(DEMO_SECRET)
        async with services.db.session() as session:
            sanne = await repo.get_staff(session=session, telegram_user_id=demo.staff.user.id)
            assert sanne is not None and sanne.id is not None
            await set_phone_extension(session=session, staff_id=sanne.id, extension="201")
            # On duty around the clock today, so the demo pops at any hour.
            now = services.clock()
            await rota_repo.add_exception(
                session=session,
                staff_id=sanne.id,
                day=now.astimezone(services.settings.zone).date(),
                span=Span(0, 1440),
                on_duty=True,
                now=now,
            )
        web = httpx.ASGITransport(app=build_web_app(demo.app))
        async with httpx.AsyncClient(transport=web, base_url="http://helpline") as exchange:
            for body in DEMO_CALL:
                demo.lines.append(f"☎️ exchange → POST /telephony/cti/…: {body}")
                await exchange.post(
                    f"/telephony/cti/{DEMO_SECRET}",
                    content=body,
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                await services.dispatcher.run_once(demo.app.bot)  # the pops and buttons
                demo.catch_up()
        await demo.staff.press("Bij HH-")  # the call was about her open request
        demo.catch_up()
        async with services.db.session() as session:
            call = await session.scalar(select(PhoneCall))
            contact = await session.get(Contact, call.contact_id) if call else None
        if call is not None and contact is not None:
            demo.lines.append(
                f"📒 contact logged: {contact.channel} {contact.direction} {contact.event}, "
                f"resident {contact.new_or_known}, request {contact.request_id or '-'}; "
                f"call {call.state}"
            )
    return _shown(demo.lines, echo)


async def run_email_demo(echo: bool = True) -> list[str]:
    """Plays an intake by email, the claim and a reply written in Telegram that goes out
    by email; returns (and prints) the transcript with the mails in and out."""
    async with demo_line(email=True) as demo:
        await demo.staff.say("/start")
        demo.catch_up()
        raw = DEMO_MAIL.format(line=DEMO_LINE).encode()
        mail = parse_mail(raw, reference_prefix=demo.services.config.organisation.reference_prefix)
        demo.lines.append(f"📧 in  {mail.from_address}: {mail.subject}\n{mail.text}")
        await receive_mail(demo.services, mail)
        await demo.services.dispatcher.run_once(demo.app.bot)  # the card to the group
        demo.catch_up()
        await demo.staff.press("Oppakken", chat_id=demo.group(DEMO_QUEUE))
        await demo.staff.press("Schrijven")
        await demo.staff.say(
            "Ik kom dinsdag om tien uur bij u langs om naar het formulier te kijken."
        )
        demo.catch_up()
        async with demo.services.db.session() as session:
            outgoing = list(
                await session.scalars(select(EmailOutbox).order_by(col(EmailOutbox.id)))
            )
        for row in outgoing:
            demo.lines.append(f"✉️ out {row.to_address}: {row.subject}\n{row.body}")
    return _shown(demo.lines, echo)


def _shown(lines: list[str], echo: bool) -> list[str]:
    if echo:
        for line in lines:
            print(line)
    return lines
