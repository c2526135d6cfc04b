"""The import keys of a file's rows: how often each row occurred earlier, in little memory."""

from __future__ import annotations

import hashlib
from array import array
from typing import Any

from storage.import_batches import ImportKeyer


class SeenRows:
    """How often each row occurred earlier in the file, at 16 bytes a row at most.

    A ``set`` of the rows themselves would cost hundreds of bytes a row; here only a
    64-bit fingerprint of each row is kept, in an open-addressing table. Two different
    rows with the same fingerprint (about one in 10^7 for a million rows) only make
    the second count as a repeat: its key still covers the whole row, so it is still
    stored once.
    """

    def __init__(self) -> None:
        self._slots = array("q", bytes(8 * 1024))
        self._used = 0
        self._repeats: dict[int, int] = {}

    def occurrence(self, row: str) -> int:
        """How often ``row`` was seen before; counts this one."""
        fingerprint = hash(row) or 1  # 0 marks an empty slot
        slots = self._slots
        slot = fingerprint & (len(slots) - 1)
        found = slots[slot]
        if not found:  # the usual case, inline: a row not seen before, a free slot
            slots[slot] = fingerprint
            self._used += 1
            if self._used * 2 > len(slots):
                self._grow()
            return 0
        if found != fingerprint and self._add(fingerprint):
            return 0
        earlier = self._repeats.get(fingerprint, 1)
        self._repeats[fingerprint] = earlier + 1
        return earlier

    def _add(self, fingerprint: int) -> bool:
        slots = self._slots
        mask = len(slots) - 1
        slot = fingerprint & mask
        while slots[slot]:
            if slots[slot] == fingerprint:
                return False
            slot = (slot + 1) & mask
        slots[slot] = fingerprint
        self._used += 1
        if self._used * 2 > len(slots):
            self._grow()
        return True

    def _grow(self) -> None:
        # Inline, not through _add: a million rows re-place about two million
        # fingerprints over all the doublings.
        old = self._slots
        slots = self._slots = array("q", bytes(16 * len(old)))
        mask = len(slots) - 1
        for fingerprint in old:
            if fingerprint:
                slot = fingerprint & mask
                while slots[slot]:
                    slot = (slot + 1) & mask
                slots[slot] = fingerprint


class RowKeys:
    """The ``import_key`` of each normalised row of one file, the rows given in file order.

    A row's key is the SHA-256 of the row and how often that same row occurred earlier
    in the file, keyed with the installation's import secret (HMAC); without a secret,
    the bare digest (for checks that store nothing). Counting needs the rows in order,
    so one object serves one file.
    """

    def __init__(self, secret: bytes | None) -> None:
        self._occurrence = SeenRows().occurrence
        self._keyed = ImportKeyer(secret).key if secret else None

    def key(self, row: str) -> str:
        """The key of the next row of the file."""
        # The parts and their order must never change, or re-imports would store rows twice.
        digest = hashlib.sha256(f"{row}\x1e{self._occurrence(row)}".encode()).hexdigest()
        return self._keyed(digest) if self._keyed else digest

    def keyed_rows(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Staging rows whose last field is the normalised row, with that field turned
        into the row's key: the keying of rows checked in another process, done in the
        one that stores them (which alone holds the secret)."""
        key = self.key
        return [(*row[:-1], key(row[-1])) for row in rows]
