"""What the commands share: one-line failures, a migrated database, audit rows, and output
files that are written whole, private, and never over the database.

Kept apart from ``helpline.cli`` so the commands can be registered there without an
import cycle; the commands import it as ``cli`` and call ``cli.fail(...)``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TypeVar

import typer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from flows.config import ConfigError, FlowConfig, load_config
from flows.labels import Labels, load_labels
from helpline.settings import Settings, SettingsError, load_settings
from storage.db import Database, sqlite_file
from storage.migrate import upgrade
from storage.models import AuditAction
from storage.repository.audit import record_audit

T = TypeVar("T")

# The files SQLite keeps beside the database: writing over any of them destroys it.
_SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def fail(message: str, code: int = 2) -> NoReturn:
    """Prints one line to stderr and exits."""
    typer.echo(f"helpline: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, or a one-line error naming the bad setting."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def config_or_exit(settings: Settings) -> tuple[FlowConfig, Labels]:
    """The flows configuration and report labels, or a one-line error."""
    try:
        return load_config(settings.flows_dir), load_labels(settings.flows_dir)
    except ConfigError as exc:
        fail(f"configuration: {exc}")


def run_with_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Runs ``work`` on the migrated database; a connection failure is one line."""

    async def main() -> T:
        db = Database(settings.db_url)
        try:
            await upgrade(db)
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (OSError, DBAPIError) as exc:  # locked, read-only, disk full, server gone
        fail(database_problem(settings, exc))


def run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Runs ``work`` as one unit of work on the migrated database: committed when it
    returns, rolled back when it raises; a connection failure is one line."""

    async def in_session(db: Database) -> T:
        async with db.session() as session:
            return await work(session)

    return run_with_db(settings, in_session)


async def audit(
    session: AsyncSession,
    action: AuditAction,
    detail: str,
    *,
    resident_id: int | None = None,
    approver_id: int | None = None,
) -> None:
    """Appends the command's audit row in the caller's transaction, timed now. The actor
    is the command line itself (no staff member), or the coordinator who approved."""
    await record_audit(
        session=session,
        actor_staff_id=approver_id,
        action=action,
        resident_id=resident_id,
        detail=detail,
        now=datetime.now(UTC),
    )


def database_problem(settings: Settings, exc: OSError | DBAPIError) -> str:
    """One line for a database that cannot be reached or used (no password shown)."""
    where = settings.db_url.split("@")[-1]
    if isinstance(exc, OSError):
        return f"database {where}: {exc.strerror or exc}"
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    return f"database {where}: {reason.strip().splitlines()[0] if reason.strip() else exc}"


def database_files(settings: Settings) -> list[Path]:
    """The SQLite database file and its side files (none on PostgreSQL or in memory)."""
    path = sqlite_file(settings.db_url)
    if path is None:
        return []
    return [path.with_name(path.name + suffix) for suffix in _SQLITE_SIDE_FILES]


def _same_file(target: Path, protected: Path) -> bool:
    if target.resolve() == protected.resolve():  # through symlinks, existing or not
        return True
    try:
        return os.path.samefile(target, protected)  # a hard link to the database
    except OSError:
        return False


def check_output(settings: Settings, output: Path, *, force: bool) -> None:
    """Refuses, with one line, an output file that is one of the database's own files
    (always), or that exists already (unless ``force``). Called before any work, so a
    refused command reads and records nothing."""
    if any(_same_file(output, protected) for protected in database_files(settings)):
        fail(f"refusing to write {output}: it is a file of the database itself")
    if os.path.lexists(output) and not force:
        fail(f"{output} exists already; give --force to overwrite it")


def write_output(target: Path, data: bytes, *, force: bool) -> str | None:
    """Writes ``data`` to ``target`` whole or not at all, readable by this user only.

    The bytes go to a private temporary file in the same directory, which then takes
    the target's name in one step: a failed write leaves no half-written file, and a
    symlink at ``target`` is replaced, never written through. Without ``force`` an
    existing file is never overwritten, not even one that appeared after
    ``check_output``.

    Returns:
        None when written; otherwise why not, in a few words.
    """
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".helpline-")
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        os.fchmod(handle, 0o600)  # personal data: explicit, whatever the umask
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(temporary, target)
        else:
            _link_new(temporary, target)
    except FileExistsError:
        return "it exists already (give --force to overwrite it)"
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return None


def _link_new(temporary: str, target: Path) -> None:
    """Gives ``temporary`` the name ``target`` only if that name is free (a hard link
    never replaces a file); where the file system has no hard links, checks first."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(target):
            raise FileExistsError(str(target)) from None
        os.replace(temporary, target)
