"""Checking import rows against the configuration, all of them before any is stored.

Category, kind, channel, direction and outcome are matched by key; village and
location by key or name; all case-insensitively. Times are local (TIME_ZONE).
Every row gets a deterministic ``import_key``: a hash of the normalised row and how
often that same row occurred earlier in the file, so importing a file twice, or a
longer version of it later, adds only what is new.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flows.config import KINDS, FlowConfig
from flows.routing import route
from helpline.reporting.importfile import ImportFileError, RawTable
from storage.models import Channel, Direction
from storage.repository.contact_import import ImportedContact

COLUMNS = (
    "occurred_at",
    "channel",
    "direction",
    "kind",
    "category",
    "village",
    "location",
    "resident",
    "outcome",
)
REQUIRED_COLUMNS = ("occurred_at", "channel")
FIRST_YEAR = 2000
MAX_RESIDENT_REF = 120
_CLOCK = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_WHEN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _CLOCK)
# How Dutch spreadsheets write dates: day first, then month, then the year (1-2-2026).
_WHEN_NL = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _CLOCK)


@dataclass(frozen=True)
class RowError:
    """Why one row of the file cannot be imported."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


def column_positions(header: list[str]) -> dict[str, int]:
    """Where each known column is.

    Raises:
        ImportFileError: for a missing required, an unknown or a repeated column.
    """
    seen: dict[str, int] = {}
    for position, name in enumerate(header):
        if name in seen:
            raise ImportFileError(f"column {name!r} appears twice in the header")
        if name not in COLUMNS:
            hint = difflib.get_close_matches(name, COLUMNS, n=1)
            advice = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ImportFileError(
                f"unknown column {name or '(empty)'!r}{advice}; columns are: {', '.join(COLUMNS)}"
            )
        seen[name] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        raise ImportFileError(f"missing required column {missing[0]!r} in the header row")
    return seen


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet turns reference 1234 into 1234.0
    return str(value).strip()


def _when(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        local = value.replace(tzinfo=None)
    elif isinstance(value, date):
        local = datetime.combine(value, time(0))
    else:
        text = _text(value)
        if match := _WHEN.match(text):
            year, month, day, hour, minute, second = (int(p or 0) for p in match.groups())
        elif match := _WHEN_NL.match(text):
            day, month, year, hour, minute, second = (int(p or 0) for p in match.groups())
        else:
            raise ValueError("use YYYY-MM-DD or D-M-YYYY, with HH:MM if you like")
        local = datetime(year, month, day, hour, minute, second)  # raises for 2026-02-30
    return local.replace(tzinfo=zone).astimezone(UTC)


def _key_lookup(keys: Iterable[str], names: dict[str, str] | None = None) -> dict[str, str]:
    lookup = {key.casefold(): key for key in keys}
    for key, name in (names or {}).items():
        lookup.setdefault(name.casefold(), key)
    return lookup


class RowChecker:
    """Checks and normalises rows for one configuration, time zone and moment."""

    def __init__(self, config: FlowConfig, zone: ZoneInfo, now: datetime) -> None:
        self.config, self.zone, self.now = config, zone, now
        self.lookups: dict[str, dict[str, str]] = {
            "channel": _key_lookup(c.value for c in Channel),
            "direction": _key_lookup(d.value for d in Direction),
            "kind": _key_lookup(KINDS),
            "category": _key_lookup(config.categories),
            "outcome": _key_lookup(config.outcomes),
            "village": _key_lookup(
                config.villages, {k: v.name for k, v in config.villages.items()}
            ),
            "location": _key_lookup(
                config.locations, {k: v.name for k, v in config.locations.items()}
            ),
        }

    def _lookup(self, column: str, raw: str, problems: list[str]) -> str | None:
        if not raw:
            return None
        found = self.lookups[column].get(raw.casefold())
        if found is None:
            hint = difflib.get_close_matches(raw.casefold(), list(self.lookups[column]), n=1)
            advice = f" (did you mean {hint[0]!r}?)" if hint else ""
            problems.append(f"unknown {column} {raw!r}{advice}")
        return found

    def check(self, cells: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        """One row's normalised fields, or None and the reasons it is wrong."""
        problems: list[str] = []
        when: datetime | None = None
        if _blank(cells.get("occurred_at")):
            problems.append("occurred_at is empty")
        else:
            try:
                when = _when(cells["occurred_at"], self.zone)
            except ValueError as exc:
                problems.append(f"bad date {_text(cells['occurred_at'])!r}: {exc}")
        if when is not None and when < datetime(FIRST_YEAR, 1, 1, tzinfo=UTC):
            problems.append(f"date {_text(cells['occurred_at'])!r} is before {FIRST_YEAR}")
        elif when is not None and when > self.now:
            problems.append(f"date {_text(cells['occurred_at'])!r} is in the future")
        text = {name: _text(cells.get(name)) for name in COLUMNS if name != "occurred_at"}
        if not text["channel"]:
            problems.append("channel is empty")
        fields: dict[str, Any] = {
            name: self._lookup(name, text[name], problems)
            for name in (
                "channel",
                "direction",
                "kind",
                "category",
                "village",
                "location",
                "outcome",
            )
        }
        resident = text["resident"] or None
        if resident is not None and len(resident) > MAX_RESIDENT_REF:
            problems.append(f"resident reference longer than {MAX_RESIDENT_REF} characters")
        if problems:
            return None, problems
        category = self.config.categories.get(fields["category"] or "")
        fields["kind"] = fields["kind"] or (category.kind if category else KINDS[0])
        fields["direction"] = fields["direction"] or Direction.inbound.value
        fields["occurred_at"], fields["resident"] = when, resident
        return fields, []


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _import_key(fields: dict[str, Any], occurrence: int) -> str:
    parts = [fields["occurred_at"].isoformat()]
    parts += [fields[name] or "" for name in COLUMNS if name != "occurred_at"]
    digest = hashlib.sha256("\x1f".join(parts).encode())
    digest.update(f"\x1e{occurrence}".encode())
    return digest.hexdigest()


def check_rows(
    table: RawTable,
    *,
    config: FlowConfig,
    zone: ZoneInfo,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ImportedContact], list[RowError]]:
    """Checks every row; returns the contacts to import, or the errors (then import nothing).

    Raises:
        ImportFileError: when the header is wrong.
    """
    positions = column_positions(table.header)
    if not table.rows:
        raise ImportFileError("the file holds a header row but no data rows")
    checker = RowChecker(config, zone, now)
    contacts: list[ImportedContact] = []
    errors: list[RowError] = []
    occurrences: dict[tuple[Any, ...], int] = {}
    for done, (number, values) in enumerate(table.rows, start=1):
        if len(values) > len(table.header):
            errors.append(RowError(number, "more cells than there are columns in the header"))
            continue
        cells = {name: values[i] if i < len(values) else None for name, i in positions.items()}
        fields, problems = checker.check(cells)
        if fields is None:
            errors.append(RowError(number, "; ".join(problems)))
        elif not errors:  # after the first error only the errors matter
            identity = tuple(fields[name] for name in COLUMNS)
            occurrence = occurrences.get(identity, 0)
            occurrences[identity] = occurrence + 1
            queue = None
            if fields["category"] is not None:
                category = config.categories[fields["category"]]
                queue = route(
                    config,
                    category=category.key,
                    village=fields["village"],
                    urgency=category.urgency,
                )
            contacts.append(ImportedContact(
                occurred_at=fields["occurred_at"], channel=fields["channel"],
                direction=fields["direction"], kind=fields["kind"], category=fields["category"],
                village=fields["village"], location=fields["location"], queue=queue,
                outcome=fields["outcome"], resident_ref=fields["resident"],
                import_key=_import_key(fields, occurrence),
            ))  # fmt: skip
        if progress is not None and done % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(table.rows) % 1000)
    return ([] if errors else contacts), errors
