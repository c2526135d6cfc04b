"""``helpline import contacts FILE``: contacts kept outside the bot (phone lists, walk-ins).

Register in ``helpline.cli`` with ``app.add_typer(import_app, name="import")``.

Exit codes: 0 imported (or nothing new), 1 rows rejected (the list says which and
why; nothing imported), 2 the file itself cannot be read (one line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import IntegrityError

from helpline.reporting.cli_support import config_or_exit, fail, run_with_db, settings_or_exit
from helpline.reporting.importfile import ImportFileError, read_table
from helpline.reporting.importrows import COLUMNS, check_rows
from storage.db import Database
from storage.repository.contact_import import ImportResult, import_contacts

import_app = typer.Typer(help="Import data kept outside the bot.", no_args_is_help=True)

MAX_LISTED_ERRORS = 100
PROGRESS_FROM_ROWS = 5_000  # below this an import is over before a bar is worth drawing


@contextmanager
def _progress(total: int, description: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr for large files; a no-op for small ones."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=total < PROGRESS_FROM_ROWS
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)


@import_app.command("contacts")
def contacts(
    file: Annotated[
        Path, typer.Argument(help=f"CSV or XLSX with the columns {', '.join(COLUMNS)}.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the file; import nothing.")
    ] = False,
) -> None:
    """Checks every row, then imports them all in one go (or none, if any row is wrong)."""
    settings = settings_or_exit()
    config, _labels = config_or_exit(settings)
    try:
        table = read_table(file)
    except ImportFileError as exc:
        fail(f"{file.name}: {exc}")
    now = datetime.now(UTC)
    try:
        with _progress(len(table.rows), "Checking") as advance:
            rows, errors = check_rows(
                table, config=config, zone=settings.zone, now=now, progress=advance
            )
    except ImportFileError as exc:
        fail(f"{file.name}: {exc}")
    if errors:
        typer.echo(
            f"helpline: {file.name}: {len(errors)} of {len(table.rows)} rows are wrong; "
            "nothing was imported:",
            err=True,
        )
        for error in errors[:MAX_LISTED_ERRORS]:
            typer.echo(f"  {error}", err=True)
        if len(errors) > MAX_LISTED_ERRORS:
            typer.echo(f"  ... and {len(errors) - MAX_LISTED_ERRORS} more rows.", err=True)
        raise typer.Exit(1)
    if dry_run:
        typer.echo(f"{file.name}: all {len(rows)} rows are correct (dry run: nothing imported).")
        return

    async def work(db: Database) -> ImportResult:
        with _progress(len(rows), "Importing") as advance:
            async with db.session() as session:
                return await import_contacts(
                    session=session, contacts=rows, now=now, progress=advance
                )

    try:
        result = run_with_db(settings, work)
    except IntegrityError:
        fail(f"{file.name}: another import stored some of these rows meanwhile; run it again")
    typer.echo(
        f"{file.name}: imported {_count(result.added, 'contact')}"
        f" ({result.already_present} already imported before),"
        f" {_count(result.new_residents, 'new resident')}."
    )


def _count(number: int, noun: str) -> str:
    """``1 contact``, ``2 contacts``: the CLI's one line reads as a sentence."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
