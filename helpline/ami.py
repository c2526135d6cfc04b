"""The Asterisk AMI connection: call events from an Asterisk box, as from the webhooks.

When AMI_URL is set, the active instance logs in to the Asterisk Manager Interface
(panoramisk, in the bot's event loop; it reconnects by itself after a lost connection)
and reads ``Newchannel``, ``BridgeEnter`` and ``Hangup``. ``flows.ami`` turns them into
call events; one task hands those, in the order they came, to the same use case as the
webhooks (``helpline.cases.telephony``), then kicks the outbox dispatcher and edits the
pops. Logs carry the call's id and what happened, never a number.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from panoramisk import Manager

from flows.ami import AmiTracker
from flows.telephony import CallEvent
from helpline.cases.telephony import handle_call_event
from helpline.channels import AMI_KEY
from helpline.mail.urls import ami_address
from helpline.screen_pops import edit_pops
from helpline.services import SERVICES_KEY, HelplineApp

logger = logging.getLogger(__name__)
# panoramisk logs every message it reads at DEBUG (caller ids included): never below INFO.
logging.getLogger("panoramisk").setLevel(logging.INFO)

EVENTS = ("Newchannel", "BridgeEnter", "Hangup")
TRIES = 3  # a call event whose use case failed (the database away) is tried this often
RETRY_SECONDS = 1.0
MAX_WAITING = 10_000  # events queued while the database is slow; more are dropped
RECONNECT_SECONDS = 5  # panoramisk reads it as whole seconds


class _Manager(Manager):
    """panoramisk's manager, saying so when Asterisk refuses the login."""

    def login(self, future: asyncio.Future[Any]) -> bool:
        accepted = bool(super().login(future))
        if not accepted:
            logger.error("AMI: login refused (check the user in AMI_URL and AMI_SECRET)")
        return accepted


class AmiListener:
    """Reads call events from Asterisk and hands them to the call use case in order."""

    def __init__(self, application: HelplineApp, manager: Manager, tracker: AmiTracker) -> None:
        self.application, self.manager, self.tracker = application, manager, tracker
        self.services = application.bot_data[SERVICES_KEY]
        self.queue: asyncio.Queue[CallEvent] = asyncio.Queue(MAX_WAITING)
        self.handled = 0  # call events handed to the use case (tests, logs)
        self._task: asyncio.Task[None] | None = None
        self._current: asyncio.Future[None] | None = None
        for name in EVENTS:
            manager.register_event(name, self._on_event)

    def start(self) -> None:
        """Connects (and keeps reconnecting) and starts handing events on."""
        self.manager.connect()
        self._task = asyncio.create_task(self._hand_on(), name="ami-events")

    async def stop(self) -> None:
        """Closes the connection; the event in hand is finished first."""
        # panoramisk reconnects after every lost connection, also one closed on purpose,
        # and a reconnect may already be scheduled: both are turned off first.
        self.manager.connection_lost = lambda exc: None
        self.manager.connect = lambda *args, **kwargs: None
        self.manager.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._current is not None:
            await asyncio.gather(self._current, return_exceptions=True)

    def _on_event(self, manager: Manager, message: Mapping[str, str]) -> None:
        event = self.tracker.feed(message, self.services.clock())
        if event is None:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            logger.error("AMI: call %s %s dropped (too many waiting)", event.call_id, event.event)

    async def _hand_on(self) -> None:
        while True:
            event = await self.queue.get()
            self._current = asyncio.ensure_future(self._handle(event))
            try:
                await asyncio.shield(self._current)  # a stop does not cut it in half
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a pop edit that failed: the next event still comes
                logger.error(
                    "AMI: call %s after-work failed (%s)", event.call_id, type(exc).__name__
                )

    async def _handle(self, event: CallEvent) -> None:
        for attempt in range(1, TRIES + 1):
            try:
                outcome = await handle_call_event(self.services, event)
                break
            except Exception as exc:  # the database is away: Asterisk will not send it again
                logger.error(
                    "AMI: call %s event %s failed (%s), try %s of %s",
                    event.call_id,
                    event.event,
                    type(exc).__name__,
                    attempt,
                    TRIES,
                )
                if attempt == TRIES:
                    return
                await asyncio.sleep(RETRY_SECONDS)
        self.handled += 1
        self.services.dispatcher.kick(self.application)
        if outcome.edits:
            await edit_pops(self.application, outcome.edits)
        logger.info(
            "call event ami %s: %s (pops %s, edits %s)",
            event.event,
            "recorded" if outcome.changed else "nothing new",
            outcome.pops,
            len(outcome.edits),
        )


async def start_ami(application: HelplineApp) -> AmiListener | None:
    """Starts reading Asterisk's events when AMI_URL is set; None otherwise."""
    if AMI_KEY in application.bot_data:
        return application.bot_data[AMI_KEY]
    settings = application.bot_data[SERVICES_KEY].settings
    if not settings.ami_url:
        return None
    address = ami_address(settings.ami_url)
    host, port = address.host, address.port
    config: dict[str, Any] = {
        "host": host,
        "port": port,
        "ssl": address.tls,
        "username": address.user or "",
        "secret": settings.ami_secret.get_secret_value() if settings.ami_secret else "",
        "events": "call",
        "loop": asyncio.get_running_loop(),
        "reconnect_timeout": RECONNECT_SECONDS,
        "log": logging.getLogger("panoramisk"),
    }
    contexts = settings.ami_inbound_contexts.split(",")
    listener = AmiListener(application, _Manager(**config), AmiTracker(contexts))
    listener.start()
    application.bot_data[AMI_KEY] = listener
    logger.info("AMI: connecting to %s:%s", host, port)
    return listener


async def stop_ami(application: HelplineApp) -> None:
    """Stops the AMI connection; safe to call twice or when never started."""
    listener: AmiListener | None = application.bot_data.pop(AMI_KEY, None)
    if listener is not None:
        await listener.stop()
        logger.info("AMI: stopped")
