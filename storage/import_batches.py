"""Checked import rows, their keys, and the rows of the staging tables, without a database.

A large import reads and checks its file in a second process while the first one
stores: this part runs there (or in-process for small imports and tests), so what
repeats per row (numbering values and residents, converting times, noting each
resident's earliest row) costs the storing process nothing. What needs the database
(resident ids, rows stored before) stays with ``contact_import``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, Literal, NamedTuple

# How staged times are written: on SQLite as microseconds since the year 1 (made and
# sorted several times faster than text; the insert turns them into SQLAlchemy's text),
# or as that text itself; elsewhere as the aware datetime.
TimeMode = Literal["micros", "text", "datetime"]
BATCH = 2000
KNOWN = "bekend"

_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class ImportedContact(NamedTuple):
    """One checked row of an import file (times aware UTC, values as keys); a tuple,
    being made a million times for a large file."""

    occurred_at: datetime
    channel: str
    direction: str
    kind: str
    category: str | None
    village: str | None
    location: str | None
    queue: str | None
    outcome: str | None
    resident_ref: str | None
    import_key: str


class StagedBatch(NamedTuple):
    """The staging rows of one batch of contacts.

    ``rows`` follow the columns of the staging table (seq, time, value id, new/known,
    resident number, key); ``values`` are the value combinations first numbered in this
    batch, ``refs`` the resident references first numbered in it (number = position
    over all batches). The last batch of an import carries ``earliest``: for each
    resident number, the time and seq of their earliest row in the file.
    """

    rows: list[tuple[Any, ...]]
    values: list[tuple[Any, ...]]
    refs: list[str]
    earliest: dict[int, tuple[datetime, int]] | None = None


def keyed_import_key(secret: bytes, row_digest: str) -> str:
    """The stored ``import_key`` of a row: HMAC-SHA256 of its digest under the secret."""
    return hmac.digest(secret, row_digest.encode(), "sha256").hex()


class ImportKeyer:
    """``keyed_import_key`` for the rows of one file: the same keys, about twice as fast.

    HMAC hashes the secret (padded two ways) before each row's digest; here those two
    starts are hashed once and copied per row, which saves a second or more on a file
    of a million rows.
    """

    _BLOCK = 64  # SHA-256's block size, as HMAC (RFC 2104) pads the secret to

    def __init__(self, secret: bytes) -> None:
        if len(secret) > self._BLOCK:
            secret = hashlib.sha256(secret).digest()
        padded = secret.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def key(self, row_digest: str) -> str:
        """The stored ``import_key`` of the row with this digest."""
        inner = self._inner.copy()
        inner.update(row_digest.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def micros(value: datetime) -> int:
    """Microseconds since the year 1, UTC."""
    return (_aware(value) - _EPOCH) // _MICROSECOND


def sqlite_text(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores for an aware time (UTC, naive)."""
    if value.tzinfo is UTC:  # the usual case: one call instead of two ("+00:00" cut off)
        return value.isoformat(" ", "microseconds")[:26]
    return _aware(value).astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def as_datetime(value: datetime) -> datetime:
    """The time itself, refused when naive (as the column type refuses it: COPY would not)."""
    return _aware(value)


CONVERTERS: dict[TimeMode, Callable[[datetime], Any]] = {
    "micros": micros,
    "text": sqlite_text,
    "datetime": as_datetime,
}


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use an aware datetime (UTC)")
    return value


class Stager:
    """Numbers value combinations and residents and notes each resident's earliest row,
    over all the batches of one import."""

    def __init__(self, mode: TimeMode) -> None:
        self.time = CONVERTERS[mode]
        self.value_ids: dict[tuple[Any, ...], int] = {}
        self.ref_numbers: dict[str, int] = {}
        self.earliest: dict[int, tuple[datetime, int]] = {}
        self.seq = 0

    def batch(self, contacts: Iterable[ImportedContact]) -> StagedBatch:
        """The staging rows of these contacts; ``seq`` numbers rows in file order."""
        rows: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        refs: list[str] = []
        value_ids, numbers, earliest = self.value_ids, self.ref_numbers, self.earliest
        time = None if self.time is micros else self.time
        seq = self.seq
        # Runs once per row of a file of a million: fields by position, micros inline.
        for c in contacts:
            when = c[0]
            combination = c[1:9]  # channel ... outcome, in the order of the values table
            value_id = value_ids.get(combination)
            if value_id is None:
                value_id = value_ids[combination] = len(value_ids)
                values.append((value_id, *combination))
            ref, number, label = c[9], None, None
            if ref:
                number = numbers.get(ref)
                if number is None:
                    number = numbers[ref] = len(numbers)
                    refs.append(ref)
                    earliest[number] = (when, seq)
                elif when < earliest[number][0]:  # a tie keeps file order
                    earliest[number] = (when, seq)
                label = KNOWN  # the earliest row of each resident may become "nieuw"
            if time is None:
                if when.tzinfo is None:
                    raise ValueError("naive datetime given; use an aware datetime (UTC)")
                staged_time: Any = (when - _EPOCH) // _MICROSECOND
            else:
                staged_time = time(when)
            rows.append((seq, staged_time, value_id, label, number, c[10]))
            seq += 1
        self.seq = seq
        return StagedBatch(rows, values, refs)

    def last(self) -> StagedBatch:
        """The closing batch: no rows, the earliest row of every resident."""
        return StagedBatch([], [], [], dict(self.earliest))


def staged(
    contacts: Iterable[ImportedContact],
    mode: TimeMode,
    progress: Callable[[int], None] | None = None,
    size: int = BATCH,
) -> Iterator[StagedBatch]:
    """The staging batches of a stream of contacts (in-process), then the closing one."""
    stager = Stager(mode)
    stream = iter(contacts)
    while chunk := list(islice(stream, size)):
        yield stager.batch(chunk)
        if progress is not None:
            progress(len(chunk))
    yield stager.last()
