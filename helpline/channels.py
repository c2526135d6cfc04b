"""The channels beside Telegram: the HTTP server, the mailbox and Asterisk's call events.

Each starts with the bot when its setting is there (HTTP_PORT, IMAP_URL, AMI_URL) and only
on the active instance. Each is imported only then: a line on Telegram alone does not
load a web server, mail clients or an AMI client, which would cost it memory and start-up
time. A running channel keeps its object in ``bot_data`` under its key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application

from helpline.services import SERVICES_KEY, HelplineApp

if TYPE_CHECKING:
    from helpline.mail.service import MailChannel

HTTP_KEY = "helpline.http"
MAIL_KEY = "helpline.mail"
AMI_KEY = "helpline.ami"


async def start_channels(application: HelplineApp) -> None:
    """Starts the channels whose settings are there."""
    settings = application.bot_data[SERVICES_KEY].settings
    if settings.http_port is not None:
        from helpline.web.server import start_http_server

        await start_http_server(application)
    if settings.imap_url:
        from helpline.mail.service import start_mail

        await start_mail(application)
    if settings.ami_url:
        from helpline.ami import start_ami

        await start_ami(application)


async def stop_channels(application: HelplineApp) -> None:
    """Stops the channels that run; safe to call twice or when none started."""
    if HTTP_KEY in application.bot_data:
        from helpline.web.server import stop_http_server

        await stop_http_server(application)
    if MAIL_KEY in application.bot_data:
        from helpline.mail.service import stop_mail

        await stop_mail(application)
    if AMI_KEY in application.bot_data:
        from helpline.ami import stop_ami

        await stop_ami(application)


def wake_mail_sender(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Sends queued mail now (after a commit that queued some), when mail is running."""
    channel: MailChannel | None = application.bot_data.get(MAIL_KEY)
    if channel is not None and channel.sender is not None:
        channel.sender.wake()
