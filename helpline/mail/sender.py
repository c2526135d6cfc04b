"""The email outbox sender: delivers stored mails over SMTP, after their transaction committed.

A mail is taken (pending → sending) in one transaction, sent with aiosmtplib, and
marked sent in the next; a refused or failed send is tried again later (1, 2, 4 …
minutes, at most an hour) and given up after ``MAX_ATTEMPTS``. A crash between the
send and the mark sends it again at the next start (at least once). Logs carry the
mail's id and the error's class, never an address or text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

import aiosmtplib

from helpline.cases.core import Services
from helpline.cases.undelivered import mail_given_up
from helpline.mail.urls import ServerAddress
from storage.email_models import EmailOutbox, EmailStatus
from storage.repository import email as mails

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BATCH = 20  # mails taken per transaction
IDLE_WAIT = 30.0  # seconds between looks at the outbox when nothing wakes the sender
SendFunction = Callable[..., Awaitable[Any]]


def retry_after(attempts: int) -> timedelta:
    """Waiting time before the next try: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


class MailSender:
    """Sends due rows of the email outbox through one SMTP server."""

    def __init__(
        self,
        services: Services,
        server: ServerAddress,
        password: str | None,
        *,
        send: SendFunction = aiosmtplib.send,
    ) -> None:
        self.services, self.server, self.password, self._send = services, server, password, send
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self.timeout = 30.0

    def wake(self) -> None:
        """Asks for a run now (after a commit that queued mails)."""
        self._wake.set()

    def stop(self) -> None:
        """Asks the sender to end: the mails already taken are sent (and marked) first,
        no new ones are taken."""
        self._stop.set()
        self._wake.set()

    def message(self, row: EmailOutbox) -> EmailMessage:
        """The row as an RFC 5322 message from the line's address."""
        settings = self.services.settings
        msg = EmailMessage()
        msg["From"] = formataddr((self.services.config.organisation.name, settings.mail_from or ""))
        msg["To"] = row.to_address
        msg["Subject"] = row.subject
        msg["Date"] = format_datetime(self.services.clock())
        msg["Message-ID"] = f"<{row.message_id}>"
        if row.in_reply_to:
            msg["In-Reply-To"] = f"<{row.in_reply_to}>"
            msg["References"] = f"<{row.in_reply_to}>"
        if row.purpose == "auto_reply":
            msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots do not answer it
        msg.set_content(row.body)
        return msg

    async def run_once(self) -> int:
        """Sends every due mail once, batch after batch; returns how many were accepted."""
        sent = 0
        while True:
            async with self.services.db.session() as session:
                rows = await mails.claim_due_mail(
                    session=session, now=self.services.clock(), limit=BATCH
                )
            for row in rows:  # taken: sent and marked even when stopping
                sent += await self._deliver(row)
            if len(rows) < BATCH or self._stop.is_set():
                return sent

    async def _deliver(self, row: EmailOutbox) -> int:
        assert row.id is not None
        try:
            await self._send(
                self.message(row),
                sender=self.services.settings.mail_from,
                recipients=[row.to_address],
                hostname=self.server.host,
                port=self.server.port,
                username=self.server.user,
                password=self.password if self.server.user else None,
                use_tls=self.server.tls,
                timeout=self.timeout,
            )
        except Exception as exc:  # refused, unreachable, timed out: all tried again later
            await self._failed(row, type(exc).__name__)
            return 0
        async with self.services.db.session() as session:
            await mails.finish_mail(
                session=session, mail_id=row.id, status=EmailStatus.sent, now=self.services.clock()
            )
        return 1

    async def _failed(self, row: EmailOutbox, error: str) -> None:
        assert row.id is not None
        now = self.services.clock()
        last = row.attempts >= MAX_ATTEMPTS
        async with self.services.db.session() as session:
            finished = await mails.finish_mail(
                session=session,
                mail_id=row.id,
                status=EmailStatus.failed if last else EmailStatus.pending,
                now=now,
                error=error[:200],
                not_before=None if last else now + retry_after(row.attempts),
            )
            if finished and last:  # in the same transaction: told exactly once
                await mail_given_up(session, self.services, row)
        if last:
            logger.error("mail %s given up after %s tries (%s)", row.id, row.attempts, error)
        else:
            logger.warning(
                "mail %s not sent (try %s, %s): tried again", row.id, row.attempts, error
            )

    async def run(self) -> None:
        """Sends until stopped (or cancelled): after every wake-up, and every IDLE_WAIT
        seconds."""
        async with self.services.db.session() as session:
            again = await mails.recover_sending(session=session)
        if again:
            logger.warning("email outbox after a crash: %s mail(s) sent again", again)
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:  # a database hiccup must not end the sender
                logger.exception("email outbox run failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_WAIT)
