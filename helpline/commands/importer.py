"""``helpline import contacts FILE``: contacts kept outside the bot (phone lists, walk-ins).

Register in ``helpline.cli`` with ``app.add_typer(import_app, name="import")``.

Exit codes: 0 imported (or nothing new), 1 rows rejected (the list says which and
why; nothing imported), 2 the file itself cannot be read (one line).

The file is read, checked and stored row by row in one transaction: a bad row
anywhere rolls back what was written before it, so a file is stored whole or not at
all, and memory does not grow with the file. Files larger than ``IMPORT_MAX_MB`` are
refused before reading.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import IntegrityError

from helpline.commands import support as cli
from helpline.reporting.importfile import ImportFileError, RawTable, read_table
from helpline.reporting.importrows import COLUMNS, RowError, check_stream
from helpline.reporting.importworker import (
    CheckedBatch,
    CheckingProcess,
    FileToCheck,
    ImportWorkerError,
    checked_batches,
)
from helpline.settings import Settings
from storage.db import Database
from storage.import_batches import TimeMode
from storage.repository.contact_import import (
    ImportKeyMismatch,
    ImportResult,
    StagedBatch,
    import_staged,
    prepare_import_keys,
)

import_app = typer.Typer(help="Import data kept outside the bot.", no_args_is_help=True)

MAX_LISTED_ERRORS = 100
PROGRESS_FROM_ROWS = 5_000  # below this an import is over before a bar is worth drawing
# From this size a file is read and checked in a second process while this one stores
# (starting that process costs about half a second).
CHECK_APART_FROM_BYTES = 2_000_000
SECRET_FILE = "import.key"
_MIN_SECRET = 32


class _Rejected(Exception):
    """Some rows are wrong: leaving the session with it rolls the import back."""


class _Conflict(Exception):
    """Another import stored the same rows (or its first secret) meanwhile."""


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr for large files; a no-op for small ones."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=total < PROGRESS_FROM_ROWS
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)


def import_secret(data_dir: Path) -> tuple[bytes, bool]:
    """The installation's import secret from ``import.key`` in the data directory,
    made (random, readable by this user only) when there is none yet.

    Returns:
        The secret, and whether it was made now.

    Raises:
        ImportFileError: when the file cannot be read, is too short, or others may read it.
    """
    path = data_dir / SECRET_FILE
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            created = False
        else:
            with os.fdopen(handle, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            created = True
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise ImportFileError(f"{path} may be read by others; make it private (chmod 600)")
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise ImportFileError(f"{path}: {exc.strerror or exc}") from None
    if len(secret) < _MIN_SECRET:
        raise ImportFileError(f"{path} holds no secret (at least {_MIN_SECRET} characters)")
    return secret, created


class _Checked:
    """The file's rows as they are checked: counted, the wrong ones listed."""

    def __init__(self) -> None:
        self.rows = self.wrong = 0
        self.errors: list[RowError] = []

    def staged(
        self, batches: Iterable[CheckedBatch], advance: Callable[[int], None]
    ) -> Iterator[StagedBatch]:
        """The staged batches (no rows after the first wrong one), noting what was read."""
        for batch in batches:
            self.rows += batch.read
            self.wrong += batch.wrong
            self.errors += batch.errors
            advance(batch.read)
            yield batch.staged


def _report_errors(name: str, checked: _Checked) -> None:
    typer.echo(
        f"helpline: {name}: {checked.wrong} of {checked.rows} rows are wrong; "
        "nothing was imported:",
        err=True,
    )
    for error in checked.errors:
        typer.echo(f"  {error}", err=True)
    if checked.wrong > len(checked.errors):
        typer.echo(f"  ... and {checked.wrong - len(checked.errors)} more rows.", err=True)
    raise typer.Exit(1)


def _store(
    settings: Settings, table: RawTable, checked: _Checked, job: FileToCheck, secret: bytes
) -> ImportResult:
    """Re-keys stored keys if needed, then stores the checked rows, in one transaction;
    a large file is read and checked in a second process meanwhile."""
    apart = job.path.stat().st_size >= CHECK_APART_FROM_BYTES
    with CheckingProcess(job, secret) if apart else contextlib.nullcontext() as checking:

        def batches(mode: TimeMode) -> Iterable[CheckedBatch]:
            if checking is not None:
                return checking.batches(mode)
            rows = check_stream(table, config=job.config, zone=job.zone, now=job.now, secret=secret)
            return checked_batches(rows, mode, max_errors=MAX_LISTED_ERRORS)

        async def work(db: Database) -> ImportResult:
            with _progress(table.estimated_rows, "Importing") as advance:
                try:
                    async with db.session() as session:
                        await prepare_import_keys(session=session, secret=secret, now=job.now)
                        result = await import_staged(
                            session=session,
                            batches=lambda mode: checked.staged(batches(mode), advance),
                            now=job.now,
                        )
                        if checked.wrong:
                            raise _Rejected
                        return result
                except IntegrityError:
                    raise _Conflict from None

        return cli.run_with_db(settings, work)


@import_app.command("contacts")
def contacts(
    file: Annotated[
        Path, typer.Argument(help=f"CSV or XLSX with the columns {', '.join(COLUMNS)}.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the file; import nothing.")
    ] = False,
) -> None:
    """Checks every row and imports them all in one go (or none, if any row is wrong)."""
    settings = cli.settings_or_exit()
    config, _labels = cli.config_or_exit(settings)
    secret, created = None, False
    try:
        max_bytes = settings.import_max_mb * 1_000_000
        table = read_table(file, max_bytes=max_bytes)
        if not dry_run:
            secret, created = import_secret(settings.data_dir)
    except ImportFileError as exc:
        cli.fail(f"{file.name}: {exc}")
    now = datetime.now(UTC)
    checked = _Checked()
    try:
        if secret is None:
            rows = check_stream(table, config=config, zone=settings.zone, now=now)
            with _progress(table.estimated_rows, "Checking") as advance:
                batches = checked_batches(rows, "datetime", max_errors=MAX_LISTED_ERRORS)
                good = sum(len(batch.rows) for batch in checked.staged(batches, advance))
        else:
            job = FileToCheck(file, max_bytes, config, settings.zone, now, MAX_LISTED_ERRORS)
            result = _store(settings, table, checked, job, secret)
    except (ImportFileError, ImportWorkerError) as exc:
        cli.fail(f"{file.name}: {exc}")
    except ImportKeyMismatch:
        if created:  # made just now, beside earlier imports: leave room for the restored one
            (settings.data_dir / SECRET_FILE).unlink(missing_ok=True)
        cli.fail(
            f"{file.name}: {settings.data_dir / SECRET_FILE} is not the secret earlier imports"
            " used; restore it from your backup (nothing was imported)"
        )
    except _Conflict:
        cli.fail(f"{file.name}: another import stored some of these rows meanwhile; run it again")
    except _Rejected:
        pass  # listed below
    if checked.wrong:
        _report_errors(file.name, checked)
    if secret is None:
        typer.echo(f"{file.name}: all {good} rows are correct (dry run: nothing imported).")
        return
    typer.echo(
        f"{file.name}: imported {_count(result.added, 'contact')}"
        f" ({result.already_present} already imported before),"
        f" {_count(result.new_residents, 'new resident')}."
    )


def _count(number: int, noun: str) -> str:
    """``1 contact``, ``2 contacts``: the CLI's one line reads as a sentence."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
