"""Logging in to the web page with a one-time link from the bot, and the sessions after it.

A token is ``<random>.<signature>``: the signature (HMAC-SHA256 with WEB_SECRET, which
lives only in the settings) is checked before the database is asked, and the database
keeps only the SHA-256 of the random part. A link works once (a conditional update) and
for ``LINK_MINUTES``; a session ends on logout, after ``web_idle_minutes`` without use, or
``web_session_hours`` after login, whichever comes first. Every request finds its staff
member again in the database (``web_actor``): removed or demoted staff lose access at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.errors import WebNotSetUp
from flows.permissions import allowed
from helpline.cases.access import Actor
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Staff
from storage.repository import web_login as links

LINK_MINUTES = 10
TOUCH_EVERY = timedelta(seconds=60)  # a polling page notes its activity at most this often
LINK, SESSION = "link", "session"  # what a token is for: one never passes for the other


def _secret(services: Services) -> bytes:
    secret = services.settings.web_secret
    if secret is None:
        raise WebNotSetUp("WEB_SECRET is not set")
    return secret.get_secret_value().encode()


def _signature(key: bytes, purpose: str, raw: str) -> str:
    digest = hmac.new(key, f"{purpose}:{raw}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(services: Services, purpose: str) -> tuple[str, str]:
    """A fresh signed token and the hash the database keeps of it."""
    raw = secrets.token_urlsafe(32)
    return f"{raw}.{_signature(_secret(services), purpose, raw)}", _hash(raw)


def token_hash(services: Services, purpose: str, token: str) -> str | None:
    """The stored hash of ``token`` when its signature is right, else None (never raises)."""
    raw, _, signature = token.partition(".")
    if not raw or not signature or len(token) > 200 or services.settings.web_secret is None:
        return None
    expected = _signature(_secret(services), purpose, raw)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    return _hash(raw)


async def issue_login_link(services: Services, telegram_user_id: int) -> str | None:
    """A one-time login token for this staff member, or None when they may not log in.

    Raises:
        WebNotSetUp: when WEB_SECRET is not set.
    """
    _secret(services)
    now = services.clock()
    async with services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
        if staff is None or staff.id is None or not allowed(str(staff.role), "web_login"):
            return None
        token, hashed = new_token(services, LINK)
        await links.create_login_link(
            session=session,
            token_hash=hashed,
            staff_id=staff.id,
            now=now,
            expires_at=now + timedelta(minutes=LINK_MINUTES),
        )
    return token


@dataclass(frozen=True)
class NewSession:
    """What the browser gets after a good link: the cookie's value."""

    cookie: str
    staff_id: int


async def redeem_login_link(services: Services, token: str) -> NewSession | None:
    """Uses the link (once) and opens a session; None when it is wrong, used or expired."""
    hashed = token_hash(services, LINK, token)
    if hashed is None:
        return None
    now = services.clock()
    async with services.db.session() as session:
        staff_id = await links.use_login_link(session=session, token_hash=hashed, now=now)
        if staff_id is None or await _actor(session, staff_id) is None:
            return None  # a used link stays used, even when its owner was removed since
        return await _open_session(session, services, staff_id)


async def log_in_telegram_user(services: Services, telegram_user_id: int) -> NewSession | None:
    """Opens a session for the staff member Telegram vouched for (its OpenID login); None
    when that account is no active staff member allowed on the page."""
    async with services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=telegram_user_id)
        if staff is None or staff.id is None or await _actor(session, staff.id) is None:
            return None
        return await _open_session(session, services, staff.id)


async def _open_session(session: AsyncSession, services: Services, staff_id: int) -> NewSession:
    now = services.clock()
    cookie, cookie_hash = new_token(services, SESSION)
    await links.create_session(
        session=session,
        token_hash=cookie_hash,
        staff_id=staff_id,
        csrf_token=secrets.token_urlsafe(32),
        now=now,
        expires_at=now + timedelta(hours=services.settings.web_session_hours),
    )
    return NewSession(cookie, staff_id)


@dataclass(frozen=True)
class WebActor:
    """The staff member behind a request, as the database says now, and their form token."""

    actor: Actor
    csrf: str
    session_id: int


async def _actor(session: AsyncSession, staff_id: int) -> Actor | None:
    staff = await repo.get_staff_by_id(session=session, staff_id=staff_id)
    return await _actor_of(session, staff)


async def _actor_of(session: AsyncSession, staff: Staff | None) -> Actor | None:
    if staff is None or staff.id is None:
        return None
    if not staff.active or not allowed(str(staff.role), "web_login"):
        return None
    return Actor(staff, await repo.staff_queues(session=session, staff_id=staff.id))


async def web_actor(
    session: AsyncSession, services: Services, cookie: str, *, touch: bool = True
) -> WebActor | None:
    """Who this session cookie belongs to, re-read now; None when the session is not alive.

    Runs in the request's transaction, so the role and queues that decide the request
    are the ones its answer is built from. ``touch``: the request counts as activity.
    """
    hashed = token_hash(services, SESSION, cookie)
    if hashed is None:
        return None
    now = services.clock()
    idle = timedelta(minutes=services.settings.web_idle_minutes)
    found = await links.live_session(session=session, token_hash=hashed, now=now, idle=idle)
    if found is None:
        return None
    actor = await _actor_of(session, found.staff)
    if actor is None:
        return None
    if touch:
        await links.touch_session(session=session, session_id=found.id, now=now, every=TOUCH_EVERY)
    return WebActor(actor, found.csrf_token, found.id)


async def log_out(session: AsyncSession, services: Services, cookie: str) -> bool:
    """Ends the session of this cookie (in the caller's transaction); False when none was alive."""
    hashed = token_hash(services, SESSION, cookie)
    if hashed is None:
        return False
    return await links.end_session(session=session, token_hash=hashed, now=services.clock())
