"""The application factory: ``build_application(settings)`` builds everything and runs nothing."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from telegram import BotCommand
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ContextTypes,
)
from telegram.request import BaseRequest

from flows.business_hours import HoursError, OpeningHours
from flows.cards import Cards
from flows.config import ConfigError, load_config
from flows.intake import IntakeContext
from flows.texts import Texts
from flows.triage import Classifier, installed_model
from helpline.cases.calls import call_config
from helpline.cases.chatlog import ChatLogPruner
from helpline.cases.core import Services
from helpline.cases.escalations import run_escalations
from helpline.cases.reminders import next_due, run_reminders
from helpline.cases.undelivered import chat_blocked, reminder_blocked, reminders_uncertain
from helpline.channels import start_channels, stop_channels
from helpline.dispatcher import Dispatcher
from helpline.handlers.phone_calls import (
    UPKEEP_INTERVAL,
    phone_upkeep_job,
)
from helpline.handlers.registry import register_handlers
from helpline.handlers.rota import WEEK_CHECK_INTERVAL, rota_week_job
from helpline.ordering import PerChatUpdateProcessor
from helpline.retention import CHECK_INTERVAL as RETENTION_CHECK_INTERVAL
from helpline.retention import retention_job
from helpline.services import SERVICES_KEY, HelplineApp, HelplineContext
from helpline.settings import Settings
from storage.db import Database
from storage.leader import LeaderLock
from storage.migrate import upgrade_if_behind

logger = logging.getLogger(__name__)

DEMO_TOKEN = "123456:DEMO-TOKEN-NOT-REAL"
LEADER_CHECK_SECONDS = 5.0  # how soon an instance that lost its lock stops (hot standby)


def utc_clock() -> datetime:
    """The real clock (tests inject their own)."""
    return datetime.now(UTC)


def build_services(
    settings: Settings, *, clock: Callable[[], datetime] = utc_clock, db: Database | None = None
) -> Services:
    """Loads and validates the configuration and creates the long-lived services."""
    config = load_config(settings.flows_dir)
    unknown = sorted(set(settings.queue_chats) - set(config.queues))
    if unknown:
        raise ConfigError(f"setting QUEUE_CHATS: unknown queue {unknown[0]!r}")
    if settings.telephony_queue not in config.queues:
        raise ConfigError(f"setting TELEPHONY_QUEUE: unknown queue {settings.telephony_queue!r}")
    texts = Texts(config)
    classifier = Classifier(config, model=installed_model(settings.data_dir) or "shipped")
    try:
        hours = OpeningHours.from_config(config.opening_hours, settings.zone)
    except HoursError as exc:
        raise ConfigError(f"organisation.toml: {exc}") from None
    database = db or Database(settings.db_url)
    services = Services(
        settings=settings,
        db=database,
        config=config,
        texts=texts,
        classifier=classifier,
        intake=IntakeContext(config, texts, classifier.classify),
        cards=Cards(config, texts, settings.default_language),
        clock=clock,
        dispatcher=Dispatcher(database, clock),
        hours=hours,
        leader=LeaderLock(database),
    )
    services.dispatcher.hooks.append(partial(run_escalations, services))
    services.dispatcher.hooks.append(ChatLogPruner(database, clock))  # ids for /wis: 48 h
    checkpointer = database.checkpoint_off_the_loop()  # SQLite: no fsync inside a commit
    if checkpointer is not None:
        services.dispatcher.hooks.append(checkpointer)
    services.dispatcher.on_blocked = partial(chat_blocked, services)
    services.dispatcher.on_given_up = partial(reminders_uncertain, services)
    # Follow-up calls: reminders, 403 on a reminder, wake-up at the next due time.
    call_config(services)  # a malformed [calls] table stops the start with one line
    services.dispatcher.hooks.append(partial(run_reminders, services))
    services.dispatcher.blocked_hooks.append(partial(reminder_blocked, services))
    services.dispatcher.wakeups.append(partial(next_due, services))
    return services


def freeze_startup_objects() -> int:
    """Exempts everything built so far from the garbage collector's scans; returns how many.

    The configuration, the classifier's word lists and SQLAlchemy's mappers are about
    150,000 objects that live as long as the process. Each full collection walked all of
    them: a pause of about 90 ms, in which no update is handled. Called once, by
    ``helpline run``, after the application is built.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def _post_init(application: HelplineApp) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    # Polling, webhooks and the dispatcher start only after this returns, so a standby
    # instance waits here until the active one is gone.
    await services.leader.acquire(
        on_wait=lambda: logger.info("another instance is active: waiting as standby")
    )
    logger.info("this instance is active")
    await upgrade_if_behind(services.db)  # `helpline run` applies pending migrations itself
    # The hot path's statements compiled now: the first update of each kind after a start
    # costs what the second does.
    await services.db.warm_up()
    await services.dispatcher.recover()  # what a crashed run left half-sent
    # A stop does not wait for the outbox: what is not sent yet goes out after the start.
    services.dispatcher.keep_sending = lambda: application.running
    # The HTTP server, the mailbox and Asterisk's events only on the active instance,
    # like polling.
    await start_channels(application)
    commands = [("start", "Hulp vragen"), ("stop", "Stoppen"), ("help", "Uitleg")]
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in commands])
    except Exception:  # a missing command menu must not stop the line
        logger.warning("could not set the command menu", exc_info=True)


async def _post_stop(application: HelplineApp) -> None:
    await stop_channels(application)


async def _post_shutdown(application: HelplineApp) -> None:
    await stop_channels(application)  # a start that failed after a channel came up
    services: Services = application.bot_data[SERVICES_KEY]
    await services.leader.release()
    await services.db.dispose()


async def _leader_job(context: HelplineContext) -> None:
    """Stops this instance when it lost the instance lock (the standby may be active now)."""
    if not await context.services.leader.still_held():
        logger.error("lost the instance lock (database connection gone): stopping")
        context.application.stop_running()


async def _dispatch_job(context: HelplineContext) -> None:
    await context.services.dispatcher.tick(context.application)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] = utc_clock,
    services: Services | None = None,
    rate_limit: bool = True,
) -> HelplineApp:
    """Builds the bot: services, handlers, the dispatcher job. Runs nothing.

    Args:
        settings: The validated settings.
        request: Transport for Bot API calls (tests pass a fake); default HTTPX.
        get_updates_request: Transport for polling (default: like ``request``).
        clock: Source of the current time (tests inject a fixed clock).
        services: Ready services (tests share one database); built when omitted.
        rate_limit: Send through PTB's AIORateLimiter (on in production).
    """
    services = services or build_services(settings, clock=clock)
    builder = (
        ApplicationBuilder()
        .token(settings.token or DEMO_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .context_types(ContextTypes(context=HelplineContext))
        .concurrent_updates(PerChatUpdateProcessor(max_concurrent_updates=64))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
        services.dispatcher.per_chat_gap = 1.0  # Telegram: about one message a second per chat
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    application: HelplineApp = builder.build()
    application.bot_data[SERVICES_KEY] = services

    register_handlers(application, services)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _dispatch_job, interval=settings.dispatch_interval, first=1.0, name="outbox"
        )
        application.job_queue.run_repeating(
            retention_job, interval=RETENTION_CHECK_INTERVAL, first=60.0, name="retention"
        )
        application.job_queue.run_repeating(
            phone_upkeep_job, interval=UPKEEP_INTERVAL, first=30.0, name="phone-upkeep"
        )
        application.job_queue.run_repeating(
            rota_week_job, interval=WEEK_CHECK_INTERVAL, first=90.0, name="rota-week"
        )
        if services.db.dialect == "postgresql":  # SQLite has no standby: nothing to lose
            application.job_queue.run_repeating(
                _leader_job, interval=LEADER_CHECK_SECONDS, first=LEADER_CHECK_SECONDS, name="lock"
            )
    return application


__all__: list[Any] = ["build_application", "build_services"]
