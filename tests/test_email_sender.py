"""The email outbox sender with its SMTP call replaced: every due mail in one run (batch
after batch), a refusal tried again later, given up after the last try."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import select

from helpline.cases.email_intake import receive_mail
from helpline.mail.sender import MAX_ATTEMPTS, MailSender
from helpline.mail.urls import smtp_address
from storage import repository as repo
from storage.db import Database
from storage.email_models import EmailOutbox
from storage.models import Outbox, Request, Role
from tests.test_email_intake import services_for, simple


async def statuses(db: Database) -> list[tuple[str, int]]:
    async with db.session() as session:
        rows = await session.scalars(select(EmailOutbox).order_by(EmailOutbox.id))  # type: ignore[arg-type]
        return [(r.status, r.attempts) for r in rows]


async def alerts(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        rows = await session.scalars(select(Outbox).where(Outbox.purpose == "alert"))
        return [(r.chat_id, r.text) for r in rows]


async def test_one_run_sends_every_due_mail(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    for n in range(45):
        await receive_mail(services, simple(f"{n}@x", "Vraag", "Hulp in Drunen", f"b{n}@ex.nl"))
    sent: list[Any] = []

    async def send(message: Any, **options: Any) -> None:
        sent.append((message["To"], options["recipients"], options["port"]))

    sender = MailSender(services, smtp_address("smtp://127.0.0.1:2525"), None, send=send)
    assert await sender.run_once() == 45
    assert len(sent) == 45 and sent[0] == ("b0@ex.nl", ["b0@ex.nl"], 2525)
    assert await statuses(db) == [("sent", 1)] * 45


async def test_refused_mail_is_tried_again_then_given_up(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("1@x", "Vraag", "Hulp in Drunen"))

    async def refuse(message: Any, **options: Any) -> None:
        raise ConnectionRefusedError("no")

    sender = MailSender(services, smtp_address("smtp://127.0.0.1:2525"), None, send=refuse)
    assert await sender.run_once() == 0
    [(status, attempts)] = await statuses(db)
    assert (status, attempts) == ("pending", 1)
    assert await sender.run_once() == 0  # not due yet: the clock did not move
    assert await statuses(db) == [("pending", 1)]
    assert await alerts(db) == []  # not yet: it will be tried again
    for _ in range(MAX_ATTEMPTS - 1):
        services.clock.advance(hours=2)  # type: ignore[attr-defined]
        await sender.run_once()
    assert await statuses(db) == [("failed", MAX_ATTEMPTS)]
    # Nobody holds the request yet: its queue's group is told, once, without the address.
    async with db.session() as session:
        request = await session.scalar(select(Request))
    assert request is not None
    [(chat, text)] = await alerts(db)
    assert chat == services.settings.queue_chats[request.queue]
    assert request.reference in text and "@" not in text


async def test_holder_is_told_in_private_when_their_mail_is_given_up(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    await receive_mail(services, simple("1@x", "Vraag", "Hulp met formulieren in Drunen"))
    async with db.session() as session:
        request = await session.scalar(select(Request))
        assert request is not None and request.id is not None
        sanne = await repo.add_staff(
            session=session, telegram_user_id=5001, name="Sanne", role=Role.staff, queues=[]
        )
        assert sanne.id is not None
        assert await repo.claim_request(
            session=session, request_id=request.id, staff_id=sanne.id, now=services.clock()
        )

    async def refuse(message: Any, **options: Any) -> None:
        raise ConnectionRefusedError("no")

    sender = MailSender(services, smtp_address("smtp://127.0.0.1:2525"), None, send=refuse)
    for _ in range(MAX_ATTEMPTS):
        await sender.run_once()
        services.clock.advance(hours=2)  # type: ignore[attr-defined]
    assert await statuses(db) == [("failed", MAX_ATTEMPTS)]
    [(chat, text)] = await alerts(db)
    assert chat == 5001 and request.reference in text


async def test_stopping_finishes_the_mails_in_hand(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    for n in range(3):
        await receive_mail(services, simple(f"{n}@x", "Vraag", "Hulp in Drunen", f"b{n}@ex.nl"))
    sending, release = asyncio.Event(), asyncio.Event()

    async def slow(message: Any, **options: Any) -> None:
        sending.set()
        await release.wait()  # the SMTP server takes its time while the bot stops

    sender = MailSender(services, smtp_address("smtp://127.0.0.1:2525"), None, send=slow)
    task = asyncio.create_task(sender.run())
    await asyncio.wait_for(sending.wait(), 5)
    sender.stop()
    release.set()
    await asyncio.wait_for(task, 5)  # it ends by itself, not cancelled
    # The batch taken was sent and marked: none is left "sending" to be sent twice.
    assert await statuses(db) == [("sent", 1)] * 3
