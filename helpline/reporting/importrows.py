"""Checking import rows against the configuration, all of them before any is stored.

Category, kind, channel, direction and outcome are matched by key; village and
location by key or name; all case-insensitively. Times are local (TIME_ZONE).
Every row gets a deterministic ``import_key``: a keyed hash (HMAC with the
installation's import secret) of the normalised row and how often that same row
occurred earlier in the file, so importing a file twice, or a longer version of it
later, adds only what is new — and the key of an erased resident's row cannot be
matched by hashing guessed rows without the secret. Rows are checked as they are
read (``check_stream``); nothing keeps the whole file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from flows.config import KINDS, FlowConfig
from flows.routing import route
from helpline.reporting.importfile import ImportFileError, RawTable
from helpline.reporting.importtimes import FIRST, FIRST_YEAR, LocalHours, cell_text, parse_when
from helpline.reporting.seenrows import RowKeys
from storage.contact_values import Channel, Direction
from storage.import_batches import ImportedContact

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
# Matched against the configuration; "channel" first (its absence is the first problem).
_LOOKED_UP = ("channel", "direction", "kind", "category", "village", "location", "outcome")
_KNOWN_MAX = 10_000
MAX_RESIDENT_REF = 120


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


def _key_lookup(keys: Iterable[str], names: dict[str, str] | None = None) -> dict[str, str]:
    lookup = {key.casefold(): key for key in keys}
    for key, name in (names or {}).items():
        lookup.setdefault(name.casefold(), key)
    return lookup


class RowChecker:
    """Checks and normalises rows for one configuration, time zone and moment."""

    def __init__(self, config: FlowConfig, zone: ZoneInfo, now: datetime) -> None:
        self.config, self.zone, self.now = config, zone, now
        self._hours = LocalHours(zone, now)
        # Files repeat a few combinations of channel, category, village... endlessly.
        self._known: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[str], str | None]] = {}
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

    def _look_up(self, raw: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
        """The keys of the looked-up columns (defaults filled in), or the problems."""
        problems: list[str] = []
        if not raw[0]:
            problems.append("channel is empty")
        fields = {
            name: self._lookup(name, value, problems)
            for name, value in zip(_LOOKED_UP, raw, strict=True)
        }
        category = self.config.categories.get(fields["category"] or "")
        fields["kind"] = fields["kind"] or (category.kind if category else KINDS[0])
        fields["direction"] = fields["direction"] or Direction.inbound.value
        return fields, problems

    def _when_problems(self, value: Any, problems: list[str]) -> datetime | None:
        if _blank(value):
            problems.append("occurred_at is empty")
            return None
        try:
            when = parse_when(value, self.zone)
        except ValueError as exc:
            problems.append(f"bad date {cell_text(value)!r}: {exc}")
            return None
        if when < FIRST:
            problems.append(f"date {cell_text(value)!r} is before {FIRST_YEAR}")
        elif when > self.now:
            problems.append(f"date {cell_text(value)!r} is in the future")
        return when

    def check(
        self, cells: tuple[Any, ...]
    ) -> tuple[tuple[Any, ...], datetime, str | None, str | None, str] | list[str]:
        """One row given as its cells in the order of ``COLUMNS`` (None where absent):
        (the keys of the looked-up columns, the time, the resident reference, the
        queue, the time's ``isoformat()``), or the reasons it is wrong.

        Rows are checked one by one for files of a million rows, so this avoids a
        dictionary per row, the looked-up columns are keyed by their raw cells, and
        times in the usual form are converted per hour.
        """
        problems: list[str] = []
        value = cells[0]
        fast = self._hours.convert(value) if value.__class__ is str else None
        if fast is None:
            when = self._when_problems(value, problems)
            iso = when.isoformat() if when is not None else ""
        else:
            when, iso = fast
        raw = (cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[8])
        known = self._known.get(raw)
        if known is None:
            fields, found = self._look_up(tuple(cell_text(value) for value in raw))
            queue = None
            if fields["category"] is not None:
                category = self.config.categories[fields["category"]]
                queue = route(
                    self.config,
                    category=category.key,
                    village=fields["village"],
                    urgency=category.urgency,
                )
            known = (tuple(fields[name] for name in _LOOKED_UP), found, queue)
            # Only text (or absent) cells are remembered: 1, 1.0 and True are equal
            # as keys but read differently.
            if len(self._known) < _KNOWN_MAX and all(_plain(value) for value in raw):
                self._known[raw] = known
        if known[1]:
            problems += known[1]
        resident = cells[7]
        resident = (resident.strip() if resident.__class__ is str else cell_text(resident)) or None
        if resident is not None and len(resident) > MAX_RESIDENT_REF:
            problems.append(f"resident reference longer than {MAX_RESIDENT_REF} characters")
        if problems or when is None:
            return problems
        return known[0], when, resident, known[2], iso


def _plain(value: Any) -> bool:
    return value is None or value.__class__ is str


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_stream(
    table: RawTable,
    *,
    config: FlowConfig,
    zone: ZoneInfo,
    now: datetime,
    secret: bytes | None = None,
    keys_later: bool = False,
) -> Iterator[ImportedContact | RowError]:
    """Checks the rows as they are read: each becomes a contact to import or an error.

    Args:
        secret: the installation's import secret, which keys ``import_key``. None gives
            the bare row digest, for checks that store nothing.
        keys_later: ``import_key`` is the normalised row itself, for the storing process
            to key (``RowKeys.keyed_rows``, given the good rows in file order).

    Raises:
        ImportFileError: when the header is wrong, when the file holds no data rows, or
            when the file turns out unreadable further on.
    """
    positions = column_positions(table.header)
    check = RowChecker(config, zone, now).check
    width = len(table.header)
    # A column the file lacks reads the None appended after the row's own cells.
    cells_of = itemgetter(*(positions.get(name, width) for name in COLUMNS))
    padding = [None] * (width + 1)
    join = "\x1f".join
    key = None if keys_later else RowKeys(secret).key
    rows = 0
    for number, values in table.rows:
        rows += 1
        if len(values) > width:
            yield RowError(number, "more cells than there are columns in the header")
            continue
        checked = check(cells_of(values + padding[len(values) :]))
        if isinstance(checked, list):
            yield RowError(number, "; ".join(checked))
            continue
        keys, when, resident, queue, iso = checked
        channel, direction, kind, category, village, location, outcome = keys
        # The normalised row; its parts and their order must never change, or
        # re-imports would store rows twice.
        row = join((
            iso, channel, direction, kind, category or "", village or "",
            location or "", resident or "", outcome or "",
        ))  # fmt: skip
        yield ImportedContact(
            when, channel, direction, kind, category, village, location, queue, outcome,
            resident, key(row) if key else row,
        )  # fmt: skip
    if rows == 0:
        raise ImportFileError("the file holds a header row but no data rows")


def check_rows(
    table: RawTable,
    *,
    config: FlowConfig,
    zone: ZoneInfo,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    secret: bytes | None = None,
) -> tuple[list[ImportedContact], list[RowError]]:
    """Checks every row; returns the contacts to import, or the errors (then import nothing).

    Keeps every contact in memory: for small files and tests; the import command
    streams with ``check_stream``.

    Raises:
        ImportFileError: when the header is wrong.
    """
    contacts: list[ImportedContact] = []
    errors: list[RowError] = []
    done = 0
    for done, item in enumerate(
        check_stream(table, config=config, zone=zone, now=now, secret=secret), start=1
    ):
        if isinstance(item, RowError):
            errors.append(item)
        elif not errors:  # after the first error only the errors matter
            contacts.append(item)
        if progress is not None and done % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(done % 1000)
    return ([] if errors else contacts), errors
