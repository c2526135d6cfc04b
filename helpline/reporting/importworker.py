"""Reading and checking an import file in a second process while the first one stores.

Reading, checking and keying the rows of a large file costs about as much as storing
them; on two cores the two halves overlap. The second process reads the file, checks
every row and turns the good ones into staged batches (``Stager``); it sends each
batch, pickled, through a pipe, which holds only a few batches at a time, so neither
process keeps the whole file. Whatever goes wrong there (an unreadable file, an unexpected
error) reaches the storing process as the same exception, which rolls the import back.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, BinaryIO
from zoneinfo import ZoneInfo

from flows.config import FlowConfig
from flows.errors import ImportFileError
from helpline.reporting.importfile import read_table
from helpline.reporting.importrows import RowError, check_stream
from helpline.reporting.seenrows import RowKeys
from storage.import_batches import (
    BATCH,
    ImportedContact,
    StagedBatch,
    Stager,
    TimeMode,
)

_NO_ROWS = StagedBatch([], [], [])
# Rows checked ahead while the storing process opens its database (about half a second).
AHEAD_ROWS = 50_000
# The pipe holds a few pickled batches (about 190 kB each), so that neither process
# waits for the other to take or give the very next one; Linux lets a process ask for
# up to 1 MiB (elsewhere, or when refused, the pipe keeps its size).
PIPE_BYTES = 1 << 20


@dataclass(frozen=True)
class CheckedBatch:
    """A batch of file rows: the good ones staged (none once a row was wrong), the
    wrong ones counted and the first of them listed."""

    staged: StagedBatch
    read: int
    wrong: int = 0
    errors: list[RowError] = field(default_factory=list)


def checked_batches(
    items: Iterable[ImportedContact | RowError],
    mode: TimeMode,
    *,
    max_errors: int,
    size: int = BATCH,
) -> Iterator[CheckedBatch]:
    """The checked rows in batches, then a closing batch with the residents' earliest
    rows. After the first wrong row nothing more is staged (nothing will be stored);
    the rest is read to count the wrong rows, listing up to ``max_errors``."""
    stager = Stager(mode)
    stream = iter(items)
    wrong = 0
    while chunk := list(islice(stream, size)):
        found = [item for item in chunk if item.__class__ is RowError]
        if not found and not wrong:  # the usual batch: every row good
            yield CheckedBatch(stager.batch(chunk), len(chunk))  # type: ignore[arg-type]
            continue
        listed = found[: max(max_errors - wrong, 0)]
        good = [] if wrong else chunk[: chunk.index(found[0])]
        wrong += len(found)
        staged = stager.batch(good) if good else _NO_ROWS  # type: ignore[arg-type]
        yield CheckedBatch(staged, len(chunk), len(found), listed)
    yield CheckedBatch(stager.last(), 0)


@dataclass(frozen=True)
class FileToCheck:
    """What the second process needs to read and check a file (all of it picklable; not
    the import secret, which never leaves the storing process)."""

    path: Path
    max_bytes: int | None
    config: FlowConfig
    zone: ZoneInfo
    now: datetime
    max_errors: int


def _check_here(job: FileToCheck, modes: BinaryIO, out: BinaryIO) -> None:
    """The second process's work: every batch, then None, pickled onto ``out``.

    Checking starts at once; the rows checked before the storing process says how it
    stages times (``modes``: once its database is ready) wait, up to ``AHEAD_ROWS``.
    """
    try:
        table = read_table(job.path, max_bytes=job.max_bytes)
        # Keying is left to the storing process, which has time to spare meanwhile.
        items = check_stream(table, config=job.config, zone=job.zone, now=job.now, keys_later=True)
        ahead: list[ImportedContact | RowError] = []
        while len(ahead) < AHEAD_ROWS and not select.select([modes], [], [], 0)[0]:
            chunk = list(islice(items, BATCH))
            ahead += chunk
            if not chunk:
                break
        mode = pickle.load(modes)
        rows = chain(ahead, items)
        for batch in checked_batches(rows, mode, max_errors=job.max_errors):
            pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out)
    except ImportFileError as exc:
        pickle.dump(exc, out)
    except BaseException as exc:
        pickle.dump(_Failed(type(exc).__name__), out)
    out.flush()


def _widen(pipe: IO[bytes] | None) -> None:
    """Asks for a pipe of ``PIPE_BYTES``; a refusal leaves it as it was."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if pipe is not None and setting is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), setting, PIPE_BYTES)


@dataclass(frozen=True)
class _Failed:
    """An unexpected error in the second process, by the name of its type."""

    name: str


class ImportWorkerError(RuntimeError):
    """The second process failed in a way it could not report, or unexpectedly."""


class CheckingProcess:
    """The second process that reads and checks a file: started with the file, so it
    checks while this one opens the database; ``batches`` then gives what it made.

    It is this module run by the same Python (not a fork of this process, which may
    hold a database connection, nor ``multiprocessing``, which would import the whole
    ``helpline`` command again): it loads only what checking needs. Use it as a context
    manager: leaving stops it if it is still at work.
    """

    def __init__(self, job: FileToCheck, secret: bytes) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.finished = False
        _widen(self.child.stdout)
        self.secret = secret  # it stays here: rows are keyed here
        assert self.child.stdin is not None
        try:
            pickle.dump(job, self.child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.child.stdin.flush()
        except OSError:
            pass  # it stopped already: ``batches`` says so

    def __enter__(self) -> CheckingProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def batches(self, mode: TimeMode) -> Iterator[CheckedBatch]:
        """The file's checked batches, times staged as ``mode`` says.

        Raises:
            ImportFileError: when the file turns out unreadable (as ``check_stream`` would).
            ImportWorkerError: when the second process failed otherwise or vanished.
        """
        stdin, stdout = self.child.stdin, self.child.stdout
        assert stdin is not None and stdout is not None
        try:
            pickle.dump(mode, stdin)
            stdin.close()
        except OSError:
            pass  # it stopped already: reading says why
        keys = RowKeys(self.secret)  # dropped with this generator, before the final insert
        while True:
            try:
                item: Any = pickle.load(stdout)
            except EOFError:
                raise ImportWorkerError("the process checking the file stopped") from None
            if item is None:
                self.finished = True
                return
            if isinstance(item, ImportFileError):
                raise item
            if isinstance(item, _Failed):
                raise ImportWorkerError(f"checking the file failed ({item.name})")
            staged = item.staged
            if staged.rows:
                staged = staged._replace(rows=keys.keyed_rows(staged.rows))
            yield replace(item, staged=staged)

    def close(self) -> None:
        """Waits for the process; stops it first when it did not finish (the import
        failed on the database side while it waits on a full pipe)."""
        if not self.finished:
            self.child.kill()
        for stream in (self.child.stdin, self.child.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.child.wait()


def main() -> None:
    """The second process: the job, then the way to stage times, from stdin; the
    batches to stdout."""
    # The batches get the pipe to themselves: anything printed goes nowhere.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    job = pickle.load(sys.stdin.buffer)
    with out:
        _check_here(job, sys.stdin.buffer, out)


if __name__ == "__main__":
    # Run through the module's own name, so pickled batches name their classes by it
    # (not by ``__main__``, which the storing process does not have).
    from helpline.reporting import importworker

    importworker.main()
