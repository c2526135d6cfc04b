"""The application factory: ``build_application(settings)`` builds everything and runs nothing."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from flows.business_hours import HoursError, OpeningHours
from flows.calls.callbacks import ALERT_PATTERN, CALL_PATTERN, RESIDENT_PATTERN
from flows.cards import Cards
from flows.config import ConfigError, load_config
from flows.intake import IntakeContext
from flows.satisfaction import CALLBACK_PATTERN as SURVEY_PATTERN
from flows.texts import Texts
from flows.triage import Classifier, installed_model
from helpline.ami import start_ami, stop_ami
from helpline.cases.calls import call_config
from helpline.cases.chatlog import ChatLogPruner
from helpline.cases.core import Services
from helpline.cases.escalations import run_escalations
from helpline.cases.reminders import next_due, run_reminders
from helpline.cases.undelivered import chat_blocked, reminder_blocked, reminders_uncertain
from helpline.dispatcher import Dispatcher
from helpline.handlers.audit import audit_command
from helpline.handlers.call_admin import (
    AGENDA_COMMANDS,
    AVAILABILITY_COMMANDS,
    CONTACT_COMMANDS,
    agenda_command,
    availability_command,
    contact_command,
    prompt_input,
)
from helpline.handlers.call_alerts import alert_button
from helpline.handlers.call_outcome import resident_call_button
from helpline.handlers.calls import PLAN_COMMANDS, call_button, plan_command
from helpline.handlers.casework import CASE_PATTERN, case_button
from helpline.handlers.contact_log import LOG_PATTERN, log_button, log_command
from helpline.handlers.errors import on_error
from helpline.handlers.handover import (
    HANDOVER_PATTERN,
    TARGET_PATTERN,
    handover_button,
    target_button,
)
from helpline.handlers.mid_intake import STAFF_COMMANDS as MID_INTAKE_COMMANDS
from helpline.handlers.mid_intake import staff_command_mid_intake
from helpline.handlers.phone_calls import (
    PHONE_PATTERN,
    UPKEEP_INTERVAL,
    phone_call_button,
    phone_upkeep_job,
)
from helpline.handlers.privacy import (
    APPROVAL_PATTERN,
    FORGET_COMMANDS,
    FORGET_PATTERN,
    MYDATA_COMMANDS,
    forget_command,
    mydata_command,
    privacy_button,
)
from helpline.handlers.private_only import private_only
from helpline.handlers.queues import mine_command, queue_command
from helpline.handlers.relay import staff_private
from helpline.handlers.report import report_command
from helpline.handlers.resident import on_resident_update
from helpline.handlers.rota import ROTA_COMMANDS, WEEK_CHECK_INTERVAL, rota_command, rota_week_job
from helpline.handlers.safety_check import SAFETY_CHECK_PATTERN, safety_check_button
from helpline.handlers.setup import (
    LINK_COMMAND,
    first_admin_start,
    link_command,
    refresh_queue_groups,
    refresh_queue_groups_hook,
)
from helpline.handlers.staff import CLAIM_PATTERN, claim_button
from helpline.handlers.staff_admin import staff_command
from helpline.handlers.staff_intake import PI_PATTERN, new_command, staff_intake_input
from helpline.handlers.survey import survey_button
from helpline.handlers.web_login import LOGIN_COMMANDS, login_command
from helpline.mail.service import start_mail, stop_mail
from helpline.ordering import PerChatUpdateProcessor
from helpline.retention import CHECK_INTERVAL as RETENTION_CHECK_INTERVAL
from helpline.retention import retention_job
from helpline.safe_send import answer_query
from helpline.services import SERVICES_KEY, HelplineApp, HelplineContext
from helpline.settings import Settings
from helpline.web import start_http_server, stop_http_server
from storage.db import Database
from storage.leader import LeaderLock
from storage.migrate import upgrade

logger = logging.getLogger(__name__)

DEMO_TOKEN = "123456:DEMO-TOKEN-NOT-REAL"
MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys
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
    await upgrade(services.db)  # `helpline run` applies pending migrations itself
    await services.dispatcher.recover()  # what a crashed run left half-sent
    # The HTTP server (telephony webhooks) only on the active instance, like polling.
    await start_http_server(application)
    await start_mail(application)  # the mailbox (IMAP_URL), also only on the active instance
    await start_ami(application)  # Asterisk's call events (AMI_URL), likewise
    commands = [("start", "Hulp vragen"), ("stop", "Stoppen"), ("help", "Uitleg")]
    try:
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in commands])
    except Exception:  # a missing command menu must not stop the line
        logger.warning("could not set the command menu", exc_info=True)


async def _post_stop(application: HelplineApp) -> None:
    await stop_http_server(application)
    await stop_mail(application)
    await stop_ami(application)


async def _post_shutdown(application: HelplineApp) -> None:
    await stop_http_server(application)  # a start that failed after the server came up
    await stop_mail(application)
    await stop_ami(application)
    services: Services = application.bot_data[SERVICES_KEY]
    await services.leader.release()
    await services.db.dispose()


async def _private_update(update: Update, context: HelplineContext) -> None:
    """Routes a private chat update: staff to their relay and help, everyone else the intake."""
    user = update.effective_user
    # Residents skip the staff handlers and their own lookups (two transactions an update).
    staff = user is not None and await context.sender_is_staff(user.id)
    if staff and await staff_private(update, context):
        return
    await on_resident_update(update, context)


async def _leader_job(context: HelplineContext) -> None:
    """Stops this instance when it lost the instance lock (the standby may be active now)."""
    if not await context.services.leader.still_held():
        logger.error("lost the instance lock (database connection gone): stopping")
        context.application.stop_running()


async def _dispatch_job(context: HelplineContext) -> None:
    await context.services.dispatcher.tick(context.application)


# Any button data with ten digits or more: checked for an id no row can have.
IMPOSSIBLE_ID_PATTERN = r"^.*\d{10}"


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

    private = filters.ChatType.PRIVATE
    # First run: the linked queue groups are fresh before any handler sends to a group
    # (group -4), and /start <code> registers the first admin before the intake sees it.
    application.add_handler(TypeHandler(Update, refresh_queue_groups), group=-4)
    application.add_handler(CommandHandler("start", first_admin_start, private), group=-3)
    if not any(
        getattr(h, "func", None) is refresh_queue_groups_hook for h in services.dispatcher.hooks
    ):
        services.dispatcher.hooks.insert(0, partial(refresh_queue_groups_hook, services))
    # Order matters: the claim button is matched before the resident's catch-all.
    # Before every button: an id no row can have (the patterns allow 12 digits, the
    # database's integers end at 2**31 - 1, and PostgreSQL refuses a bigger one).
    application.add_handler(
        CallbackQueryHandler(_impossible_id, pattern=IMPOSSIBLE_ID_PATTERN), group=-2
    )
    application.add_handler(CallbackQueryHandler(claim_button, pattern=CLAIM_PATTERN))
    application.add_handler(CallbackQueryHandler(case_button, pattern=CASE_PATTERN))
    application.add_handler(CallbackQueryHandler(handover_button, pattern=HANDOVER_PATTERN))
    application.add_handler(CallbackQueryHandler(target_button, pattern=TARGET_PATTERN))
    # Staff commands work in private chats and in queue groups; those whose answer names
    # residents point to the private chat when sent in a group.
    # A resident mid-intake who types a staff command gets the intake's re-prompt.
    # Every staff command: a resident mid-intake who types one keeps their intake.
    staff_commands = [
        *MID_INTAKE_COMMANDS,
        LINK_COMMAND,
        *ROTA_COMMANDS,
        *LOGIN_COMMANDS,
        *PLAN_COMMANDS,
        *AGENDA_COMMANDS,
        *AVAILABILITY_COMMANDS,
        *CONTACT_COMMANDS,
    ]
    application.add_handler(CommandHandler(staff_commands, staff_command_mid_intake), group=-1)
    application.add_handler(CommandHandler(["wachtrij", "queue"], private_only(queue_command)))
    application.add_handler(CommandHandler("mijn", private_only(mine_command)))
    application.add_handler(CommandHandler("nieuw", new_command))
    application.add_handler(CommandHandler("log", private_only(log_command)))
    application.add_handler(CommandHandler("staf", staff_command))
    application.add_handler(CommandHandler(LINK_COMMAND, link_command))  # in a queue group
    application.add_handler(CommandHandler("audit", audit_command))
    application.add_handler(CommandHandler("rapport", report_command))
    application.add_handler(CommandHandler(ROTA_COMMANDS, rota_command))
    application.add_handler(CommandHandler(LOGIN_COMMANDS, private_only(login_command)))
    # A resident's own data (before the private catch-all, which would start an intake).
    application.add_handler(CommandHandler(MYDATA_COMMANDS, mydata_command))
    application.add_handler(CommandHandler(FORGET_COMMANDS, forget_command))
    application.add_handler(CallbackQueryHandler(privacy_button, pattern=FORGET_PATTERN))
    application.add_handler(CallbackQueryHandler(privacy_button, pattern=APPROVAL_PATTERN))
    application.add_handler(CallbackQueryHandler(log_button, pattern=LOG_PATTERN))
    application.add_handler(CallbackQueryHandler(phone_call_button, pattern=PHONE_PATTERN))
    # Follow-up calls; a typed answer to a call prompt goes first (group -1).
    application.add_handler(CommandHandler(PLAN_COMMANDS, private_only(plan_command)))
    application.add_handler(CommandHandler(AGENDA_COMMANDS, private_only(agenda_command)))
    application.add_handler(CommandHandler(AVAILABILITY_COMMANDS, availability_command))
    application.add_handler(CommandHandler(CONTACT_COMMANDS, private_only(contact_command)))
    application.add_handler(CallbackQueryHandler(call_button, pattern=CALL_PATTERN))
    application.add_handler(CallbackQueryHandler(alert_button, pattern=ALERT_PATTERN))
    application.add_handler(CallbackQueryHandler(resident_call_button, pattern=RESIDENT_PATTERN))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.MESSAGE, prompt_input), group=-1
    )
    application.add_handler(CallbackQueryHandler(_staff_intake_button, pattern=PI_PATTERN))
    application.add_handler(CallbackQueryHandler(survey_button, pattern=SURVEY_PATTERN))
    application.add_handler(CallbackQueryHandler(on_resident_update, pattern=r"^in:"))
    application.add_handler(CallbackQueryHandler(safety_check_button, pattern=SAFETY_CHECK_PATTERN))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_handler(
        MessageHandler(
            private & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, _private_update
        )
    )
    application.add_error_handler(on_error)
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


async def _staff_intake_button(update: Update, context: HelplineContext) -> None:
    """A button of the staff intake; stale or foreign presses get a short answer."""
    if not await staff_intake_input(update, context) and update.callback_query is not None:
        await answer_query(
            update.callback_query,
            context.services.texts("claim_gone", context.services.staff_language),
        )


async def _impossible_id(update: Update, context: HelplineContext) -> None:
    """Button data with a number beyond any row id (forged): answered, nothing else runs."""
    query = update.callback_query
    numbers = re.findall(r"\d+", query.data or "") if query is not None else []
    if query is None or all(int(n) <= MAX_ROW_ID for n in numbers):
        return  # a real id of ten digits: the other handlers take it
    await answer_query(query, context.services.texts("claim_gone", context.services.staff_language))
    raise ApplicationHandlerStop


async def _stale_button(update: Update, context: HelplineContext) -> None:
    """Any other button data (old, forged or malformed): answer without acting."""
    query = update.callback_query
    if query is None:
        return
    if query.message is not None and query.message.chat.type == ChatType.PRIVATE:
        await on_resident_update(update, context)
        return
    await answer_query(query, context.services.texts("claim_gone", context.services.staff_language))


__all__: list[Any] = ["build_application", "build_services"]
