"""When reminders go out, what to do with the late ones, and the telefooncirkel rule.

All pure: times in, decisions out. The dispatcher hook applies them to the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from flows.calls.config import CallConfig

ASSIGNEE_KINDS = ("lead", "due")
RESIDENT_KINDS = ("resident", "moved")
# A resident reminder later than this before the call is no help any more.
RESIDENT_MARGIN = timedelta(minutes=15)


def assignee_reminders(
    *, due_at: datetime, now: datetime, config: CallConfig
) -> list[tuple[str, datetime]]:
    """The (kind, time) reminders for the one who calls: at lead time (if ahead) and when due."""
    result = []
    if due_at - config.lead > now:
        result.append(("lead", due_at - config.lead))
    result.append(("due", max(due_at, now)))
    return result


def in_quiet_hours(at: datetime, *, zone: ZoneInfo, start: time, end: time) -> bool:
    """True when ``at`` falls in the quiet hours (which may run over midnight)."""
    clock = at.astimezone(zone).time()
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def after_quiet_hours(at: datetime, *, zone: ZoneInfo, config: CallConfig) -> datetime:
    """``at``, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(at, zone=zone, start=config.quiet_start, end=config.quiet_end):
        return at
    local = at.astimezone(zone)
    day = local.date()
    if local.time() >= config.quiet_end and config.quiet_start > config.quiet_end:
        day += timedelta(days=1)  # evening: quiet until tomorrow morning
    return datetime.combine(day, config.quiet_end, tzinfo=zone)


def resident_reminder(
    *, due_at: datetime, now: datetime, zone: ZoneInfo, config: CallConfig, moved: bool = False
) -> datetime | None:
    """When the resident hears about the call (None when no useful time is left).

    A new call is announced ``resident_lead`` before; a moved call at once. Both wait
    for the end of the quiet hours, and never come closer than 15 minutes to the call.
    """
    at = now if moved else max(now, due_at - config.resident_lead)
    at = after_quiet_hours(at, zone=zone, config=config)
    return at if at <= due_at - RESIDENT_MARGIN else None


class CatchUp(StrEnum):
    """What to do with a reminder the hook takes."""

    send = "send"  # on time
    late = "late"  # late (the bot was down) but still useful: send with a note
    missed = "missed"  # too late to be of use: mark missed and show the coordinator
    expired = "expired"  # no longer needed (a later reminder covers it)
    defer = "defer"  # a resident message in quiet hours: later, still before the call


@dataclass(frozen=True)
class Decision:
    """A catch-up decision, with the new time for ``defer``."""

    action: CatchUp
    at: datetime | None = None


def catch_up(
    *,
    kind: str,
    reminder_at: datetime,
    call_at: datetime,
    now: datetime,
    zone: ZoneInfo,
    config: CallConfig,
) -> Decision:
    """Decides about a due reminder: on time, late with a note, missed, expired or deferred."""
    late = now - reminder_at > config.on_time
    if kind in RESIDENT_KINDS:
        if now > call_at - RESIDENT_MARGIN:
            return Decision(CatchUp.expired)
        if in_quiet_hours(now, zone=zone, start=config.quiet_start, end=config.quiet_end):
            later = after_quiet_hours(now, zone=zone, config=config)
            if later <= call_at - RESIDENT_MARGIN:
                return Decision(CatchUp.defer, later)
            return Decision(CatchUp.expired)
        return Decision(CatchUp.late if late else CatchUp.send)
    if not late:
        return Decision(CatchUp.send)
    if kind == "lead":
        return Decision(CatchUp.late if now < call_at else CatchUp.expired)
    return Decision(CatchUp.late if now - call_at <= config.late_grace else CatchUp.missed)


@dataclass(frozen=True)
class MissDecision:
    """After a "Niet bereikt": the new miss count, a retry time, and whether to alert."""

    misses: int
    retry_at: datetime | None
    alert: bool


def after_miss(
    *,
    misses: int,
    now: datetime,
    config: CallConfig,
    next_regular: datetime | None,
) -> MissDecision:
    """The telefooncirkel rule for a check-in call that was not answered.

    Below the limit: retry after the configured interval (unless the next regular call
    comes first). At the limit: alert the contact person and the coordinator, and start
    counting again, so a resident who stays unreachable raises a new alert later.
    """
    count = misses + 1
    if count >= config.miss_limit:
        return MissDecision(0, None, True)
    retry_at: datetime | None = now + config.retry
    if next_regular is not None and retry_at is not None and retry_at >= next_regular:
        retry_at = None
    return MissDecision(count, retry_at, False)
