"""The provider's click-to-dial endpoint (📞 Bel nu): ring the staff member's phone, then
the resident's.

One POST in VoIPGRID's ``/api/clicktodial/`` shape — ``a_number`` (the staff member's
extension, rung first), ``b_number`` (the resident, E.164), ``b_cli`` ("default_number":
the resident sees the line's number, never the staff member's) — with ``Authorization:
Token <DIAL_TOKEN>``. Any 2xx is accepted; the outbound call's events come back through
the usual webhook or AMI. Nothing of the request or answer is logged but the status.
"""

from __future__ import annotations

import logging

import httpx

from flows.errors import DialError
from helpline.settings import Settings

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds: the staff member is waiting for their phone to ring


async def request_call(settings: Settings, *, extension: str, number: str) -> None:
    """Asks the provider to connect ``extension`` to ``number``.

    Raises:
        DialError: not set up, unreachable, timed out, or refused (the status code).
    """
    if not settings.dial_url:
        raise DialError("DIAL_URL is not set")
    token = settings.dial_token.get_secret_value() if settings.dial_token else ""
    body = {"a_number": extension, "b_number": number, "b_cli": "default_number"}
    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = await client.post(settings.dial_url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DialError(type(exc).__name__) from None
    if not answer.is_success:
        raise DialError(f"HTTP {answer.status_code}")
    logger.info("click-to-dial accepted (HTTP %s)", answer.status_code)
