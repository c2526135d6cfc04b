"""The line's mailbox over IMAP: every unseen message becomes a request (or is counted).

One long-lived task on the active instance: connect, log in, select the folder, take
every UNSEEN message (``BODY.PEEK[]``, which leaves it unseen), hand it to the use
case, and mark it ``\\Seen`` only after its transaction committed. Then wait: IDLE when
the server offers it, else poll every IMAP_POLL_SECONDS. A dropped connection is made
again with a growing pause (1 s … 60 s). A crash between the commit and ``\\Seen``
reads the message again; its Message-ID is already recorded, so it is only marked.
Logs carry counts per verdict and IMAP uids, never an address, subject or text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import aioimaplib

from flows.email_message import parse_mail
from helpline.cases.core import Services
from helpline.cases.email_intake import MailOutcome, receive_mail
from helpline.mail.urls import ServerAddress

T = TypeVar("T")
logger = logging.getLogger(__name__)
# aioimaplib logs every line it receives at DEBUG: whole messages. Never below INFO.
logging.getLogger("aioimaplib").setLevel(logging.INFO)

IDLE_SECONDS = 25 * 60  # servers end IDLE after 30 minutes; renew before
MAX_PAUSE = 60.0  # seconds between reconnects, at most
MAX_FAILURES = 3  # a message whose intake failed this often is left for a restart
COMMAND_TIMEOUT = 60.0
RETRY_SECONDS = 30.0  # a message whose intake failed is tried again this soon


class Stopped(Exception):
    """The bot is stopping: the reader leaves the mailbox between two messages."""


class MailReader:
    """Reads new messages from one IMAP folder and turns them into requests."""

    def __init__(
        self,
        services: Services,
        server: ServerAddress,
        password: str | None,
        *,
        on_committed: Callable[[MailOutcome], None] = lambda outcome: None,
        poll_seconds: float = 60.0,
    ) -> None:
        self.services, self.server, self.password = services, server, password
        self.on_committed = on_committed
        self.poll_seconds = poll_seconds
        self.use_idle = True  # False: poll even when the server offers IDLE
        self.counts: Counter[str] = Counter()
        self.connected = asyncio.Event()  # set while logged in and waiting (tests)
        self._failures: Counter[bytes] = Counter()
        self._client: aioimaplib.IMAP4 | None = None
        self._lost = asyncio.Event()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Asks the reader to end: a message being taken in is finished first (its request
        committed and the message marked seen); a wait for new mail ends at once."""
        self._stop.set()

    async def run(self) -> None:
        """Reads until stopped (or cancelled), reconnecting after any failure."""
        pause = 1.0
        while not self._stop.is_set():
            try:
                await self._session()
            except Stopped:
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server went away, refused the login, timed out
                if self.connected.is_set():  # it worked until now: the first pause is short
                    pause = 1.0
                logger.warning("mailbox: %s; trying again in %.0f s", type(exc).__name__, pause)
                await self.close()  # what is left of the old connection
            self.connected.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), pause)
            pause = min(pause * 2, MAX_PAUSE)
        self.connected.clear()

    async def close(self) -> None:
        """Drops the connection (after the task was cancelled).

        No LOGOUT: a cancelled IDLE's late "OK" would reach a client that no longer
        expects it; the server treats a closed connection as a logout.
        """
        client, self._client = self._client, None
        transport = getattr(getattr(client, "protocol", None), "transport", None)
        if transport is not None:
            transport.close()

    async def _session(self) -> None:
        cls = aioimaplib.IMAP4_SSL if self.server.tls else aioimaplib.IMAP4
        lost = self._lost = asyncio.Event()  # aioimaplib does not end a wait when it drops
        client = cls(
            host=self.server.host,
            port=self.server.port,
            timeout=COMMAND_TIMEOUT,
            conn_lost_cb=lambda exc: lost.set(),
        )
        self._client = client
        await client.wait_hello_from_server()
        login = await client.login(self.server.user or "", self.password or "")
        if login.result != "OK":
            raise PermissionError("login refused")
        selected = await client.select(self.server.folder)
        if selected.result != "OK":
            raise FileNotFoundError("folder not found")
        idle = self.use_idle and client.has_capability("IDLE")
        while True:
            # Until a round finds nothing: the server reports mail that arrived during a
            # round in the answers to its commands, not later in IDLE.
            handled, failed = await self.drain(client)
            while handled and not failed:
                handled, failed = await self.drain(client)
            self.connected.set()
            if idle and not failed:
                await self._idle(client)
            else:  # no IDLE, or a message to try again soon: look again after a pause
                pause = min(self.poll_seconds, RETRY_SECONDS) if failed else self.poll_seconds
                await self._until_lost(asyncio.sleep(pause))
                await client.noop()

    async def _idle(self, client: aioimaplib.IMAP4) -> None:
        """Waits until the server reports a change (or IDLE_SECONDS passed)."""
        done = await client.idle_start(timeout=IDLE_SECONDS)
        try:
            while client.has_pending_idle():
                lines = await self._until_lost(client.wait_server_push(timeout=IDLE_SECONDS))
                if lines == aioimaplib.STOP_WAIT_SERVER_PUSH or any(
                    b"EXISTS" in line or b"RECENT" in line
                    for line in (lines if isinstance(lines, list) else [])
                ):
                    break
        finally:
            if client.has_pending_idle():
                client.idle_done()
        await asyncio.wait_for(done, COMMAND_TIMEOUT)

    async def _until_lost(self, waiting: Coroutine[Any, Any, T]) -> T:
        """``waiting``'s result; ConnectionError as soon as the connection drops, Stopped
        as soon as the bot stops."""
        task = asyncio.ensure_future(waiting)
        lost = asyncio.ensure_future(self._lost.wait())
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({task, lost, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when this is cancelled: no task left behind
            for future in (task, lost, stop):
                if not future.done():
                    future.cancel()
        if stop in done:
            raise Stopped
        if task not in done:
            raise ConnectionError("connection lost")
        return task.result()

    async def drain(self, client: aioimaplib.IMAP4) -> tuple[int, int]:
        """Handles every unseen message.

        Returns:
            How many were taken in (or found taken in before), and how many failed and
            stay unseen for another try.
        """
        found = await client.uid_search("UNSEEN")
        if found.result != "OK":
            raise ConnectionError("search failed")
        uids = [uid for line in found.lines[:1] for uid in line.split() if uid.isdigit()]
        handled = failed = 0
        read: Counter[str] = Counter()
        for uid in uids:
            if self._stop.is_set():
                break  # the rest stay unseen: read at the next start
            if self._failures[uid] >= MAX_FAILURES:
                continue
            raw = await self._fetch(client, uid)
            if raw is None:
                continue
            mail = parse_mail(
                raw,
                reference_prefix=self.services.config.organisation.reference_prefix,
                own_addresses=frozenset(filter(None, [self.services.settings.mail_from])),
            )
            try:
                outcome = await receive_mail(self.services, mail)
            except Exception:  # left unseen: tried again on the next round
                self._failures[uid] += 1
                failed += 1
                logger.exception("mailbox: message uid %s not taken in", uid.decode())
                continue
            # Only now, after the commit (or finding it committed before): seen.
            await self.mark_seen(client, uid)
            handled += 1
            read[outcome.verdict if outcome.committed else "repeat"] += 1
            if outcome.committed:
                self.on_committed(outcome)
        if read:
            self.counts.update(read)
            logger.info("mailbox: %s", ", ".join(f"{k} {v}" for k, v in sorted(read.items())))
        return handled, failed

    async def mark_seen(self, client: aioimaplib.IMAP4, uid: bytes) -> None:
        """Flags the message ``\\Seen`` on the server (after its request was committed)."""
        stored = await client.uid("store", uid.decode(), "+FLAGS.SILENT", "(\\Seen)")
        if stored.result != "OK":
            raise ConnectionError("store failed")

    async def _fetch(self, client: aioimaplib.IMAP4, uid: bytes) -> bytes | None:
        """The raw message (left unseen), or None when it is gone."""
        fetched = await client.uid("fetch", uid.decode(), "(BODY.PEEK[])")
        if fetched.result != "OK":
            raise ConnectionError("fetch failed")
        for i, line in enumerate(fetched.lines):
            literal = isinstance(line, bytes) and re.search(rb"BODY\[\] \{\d+\}$", line)
            if literal and i + 1 < len(fetched.lines):
                return bytes(fetched.lines[i + 1])
        return None
