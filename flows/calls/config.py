"""The ``[calls]`` table of organisation.toml: lead time, retries, quiet hours, quick picks.

Read once at start-up; a mistake is one ``ConfigError`` line naming the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from flows.config import ConfigError


@dataclass(frozen=True)
class CallConfig:
    """How follow-up calls are planned and reminded."""

    lead: timedelta = timedelta(minutes=30)  # first reminder to the assignee
    retry: timedelta = timedelta(minutes=60)  # telefooncirkel: next try after a miss
    miss_limit: int = 2  # misses in a row before the contact person and coordinator hear
    late_grace: timedelta = timedelta(hours=2)  # a late due reminder is still useful this long
    on_time: timedelta = timedelta(minutes=5)  # later than this counts as late (with a note)
    resident_lead: timedelta = timedelta(hours=24)  # reminder to the resident
    quiet_start: time = time(21, 0)  # no resident messages from here ...
    quiet_end: time = time(9, 0)  # ... until here (local time)
    morning: time = time(10, 0)
    afternoon: time = time(14, 0)
    later_today: timedelta = timedelta(hours=2)
    last_call: time = time(20, 0)  # "later today" is offered until this time
    assignee_queues: tuple[str, ...] = ()
    alert_actions: tuple[str, ...] = ("other",)


def _minutes(table: dict[str, Any], key: str, default: timedelta) -> timedelta:
    value = table.get(key)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"organisation.toml: calls.{key} must be whole minutes > 0")
    return timedelta(minutes=value)


def _clock(table: dict[str, Any], key: str, default: time) -> time:
    value = table.get(key)
    if value is None:
        return default
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"organisation.toml: calls.{key}: expected HH:MM") from None


def _keys(table: dict[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"organisation.toml: calls.{key} must be a list of keys")
    return tuple(value)


def parse_call_config(table: dict[str, Any], queues: set[str]) -> CallConfig:
    """Validates a ``[calls]`` table (``queues``: the configured queue keys)."""
    base = CallConfig()
    limit = table.get("miss_limit", base.miss_limit)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10:
        raise ConfigError("organisation.toml: calls.miss_limit must be 1 to 10")
    quiet = str(table.get("quiet_hours", "21:00-09:00"))
    try:
        start_s, end_s = quiet.split("-")
        quiet_start, quiet_end = time.fromisoformat(start_s.strip()), time.fromisoformat(end_s)
    except ValueError:
        raise ConfigError("organisation.toml: calls.quiet_hours: expected HH:MM-HH:MM") from None
    assignee_queues = _keys(table, "assignee_queues", ())
    for queue in assignee_queues:
        if queue not in queues:
            raise ConfigError(f"organisation.toml: calls.assignee_queues: unknown queue {queue!r}")
    actions = _keys(table, "alert_actions", base.alert_actions)
    if not actions:
        raise ConfigError("organisation.toml: calls.alert_actions must name at least one action")
    return CallConfig(
        lead=_minutes(table, "lead_minutes", base.lead),
        retry=_minutes(table, "retry_minutes", base.retry),
        miss_limit=limit,
        late_grace=_minutes(table, "late_grace_minutes", base.late_grace),
        on_time=_minutes(table, "on_time_minutes", base.on_time),
        resident_lead=_minutes(table, "resident_lead_minutes", base.resident_lead),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        morning=_clock(table, "morning", base.morning),
        afternoon=_clock(table, "afternoon", base.afternoon),
        later_today=_minutes(table, "later_today_minutes", base.later_today),
        last_call=_clock(table, "last_call", base.last_call),
        assignee_queues=assignee_queues,
        alert_actions=actions,
    )


def load_call_config(directory: Path, queues: set[str]) -> CallConfig:
    """Reads ``[calls]`` from ``directory/organisation.toml`` (defaults when absent)."""
    path = directory / "organisation.toml"
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh).get("calls", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"organisation.toml: {exc}") from None
    if not isinstance(table, dict):
        raise ConfigError("organisation.toml: [calls] must be a table")
    return parse_call_config(table, queues)
