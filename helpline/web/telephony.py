"""The telephony webhooks: ``POST /telephony/cti/{secret}`` and ``/telephony/voipgrid/{secret}``.

The edge only checks and reads: the secret (constant-time; unset → 404, wrong → 403),
the body (too big or unreadable → 400; ``flows.telephony`` parses it), then one use
case (``helpline.cases.telephony``) and a kick of the outbox dispatcher so the pops
leave at once. A refusal stores nothing and is logged with its reason, never a number.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flows.telephony import CallEvent, PayloadError, cti_fields, parse_cti, parse_voipgrid
from helpline.cases.call_outcome import CallOutcome
from helpline.cases.telephony import handle_call_event
from helpline.screen_pops import edit_pops
from helpline.services import SERVICES_KEY, HelplineApp

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a call event is a few hundred bytes


def telephony_routes() -> list[Route]:
    """The webhook routes, one per provider format."""
    return [
        Route("/telephony/cti/{secret}", cti_webhook, methods=["POST"]),
        Route("/telephony/voipgrid/{secret}", voipgrid_webhook, methods=["POST"]),
    ]


async def cti_webhook(request: Request) -> Response:
    """A generic CTI event (Zammad's format: newCall, answer, hangup)."""
    return await _receive(request, "cti")


async def voipgrid_webhook(request: Request) -> Response:
    """A VoIPGRID call notification (Voys and other VoIPGRID-based providers)."""
    return await _receive(request, "voipgrid")


def _refuse(status: int, provider: str, reason: str) -> Response:
    logger.warning("telephony webhook (%s) refused with %s: %s", provider, status, reason)
    return JSONResponse({"ok": False, "error": reason}, status)


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than any call event."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _receive(request: Request, provider: str) -> Response:
    application: HelplineApp = request.app.state.application
    services = application.bot_data[SERVICES_KEY]
    secret = services.settings.telephony_secret
    if secret is None:  # the phone line is not set up: as if the route did not exist
        return JSONResponse({"ok": False, "error": "not found"}, 404)
    given = str(request.path_params.get("secret", "")).encode()
    if not hmac.compare_digest(given, secret.get_secret_value().encode()):
        return _refuse(403, provider, "wrong secret")
    body = await _body(request)
    if body is None:
        return _refuse(400, provider, "body too large")
    try:
        event = _parse(provider, body, request.headers.get("content-type", ""), services.clock())
    except PayloadError as exc:
        return _refuse(400, provider, str(exc))
    try:
        outcome = await handle_call_event(services, event)
    except Exception as exc:  # the database is away, a bug: the exchange should try again
        # Only the type: a database error's text may quote the statement's parameters.
        logger.error("telephony webhook (%s): %s, answered 503", provider, type(exc).__name__)
        return JSONResponse({"ok": False, "error": "try again later"}, 503)
    services.dispatcher.kick(application)
    if outcome.edits and application.running:  # the answer to the exchange does not wait
        application.create_task(edit_pops(application, outcome.edits), name="phone-pop-edits")
    elif outcome.edits:  # built but not started (tests, the demo): nothing else would run it
        await edit_pops(application, outcome.edits)
    _log(event, outcome)
    return JSONResponse({"ok": True})


def _parse(provider: str, body: bytes, content_type: str, now: datetime) -> CallEvent:
    if provider == "cti":
        return parse_cti(cti_fields(body, content_type), now=now)
    return parse_voipgrid(body, now=now)


def _log(event: CallEvent, outcome: CallOutcome) -> None:
    # The provider's call id and what happened; never the caller's number.
    logger.info(
        "call event %s %s: %s (pops %s, edits %s)",
        event.provider,
        event.event,
        "recorded" if outcome.changed else "nothing new",
        outcome.pops,
        len(outcome.edits),
    )
