"""Starting and stopping the mail channel with the bot (active instance only).

Without IMAP_URL there is no mail channel. The reader and the sender run as two tasks
in the bot's event loop, beside polling and the HTTP server, and share its database;
when the bot stops, both finish the message or mail in hand and end (a server that hangs
is cut off after STOP_GRACE_SECONDS); the IMAP connection is then closed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from helpline.cases.email_intake import MailOutcome
from helpline.channels import MAIL_KEY
from helpline.mail.reader import MailReader
from helpline.mail.sender import MailSender
from helpline.mail.urls import imap_address, smtp_address
from helpline.services import SERVICES_KEY, HelplineApp

logger = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 15.0


@dataclass
class MailChannel:
    """The running reader and sender of one bot."""

    reader: MailReader
    sender: MailSender | None
    tasks: list[asyncio.Task[None]]


def build_mail_channel(application: HelplineApp) -> MailChannel | None:
    """The reader (and sender, when SMTP_URL is set) from the settings; None without IMAP_URL."""
    services = application.bot_data[SERVICES_KEY]
    settings = services.settings
    if not settings.imap_url:
        return None
    sender = None
    if settings.smtp_url and settings.mail_from:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        sender = MailSender(services, smtp_address(settings.smtp_url), password)

    def committed(outcome: MailOutcome) -> None:
        # Cards and alerts go out through the Telegram outbox, the reply through ours.
        services.dispatcher.kick(application)
        if sender is not None:
            sender.wake()

    password = settings.imap_password.get_secret_value() if settings.imap_password else None
    reader = MailReader(
        services,
        imap_address(settings.imap_url),
        password,
        on_committed=committed,
        poll_seconds=settings.imap_poll_seconds,
    )
    return MailChannel(reader, sender, [])


async def start_mail(application: HelplineApp) -> None:
    """Starts reading the mailbox (and sending mail) when IMAP_URL is set."""
    if MAIL_KEY in application.bot_data:
        return
    channel = build_mail_channel(application)
    if channel is None:
        return
    channel.tasks.append(asyncio.create_task(channel.reader.run(), name="mail-reader"))
    if channel.sender is not None:
        channel.tasks.append(asyncio.create_task(channel.sender.run(), name="mail-sender"))
    application.bot_data[MAIL_KEY] = channel
    logger.info("mail channel started (sending: %s)", "yes" if channel.sender else "no")


async def stop_mail(application: HelplineApp) -> None:
    """Stops the reader and sender; safe to call twice or when never started."""
    channel: MailChannel | None = application.bot_data.pop(MAIL_KEY, None)
    if channel is None:
        return
    channel.reader.stop()
    if channel.sender is not None:
        channel.sender.stop()
    # A message being taken in, or a mail being sent, is finished (and recorded) first;
    # only a server that hangs longer than this is cut off.
    _, hanging = await asyncio.wait(channel.tasks, timeout=STOP_GRACE_SECONDS)
    for task in hanging:
        task.cancel()
    await asyncio.gather(*channel.tasks, return_exceptions=True)
    await channel.reader.close()
    logger.info("mail channel stopped")
