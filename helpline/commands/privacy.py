"""``helpline privacy``: a resident's request for access or erasure, and the retention run.

``export`` and ``erase`` answer a request that reaches the line by phone, letter or at
the desk; ``requests`` lists the erasure requests from Telegram that wait for a
coordinator (approve them on the card, or here with ``erase --approved-by``).

``REF`` names the resident: the reference used in imports, a phone number in any
Dutch form, a request number (``HH-2026-00042``), or ``id:17`` (shown when a REF is
ambiguous). Erasing someone with open requests needs a coordinator's approval:
``--approved-by`` takes the coordinator's Telegram id, checked against the staff table.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from flows.privacy import RefError, chunk_lines, export_lines, parse_ref, to_json
from flows.texts import Texts
from helpline.commands import support as cli
from helpline.commands.options import Force
from helpline.retention import run_retention
from storage import repository as repo
from storage.db import Database
from storage.models import AuditAction, Resident, Role
from storage.repository import privacy as privacy_repo
from storage.repository.retention import RetentionResult

privacy_app = typer.Typer(
    help="Residents' data: access (export), erasure, retention.", no_args_is_help=True
)

_REF_HELP = "The resident: import reference, phone number, request number, email address or id:N."


class _Refusal(Exception):
    """A one-line reason the command cannot go on (exit code 1)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _interactive() -> bool:
    """True when there is a person at a terminal to answer the confirmation."""
    return sys.stdin.isatty()


async def _resident(session: AsyncSession, raw: str, prefix: str) -> Resident:
    """The one resident the REF names; ``_Refusal`` when none, or more than one."""
    try:
        ref = parse_ref(raw, prefix)
    except RefError as exc:
        raise _Refusal(str(exc)) from None
    matches = await privacy_repo.find_residents(session=session, ref=ref)
    if not matches:
        if ref.malformed_phone:
            raise _Refusal(f"{ref.raw!r} is not a valid phone number, nor a known reference")
        raise _Refusal(f"no resident found for {ref.raw!r}")
    if len(matches) > 1:
        listed = "; ".join(
            f"id:{m.resident_id} (since {m.created_at:%Y-%m-%d}, "
            f"requests: {', '.join(m.references) or 'none'})"
            for m in matches
        )
        raise _Refusal(f"{ref.raw!r} matches {len(matches)} residents: {listed}; give id:N")
    resident = await session.get(Resident, matches[0].resident_id)
    assert resident is not None
    return resident


@privacy_app.command("export")
def export_command(
    resident: Annotated[str, typer.Option("--resident", help=_REF_HELP)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the JSON document to this file.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON document instead of the text.")
    ] = False,
    force: Force = False,
) -> None:
    """Everything stored about one resident: readable text, and the JSON document."""
    settings = cli.settings_or_exit()
    config, _ = cli.config_or_exit(settings)
    texts = Texts(config)
    if output is not None:
        cli.check_output(settings, output, force=force)

    async def work(db: Database) -> tuple[dict[str, object], str | None]:
        problem: str | None = None
        written = False
        try:
            async with db.session() as session:
                person = await _resident(session, resident, config.organisation.reference_prefix)
                subject = await privacy_repo.subject_of(session=session, resident=person)
                export = await privacy_repo.collect(session=session, subject=subject, now=_now())
                detail = "by=cli output=stdout"
                if output is not None:
                    # Written inside the audit's transaction: the row says whether the
                    # file was made, and a file whose row failed to commit is removed.
                    problem = cli.write_output(output, to_json(export).encode(), force=force)
                    written = problem is None
                    detail = f"by=cli output=file outcome={'written' if written else 'failed'}"
                await cli.audit(session, AuditAction.privacy_export, detail, resident_id=person.id)
                return export, problem
        except BaseException:
            if written and output is not None:
                output.unlink(missing_ok=True)
            raise

    try:
        export, problem = cli.run_with_db(settings, work)
    except _Refusal as exc:
        cli.fail(str(exc), code=1)
    if problem is not None:
        cli.fail(f"cannot write {output}: {problem}")
    document = to_json(export)
    if as_json:
        sys.stdout.write(document)
        return
    lang = settings.default_language

    def label(key: str) -> str:
        category = config.categories.get(key)
        return category.label(lang) if category else key

    def place(key: str) -> str:
        found = config.villages.get(key)
        return found.name if found else key

    lines = export_lines(export, texts, lang, settings.zone, label, place)
    typer.echo("\n".join(chunk_lines(lines, limit=1_000_000)))
    if output is not None:
        typer.echo(f"Wrote {output} (JSON).", err=True)


async def _approver(session: AsyncSession, telegram_id: int) -> int:
    staff = await repo.get_staff(session=session, telegram_user_id=telegram_id)
    if staff is None or staff.id is None or not staff.active:
        raise _Refusal(f"--approved-by {telegram_id}: no active staff member with that id")
    if staff.role not in (Role.coordinator, Role.admin):
        raise _Refusal(
            f"--approved-by {telegram_id}: {staff.name} is {staff.role}, not coordinator"
        )
    return staff.id


@privacy_app.command("erase")
def erase_command(
    resident: Annotated[str, typer.Option("--resident", help=_REF_HELP)],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm without asking.")] = False,
    approved_by: Annotated[
        int | None,
        typer.Option(
            "--approved-by",
            help="Telegram id of the coordinator who approved erasing open requests.",
        ),
    ] = None,
) -> None:
    """Erases a resident: only anonymous tallies stay. Asks first unless --yes."""
    settings = cli.settings_or_exit()
    config, _ = cli.config_or_exit(settings)
    prefix = config.organisation.reference_prefix

    async def look(session: AsyncSession) -> tuple[int, list[str], list[str]]:
        person = await _resident(session, resident, prefix)
        subject = await privacy_repo.subject_of(session=session, resident=person)
        open_requests = await privacy_repo.open_requests(session=session, subject=subject)
        if open_requests and approved_by is None:
            references = ", ".join(r.reference for r in open_requests)
            raise _Refusal(
                f"resident id:{person.id} has open requests ({references}); erasing them "
                "needs a coordinator's approval: add --approved-by <their Telegram id>"
            )
        if approved_by is not None:
            await _approver(session, approved_by)
        assert person.id is not None
        all_refs = await privacy_repo.find_residents(
            session=session, ref=parse_ref(f"id:{person.id}", prefix)
        )
        return person.id, [r.reference for r in open_requests], list(all_refs[0].references)

    try:
        resident_id, open_refs, references = cli.run_in_session(settings, look)
    except _Refusal as exc:
        cli.fail(str(exc), code=1)
    summary = f"resident id:{resident_id}, requests: {', '.join(references) or 'none'}"
    if not yes:
        if not _interactive():
            cli.fail(f"erase {summary}: confirm with --yes (no terminal to ask on)", code=1)
        if not typer.confirm(f"Erase {summary}? This cannot be undone", default=False):
            cli.fail("nothing erased", code=1)

    async def work(db: Database) -> bool:
        async with db.session() as session:
            person = await session.get(Resident, resident_id)
            if person is None or person.anonymised_at is not None:
                raise _Refusal(f"resident id:{resident_id} was erased meanwhile")
            approver = await _approver(session, approved_by) if approved_by else None
            subject = await privacy_repo.subject_of(session=session, resident=person)
            still_open = await privacy_repo.open_requests(session=session, subject=subject)
            if still_open and approver is None:
                raise _Refusal(
                    f"resident id:{resident_id} has open requests now; add --approved-by"
                )
            await privacy_repo.erase(session=session, subject=subject, now=_now())
            await cli.audit(
                session,
                AuditAction.privacy_erase,
                f"by=cli requests={len(subject.request_ids)} open={len(still_open)}",
                resident_id=resident_id,
                approver_id=approver,
            )
        return await db.wipe_wal()

    try:
        wiped = cli.run_with_db(settings, work)
    except _Refusal as exc:
        cli.fail(str(exc), code=1)
    stopped = f"; stopped: {', '.join(open_refs)}" if open_refs else ""
    typer.echo(f"Erased {summary}{stopped}. Anonymous tallies stay.")
    if not wiped:
        typer.echo(
            "helpline: the database was busy: the erased values stay in its WAL file until "
            "the bot's next checkpoint; run the command again with the bot stopped to be sure",
            err=True,
        )


@privacy_app.command("requests")
def requests_command() -> None:
    """Lists erasure requests from Telegram that wait for a coordinator's approval."""
    settings = cli.settings_or_exit()

    async def work(session: AsyncSession) -> list[tuple[int, int, datetime, list[str]]]:
        return [
            (row.id or 0, row.resident_id, row.requested_at, references)
            for row, references in await privacy_repo.pending_erasures(session=session)
        ]

    waiting = cli.run_in_session(settings, work)
    if not waiting:
        typer.echo("No erasure requests are waiting.")
    for erasure_id, resident_id, requested_at, references in waiting:
        local = requested_at.astimezone(settings.zone)
        typer.echo(
            f"#{erasure_id}\t{local:%Y-%m-%d %H:%M}\tresident id:{resident_id}\t"
            f"open: {', '.join(references) or 'none'}"
        )


@privacy_app.command("retention")
def retention_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would change; change nothing.")
    ] = False,
) -> None:
    """Runs the daily retention job now (anonymise expired data, prune old rows)."""
    settings = cli.settings_or_exit()

    async def work(db: Database) -> RetentionResult | None:
        return await run_retention(db, settings, now=_now(), force=True, dry_run=dry_run)

    result = cli.run_with_db(settings, work)
    assert result is not None
    verb = "Would change" if dry_run else "Changed"
    cleared = ", ".join(f"{table} {n}" for table, n in sorted(result.cleared.items())) or "nothing"
    typer.echo(
        f"{verb}: {result.residents_anonymised} residents anonymised, "
        f"{result.drafts_deleted} unsent intakes deleted, "
        f"{result.contacts_deleted} contacts past the limit deleted, "
        f"{result.messages_cleared} delivered messages cleared; free text cleared: {cleared}."
    )
