"""`helpline staff edit`: name, role and queues changed in place, audited, validated like
`staff add`, and noticed by a running bot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import AuditEntry, Request, Role
from tests.bot_harness import complete_intake, running_app

SANNE = FakeUser(id=7701, first_name="Sanne")
MIA = FakeUser(id=7702, first_name="Mia")


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


async def cli(*args: str) -> Result:
    from helpline.cli import app

    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


async def add_sanne(db: Database, *queues: str, role: Role = Role.volunteer) -> None:
    async with db.session() as session:
        await repo.add_staff(
            session=session,
            telegram_user_id=SANNE.id,
            name="Sanne",
            role=role,
            queues=list(queues),
        )


async def sanne(db: Database) -> tuple[str, Role, list[str]]:
    async with db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=SANNE.id)
        assert staff is not None and staff.id is not None
        return (
            staff.name,
            Role(staff.role),
            await repo.staff_queues(session=session, staff_id=staff.id),
        )


async def audit_rows(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        return list(await session.scalars(select(AuditEntry)))


async def test_edit_changes_name_role_and_queues_in_place(cli_env: Path, db: Database) -> None:
    await add_sanne(db, "belmaatjes")
    result = await cli(
        "staff", "edit", "--telegram-id", str(SANNE.id), "--name", "Sanne de Vries",
        "--role", "staff", "--queue", "wijkteam_drunen", "--queue", "vrijwilligers",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Changed {SANNE.id}: Sanne de Vries (staff), queues: vrijwilligers, wijkteam_drunen."
    )
    assert await sanne(db) == ("Sanne de Vries", Role.staff, ["vrijwilligers", "wijkteam_drunen"])
    [entry] = await audit_rows(db)
    assert entry.action == "role_change" and entry.actor_staff_id is None
    assert entry.detail is not None and "role=staff queues=vrijwilligers,wijkteam_drunen" in (
        entry.detail
    )
    assert "Sanne" not in entry.detail, "the audit holds ids, not names"


async def test_add_and_remove_queue_change_the_current_queues(cli_env: Path, db: Database) -> None:
    await add_sanne(db, "belmaatjes", "aanbod")
    result = await cli(
        "staff", "edit", "--telegram-id", str(SANNE.id),
        "--add-queue", "wijkteam_heusden", "--remove-queue", "aanbod",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert await sanne(db) == ("Sanne", Role.volunteer, ["belmaatjes", "wijkteam_heusden"])
    # Only the role: the queues stay.
    result = await cli("staff", "edit", "--telegram-id", str(SANNE.id), "--role", "coordinator")
    assert result.exit_code == 0, result.output
    assert await sanne(db) == ("Sanne", Role.coordinator, ["belmaatjes", "wijkteam_heusden"])
    assert [e.action for e in await audit_rows(db)] == ["role_change", "role_change"]


async def test_an_edit_that_changes_nothing_is_not_audited(cli_env: Path, db: Database) -> None:
    await add_sanne(db, "belmaatjes")
    result = await cli("staff", "edit", "--telegram-id", str(SANNE.id), "--add-queue", "belmaatjes")
    assert result.exit_code == 0 and "Nothing changed" in result.output
    assert await audit_rows(db) == []


BAD_EDITS = [
    (["--name", "Eve\nadmin"], 2, "--name must be one line, without tabs or other control"),
    (["--name", "Eve\u202eadmin"], 2, "--name must be one line, without tabs or other control"),
    (["--name", "   "], 2, "--name must be 1 to 120 characters"),
    (["--name", "x" * 121], 2, "--name must be 1 to 120 characters"),
    (["--queue", "nergens"], 2, "unknown queue 'nergens'; known queues:"),
    (["--add-queue", "nergens"], 2, "unknown queue 'nergens'; known queues:"),
    (["--queue", "aanbod", "--add-queue", "belmaatjes"], 2, "not both"),
    (["--add-queue", "aanbod", "--remove-queue", "aanbod"], 2, "both added and removed"),
    ([], 2, "nothing to change: give --name, --role, --queue"),
]


@pytest.mark.parametrize(("extra", "code", "expected"), BAD_EDITS)
async def test_bad_edits_are_one_line_and_change_nothing(
    cli_env: Path, db: Database, extra: list[str], code: int, expected: str
) -> None:
    await add_sanne(db, "belmaatjes")
    result = await cli("staff", "edit", "--telegram-id", str(SANNE.id), *extra)
    assert result.exit_code == code, result.output
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert await sanne(db) == ("Sanne", Role.volunteer, ["belmaatjes"])
    assert await audit_rows(db) == []


@pytest.mark.parametrize(
    ("telegram_id", "code", "expected"),
    [
        ("4242", 1, "no active staff member with Telegram id 4242"),
        ("0", 2, "--telegram-id must be a Telegram user id (a positive number)"),
        (str(2**60), 2, "--telegram-id must be a Telegram user id (a positive number)"),
    ],
)
async def test_edit_of_someone_not_registered_is_one_line(
    cli_env: Path, db: Database, telegram_id: str, code: int, expected: str
) -> None:
    result = await cli("staff", "edit", "--telegram-id", telegram_id, "--role", "admin")
    assert result.exit_code == code, result.output
    assert result.output.strip() == f"helpline: {expected}"


async def test_a_removed_member_cannot_be_edited_back(cli_env: Path, db: Database) -> None:
    await add_sanne(db, "belmaatjes")
    assert (await cli("staff", "remove", "--telegram-id", str(SANNE.id))).exit_code == 0
    result = await cli("staff", "edit", "--telegram-id", str(SANNE.id), "--role", "admin")
    assert result.exit_code == 1 and "no active staff member" in result.output


async def test_the_running_bot_acts_on_an_edit_at_once(
    cli_env: Path, db: Database, tmp_path: Path
) -> None:
    """Handlers read the staff row for every action: no restart, no waiting."""
    async with running_app(db, tmp_path) as h:
        volunteer = await h.add_staff(SANNE, "belmaatjes", role=Role.volunteer)
        await volunteer.say("/staf")
        assert "alleen voor coördinatoren" in volunteer.last_text()
        result = await cli(
            "staff", "edit", "--telegram-id", str(SANNE.id),
            "--role", "coordinator", "--add-queue", "vrijwilligers",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        await volunteer.say("/staf")
        assert f"{SANNE.id} · Sanne · coordinator · belmaatjes, vrijwilligers" in (
            volunteer.last_text()
        )
        # The new queue's cards can be claimed now.
        await complete_intake(h.chat(MIA), "Ik heb hulp nodig met boodschappen doen")
        group = h.group("vrijwilligers")
        await volunteer.press("Oppakken", chat_id=group)
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
            staff = await repo.get_staff(session=session, telegram_user_id=SANNE.id)
        assert request.queue == "vrijwilligers" and staff is not None
        assert request.claimed_by == staff.id
