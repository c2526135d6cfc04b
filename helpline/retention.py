"""The daily retention run: anonymise expired free text and identities, prune old rows.

A repeating job checks every few minutes whether the run is due, keyed on the time
of the last run stored in ``job_run``: a process that was down at the run hour runs
as soon as it is back, and a restart right after a run does not repeat it. The work
and the new run time are one transaction, so a crash mid-run leaves nothing half done.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from flows.privacy import RetentionPolicy, cutoffs, retention_due
from helpline.settings import Settings
from storage.db import Database
from storage.repository import retention as retention_repo

if TYPE_CHECKING:  # the bot's job context; the CLI runs retention without Telegram
    from helpline.services import HelplineContext

logger = logging.getLogger(__name__)

JOB_NAME = "retention"
CHECK_INTERVAL = 600.0  # seconds between "is it due?" checks


def policy_from(settings: Settings) -> RetentionPolicy:
    """The retention limits of the settings."""
    return RetentionPolicy(
        free_text_months=settings.retention_free_text_months,
        contact_years=settings.retention_contact_years,
        draft_days=settings.retention_draft_days,
        run_hour=settings.retention_run_hour,
    )


class _DryRun(Exception):
    """Rolls the run back after counting (``--dry-run``)."""

    def __init__(self, result: retention_repo.RetentionResult) -> None:
        super().__init__("dry run")
        self.result = result


async def run_retention(
    db: Database, settings: Settings, *, now: datetime, force: bool = False, dry_run: bool = False
) -> retention_repo.RetentionResult | None:
    """Runs retention when due (or ``force``); None when it was not due.

    ``dry_run`` does all the work, reports the counts and rolls it back.
    """
    policy = policy_from(settings)
    try:
        async with db.session() as session:
            last = await retention_repo.last_run(session=session, name=JOB_NAME)
            if not force and not retention_due(last, now, settings.zone, policy.run_hour):
                return None
            result = await retention_repo.apply_retention(
                session=session, cutoffs=cutoffs(policy, now), now=now
            )
            if dry_run:
                raise _DryRun(result)
            if not await retention_repo.record_run(
                session=session, name=JOB_NAME, previous=last, now=now
            ):
                raise RuntimeError("another instance recorded a retention run meanwhile")
    except _DryRun as done:
        return done.result
    if not await db.wipe_wal():  # what retention removed must not stay in the WAL
        logger.warning("database busy: removed values stay in the WAL until the next checkpoint")
    logger.info(
        "retention: %d residents anonymised, %d drafts and %d contacts deleted, "
        "%d callers' numbers cleared, cleared %s",
        result.residents_anonymised,
        result.drafts_deleted,
        result.contacts_deleted,
        result.call_numbers_cleared,
        result.cleared,
    )
    return result


async def retention_job(context: HelplineContext) -> None:
    """The JobQueue callback: the daily run when due; a failure is logged and retried."""
    try:
        services = context.services
        await run_retention(services.db, services.settings, now=services.clock())
    except Exception:
        logger.exception("retention run failed; it is retried at the next check")
