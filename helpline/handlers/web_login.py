"""/inloggen (/login): a one-time link to the coordinator web page, in the private chat.

Only registered staff get one; the link is signed, works once and for ten minutes
(``helpline.cases.web_login``). It is sent without a link preview, so Telegram's
preview fetcher does not open it (opening shows a button anyway; only pressing it uses
the link). In a group the command gets the usual pointer to the private chat
(``private_only``): a link read by others would let them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import LinkPreviewOptions

from helpline.cases.web_login import LINK_MINUTES, WebNotSetUp, issue_login_link
from helpline.channels import HTTP_KEY
from helpline.handlers.turn import CommandTurn, on_command
from helpline.services import HelplineContext
from helpline.web.texts import load_web_texts

if TYPE_CHECKING:
    from helpline.web.server import HttpServer

LOGIN_COMMANDS = ["inloggen", "login"]


def base_url(context: HelplineContext) -> str | None:
    """The address staff open: WEB_BASE_URL, else the running server's own address."""
    settings = context.services.settings
    if settings.web_base_url:
        return settings.web_base_url
    server: HttpServer | None = context.application.bot_data.get(HTTP_KEY)
    if server is None:
        return None
    return f"http://{server.host}:{server.port}"


@on_command
async def login_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Sends a registered staff member a one-time login link; others get one line."""
    services, lang, message = turn.services, turn.lang, turn.message
    texts = load_web_texts(services.settings.flows_dir)
    base = base_url(context)
    try:
        token = await issue_login_link(services, turn.user.id) if base else None
    except WebNotSetUp:
        base = None
    if base is None:
        await message.reply_text(texts("login_not_set_up", lang))
        return
    if token is None:
        await message.reply_text(texts("login_not_staff", lang))
        return
    await message.reply_text(
        texts("login_link", lang, url=f"{base}/web/login/{token}", minutes=LINK_MINUTES),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
