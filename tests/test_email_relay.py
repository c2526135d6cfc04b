"""The holder of an email request writes from Telegram: the message goes out by email
(queued in the email outbox, reference in the subject), and the resident's answer with
that reference joins the request and reaches the holder."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from flows.email_message import parse_mail
from helpline.cases.email_intake import receive_mail
from helpline.testing import FakeUser
from storage.db import Database
from storage.email_models import EmailOutbox
from storage.models import Contact, Request, RequestNote
from tests.bot_harness import running_app
from tests.calls_helpers import advance_to, local

DATA = Path(__file__).parent / "data" / "email"
LINE = "hulp@heusdenhelpt.example"
SANNE = FakeUser(5001, "Sanne")


async def test_holder_writes_by_email_and_the_answer_joins(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.smtp_url = "smtp://127.0.0.1:2525"
        h.services.settings.mail_from = LINE
        raw = (DATA / "plain_nl.eml").read_bytes()
        first = await receive_mail(h.services, parse_mail(raw, reference_prefix="HH"))
        await h.services.dispatcher.run_once(h.app.bot)  # the card to the group
        async with db.session() as session:
            queue = (await session.scalars(select(Request))).one().queue
        sanne = await h.add_staff(SANNE, queue)
        await sanne.press("Oppakken", chat_id=h.group(queue))
        await sanne.press("Schrijven")
        await sanne.say("Ik kom dinsdag om tien uur langs.")
        assert "Per e-mail verstuurd aan Mia" in sanne.last_text()
        async with db.session() as session:
            mails = list(await session.scalars(select(EmailOutbox).order_by(col(EmailOutbox.id))))
            contacts = list(await session.scalars(select(Contact).order_by(col(Contact.id))))
        relay = mails[-1]
        assert relay.purpose == "relay" and relay.to_address == "mia.devries@example.nl"
        assert relay.subject == f"Uw vraag aan HeusdenHelpt! — {first.reference}"
        assert "Ik kom dinsdag om tien uur langs." in relay.body
        assert "Sanne" not in relay.body  # from the line, never the staff member
        assert relay.message_id.startswith(f"{first.reference}.")
        out = [c for c in contacts if c.event == "relay"]
        assert len(out) == 1 and out[0].channel == "email" and out[0].direction == "outbound"
        # The resident answers the relay: In-Reply-To carries the reference.
        answer = (
            f"From: mia.devries@example.nl\nSubject: Re: bezoek\n"
            f"Message-ID: <answer-1@example.nl>\nIn-Reply-To: <{relay.message_id}>\n\n"
            "Dinsdag is goed, dank u.\n\nOp 1 dec schreef HeusdenHelpt!:\n> Ik kom dinsdag\n"
        ).encode()
        joined = await receive_mail(h.services, parse_mail(answer, reference_prefix="HH"))
        assert joined.joined and joined.request_id == first.request_id
        await h.services.dispatcher.run_once(h.app.bot)
        assert "Dinsdag is goed, dank u." in h.telegram.last_sent(SANNE.id)["text"]
        async with db.session() as session:
            assert len(list(await session.scalars(select(Request)))) == 1
            notes = [n.text for n in await session.scalars(select(RequestNote))]
        assert notes == ["Ik kom dinsdag om tien uur langs.", "Dinsdag is goed, dank u."]


async def test_call_reminder_goes_by_email_to_a_resident_who_wrote_by_email(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.smtp_url = "smtp://127.0.0.1:2525"
        h.services.settings.mail_from = LINE
        raw = (DATA / "plain_nl.eml").read_bytes()
        first = await receive_mail(h.services, parse_mail(raw, reference_prefix="HH"))
        await h.services.dispatcher.run_once(h.app.bot)
        async with db.session() as session:
            queue = (await session.scalars(select(Request))).one().queue
        sanne = await h.add_staff(SANNE, queue)
        await sanne.press("Oppakken", chat_id=h.group(queue))
        await sanne.say(f"/plan {first.reference} woensdag 10:00")
        assert "Herinnering aan inwoner: nee" in sanne.last_text()  # can be asked for
        await sanne.press("Inwoner herinneren")
        assert "Herinnering aan inwoner: ja" in sanne.last_text()
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 5, 9, 58))
        assert [m.purpose for m in await mails_of(db)] == ["auto_reply"]
        await advance_to(h, local(2026, 5, 5, 10, 0))
        notice = (await mails_of(db))[-1]
        assert notice.purpose == "call_notice" and notice.to_address == "mia.devries@example.nl"
        assert notice.not_before == local(2026, 5, 5, 10, 0)  # the sender waits until then
        assert notice.subject == f"Uw vraag aan HeusdenHelpt! — {first.reference}"
        assert "Morgen om 10:00 belt Sanne van HeusdenHelpt! u." in notice.body
        assert notice.message_id.startswith(f"{first.reference}.")  # an answer joins


async def mails_of(db: Database) -> list[EmailOutbox]:
    async with db.session() as session:
        return list(await session.scalars(select(EmailOutbox).order_by(col(EmailOutbox.id))))
