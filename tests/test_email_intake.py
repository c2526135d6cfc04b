"""Email intake through the use case (no mail server): a request with its card, contact
and auto-reply; a crisis; a known resident; a reply joining its request; mail that is not
a resident's question; a repeat; the address in access export and erasure."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import select

from flows.email_message import Verdict, parse_mail
from flows.labels import load_labels
from flows.privacy import parse_ref
from helpline.app import build_services
from helpline.cases.core import Services
from helpline.cases.email_intake import receive_mail
from helpline.reporting.build import build_report, parse_breakdowns
from helpline.reporting.periods import Period
from storage.db import Database
from storage.email_models import EmailMessage, EmailOutbox, ResidentEmail
from storage.models import Channel, Contact, Outbox, Request, RequestNote, Resident
from storage.repository import privacy
from tests.bot_harness import GROUP_BASE, FakeClock, make_settings

DATA = Path(__file__).parent / "data" / "email"
LINE = "hulp@heusdenhelpt.example"


def services_for(db: Database, tmp_path: Path) -> Services:
    settings = make_settings(tmp_path, db.url, [])
    settings.smtp_url = "smtp://127.0.0.1:2525"
    settings.mail_from = LINE
    services = build_services(settings, clock=FakeClock(), db=db)
    services.settings.queue_chats = {
        q: GROUP_BASE - n for n, q in enumerate(services.config.queues)
    }
    return services


def mail(name: str, **replace: str):
    raw = (DATA / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return parse_mail(raw, reference_prefix="HH", own_addresses=frozenset({LINE}))


def simple(message_id: str, subject: str, body: str, sender: str = "els@example.nl"):
    raw = (
        f"From: Els Bakker <{sender}>\nSubject: {subject}\nMessage-ID: <{message_id}>\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()
    return parse_mail(raw, reference_prefix="HH", own_addresses=frozenset({LINE}))


async def rows(db: Database, model):
    async with db.session() as session:
        return list(await session.scalars(select(model).order_by(model.id)))


async def test_mail_becomes_request_with_card_contact_and_auto_reply(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    outcome = await receive_mail(services, mail("plain_nl.eml"))
    assert outcome.committed and outcome.reference and not outcome.crisis
    [request] = await rows(db, Request)
    assert request.channel == Channel.email and request.village == "drunen"
    assert request.summary.startswith("Hulp bij boodschappen\nGoedemorgen")
    assert request.consent_version == "email" and request.contact_preference == "email"
    [card] = [o for o in await rows(db, Outbox) if o.purpose == "card"]
    assert card.chat_id == services.settings.queue_chats[request.queue]
    assert request.reference in card.text and "✉️ Via e-mail" in card.text
    assert "heup" not in card.text  # the question is for the claimer, not the group
    [contact] = await rows(db, Contact)
    assert contact.channel == Channel.email and contact.event == "intake"
    assert contact.request_id == request.id
    [reply] = await rows(db, EmailOutbox)
    assert reply.to_address == "mia.devries@example.nl" and reply.status == "pending"
    assert reply.subject == f"Uw vraag aan HeusdenHelpt! — {request.reference}"
    assert reply.body.startswith("Beste Mia,")
    assert "--- English below ---" in reply.body and "Dear Mia," in reply.body
    assert "In welk dorp" not in reply.body  # Drunen was in the text
    assert reply.message_id.startswith(f"{request.reference}.")
    assert reply.message_id.endswith("@heusdenhelpt.example")
    assert reply.in_reply_to == "plain-nl-1@example.nl"
    [address] = await rows(db, ResidentEmail)
    assert address.address == "mia.devries@example.nl"


async def test_same_message_twice_makes_one_request(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    first = await receive_mail(services, mail("plain_nl.eml"))
    again = await receive_mail(services, mail("plain_nl.eml"))
    assert first.committed and not again.committed
    assert len(await rows(db, Request)) == 1 and len(await rows(db, EmailOutbox)) == 1


async def test_unknown_village_is_asked_and_goes_to_coordinatie(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("a@x", "Vraag", "Kan iemand mijn gras maaien?"))
    [request] = await rows(db, Request)
    assert request.village is None
    [reply] = await rows(db, EmailOutbox)
    assert "In welk dorp woont u?" in reply.body and "Which village" in reply.body
    assert reply.body.startswith("Beste Els,")


async def test_crisis_mail_alerts_coordinators_and_reply_starts_with_numbers(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    outcome = await receive_mail(services, mail("crisis.eml"))
    assert outcome.crisis
    [request] = await rows(db, Request)
    assert request.urgency == "crisis" and request.queue == services.config.crisis_queue
    assert request.consent_version == "vital_interest"
    cards = [o for o in await rows(db, Outbox) if o.request_id == request.id]
    assert any(o.chat_id == services.settings.queue_chats["coordinatie"] for o in cards)
    [reply] = await rows(db, EmailOutbox)
    assert reply.body.index("113") < reply.body.index("Beste")  # the numbers come first
    assert "0800-0113" in reply.body


async def test_known_address_is_the_same_resident(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("1@x", "Boodschappen", "Ik woon in Vlijmen."))
    await receive_mail(services, simple("2@x", "Tuin", "Mijn tuin is een puinhoop."))
    first, second = await rows(db, Request)
    assert first.resident_id == second.resident_id
    assert (first.new_or_known, second.new_or_known) == ("nieuw", "bekend")
    assert second.village == "vlijmen"  # remembered from the first mail
    assert len(await rows(db, Resident)) == 1


async def test_reply_with_reference_joins_the_request(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    first = await receive_mail(services, simple("1@x", "Vraag", "Kan iemand mijn gras maaien?"))
    reply = simple(
        "2@x", f"Re: Uw vraag aan HeusdenHelpt! — {first.reference}", "Ik woon in Herpt.\n\n> oud"
    )
    joined = await receive_mail(services, reply)
    assert joined.joined and joined.request_id == first.request_id
    [request] = await rows(db, Request)
    assert request.village == "herpt"
    [note] = await rows(db, RequestNote)
    assert note.text == "Ik woon in Herpt."
    events = [c.event for c in await rows(db, Contact)]
    assert events == ["intake", "message"]
    receipts = await rows(db, EmailOutbox)
    assert len(receipts) == 2 and "bij uw vraag" in receipts[1].body


async def test_someone_elses_reference_makes_a_new_request(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    first = await receive_mail(services, simple("1@x", "Vraag", "Gras maaien in Drunen"))
    other = simple("2@x", f"Re: {first.reference}", "Ik wil ook hulp.", sender="kees@example.nl")
    outcome = await receive_mail(services, other)
    assert not outcome.joined and outcome.reference != first.reference


async def test_not_a_residents_mail_makes_no_request(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    for name in ("out_of_office.eml", "bounce_report.eml", "mailing_list.eml", "own_loop.eml"):
        outcome = await receive_mail(services, mail(name))
        assert outcome.committed and outcome.verdict is not Verdict.resident
    assert await rows(db, Request) == [] and await rows(db, EmailOutbox) == []
    recorded = await rows(db, EmailMessage)
    assert len(recorded) == 4 and all(r.from_address is None for r in recorded)


async def test_attachment_is_on_the_card_and_in_the_reply(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, mail("attachment.eml"))
    [card] = [o for o in await rows(db, Outbox) if o.purpose == "card"]
    assert "📎" in card.text
    [reply] = await rows(db, EmailOutbox)
    assert "bijlage" in reply.body


async def test_no_smtp_no_auto_reply(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    services.settings.smtp_url = None
    await receive_mail(services, mail("plain_nl.eml"))
    assert len(await rows(db, Request)) == 1 and await rows(db, EmailOutbox) == []


async def test_address_in_access_export_and_gone_after_erasure(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, mail("plain_nl.eml"))
    async with db.session() as session:
        resident = (await session.scalars(select(Resident))).one()
        subject = await privacy.subject_of(session=session, resident=resident)
        export = await privacy.collect(session=session, subject=subject, now=services.clock())
    tables = export["tables"]
    assert tables["resident_email"][0]["address"] == "mia.devries@example.nl"
    assert tables["email_message"][0]["from_address"] == "mia.devries@example.nl"
    assert tables["email_outbox"][0]["to_address"] == "mia.devries@example.nl"
    async with db.session() as session:
        await privacy.erase(session=session, subject=subject, now=services.clock())
    [address] = await rows(db, ResidentEmail)
    [message] = await rows(db, EmailMessage)
    [reply] = await rows(db, EmailOutbox)
    assert address.address is None and message.from_address is None
    assert reply.to_address == "" and reply.body == "" and reply.status == "failed"
    # After erasure the address is unknown: a new mail from it is a new resident.
    await receive_mail(services, simple("n@x", "Nieuw", "Hallo", sender="mia.devries@example.nl"))
    assert len(await rows(db, Resident)) == 2


async def test_mail_that_may_be_a_question_but_cannot_be_taken_in_asks_for_a_look(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    coordination = services.settings.queue_chats[services.config.crisis_queue]
    question = simple("big@x", "Hulp nodig", "Ik heb hulp nodig in Drunen", "piet@example.nl")
    for n, verdict in enumerate((Verdict.oversize, Verdict.no_sender, Verdict.bounce)):
        mail = dataclasses.replace(question, message_id=f"m{n}@x", verdict=verdict)
        outcome = await receive_mail(services, mail)
        assert outcome.committed and outcome.request_id is None
    assert await rows(db, Request) == []
    notes = [r for r in await rows(db, Outbox) if r.purpose == "alert"]
    # One note each for the oversize and the sender-less mail; the bounce is only counted.
    assert [n.chat_id for n in notes] == [coordination, coordination]
    assert "25 MB" in notes[0].text and "afzender" in notes[1].text
    assert all("piet" not in n.text and "Drunen" not in n.text for n in notes)
    again = dataclasses.replace(question, message_id="m0@x", verdict=Verdict.oversize)
    assert not (await receive_mail(services, again)).committed  # read twice: one note
    assert len([r for r in await rows(db, Outbox) if r.purpose == "alert"]) == 2


async def test_mail_is_counted_as_the_email_channel_in_the_report(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("r1@x", "Vraag", "Hulp met formulieren in Drunen"))
    await receive_mail(services, simple("r2@x", "Vraag", "Boodschappen in Vlijmen", "b@ex.nl"))
    await receive_mail(
        services, dataclasses.replace(simple("r3@x", "-", "-"), verdict=Verdict.bounce)
    )
    day = services.clock().astimezone(services.settings.zone).date()
    report = await build_report(
        db=db,
        config=services.config,
        labels=load_labels(),
        period=Period(day, day),
        breakdowns=parse_breakdowns(["channel"]),
        zone=services.settings.zone,
    )
    counts = {row.keys: (row.count, row.residents) for row in report.breakdowns[0].rows}
    assert counts[("email",)] == (2, 2)  # two residents' mails; the bounce is no contact
    assert load_labels().value("channel", "email") == "E-mail"


async def test_privacy_finds_a_resident_by_their_email_address(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("p1@x", "Vraag", "Hulp in Drunen", "els@example.nl"))
    ref = parse_ref("  Els@Example.NL ", "HH")
    assert ref.email == "els@example.nl" and ref.phone is None
    async with db.session() as session:
        [match] = await privacy.find_residents(session=session, ref=ref)
        assert match.how == "email"
        assert await privacy.find_residents(session=session, ref=parse_ref("x@y.nl", "HH")) == []
    assert parse_ref("0612345678", "HH").email is None
