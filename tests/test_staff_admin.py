"""/staf: coordinators manage staff from Telegram; everyone else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.staff_admin import StaffCommandError, parse_staff_command
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Role
from tests.bot_harness import running_app

QUEUES = {"belmaatjes", "vrijwilligers"}


@pytest.mark.parametrize(
    "args",
    [
        ["bogus"],
        ["add"],
        ["add", "x12"],
        ["add", "12", "boss", "belmaatjes", "A"],
        ["add", "12", "staff", "nope", "A"],
        ["add", "12", "staff", "belmaatjes"],
        ["queues", "12"],
    ],
)
def test_malformed_staff_commands_explain_usage(args: list[str]) -> None:
    with pytest.raises(StaffCommandError):
        parse_staff_command(args, QUEUES)


def test_parse_add() -> None:
    command = parse_staff_command(
        ["add", "12", "Volunteer", "belmaatjes", "Anna", "de", "Vries"], QUEUES
    )
    assert (command.telegram_id, command.role, command.queues, command.name) == (
        12,
        "volunteer",
        ("belmaatjes",),
        "Anna de Vries",
    )


async def test_coordinator_adds_and_removes_staff(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        coordinator = await h.add_staff(FakeUser(id=9, first_name="Cor"), role=Role.coordinator)
        await coordinator.say("/staf add 77 volunteer belmaatjes Anna")
        assert "✓ Anna" in coordinator.last_text()
        await coordinator.say("/staf queues 77 belmaatjes,vrijwilligers")
        await coordinator.say("/staf")
        assert "77 · Anna · volunteer · belmaatjes, vrijwilligers" in coordinator.last_text()
        await coordinator.say("/staf add 78 admin - Max")
        assert "niet doen" in coordinator.last_text()
        await coordinator.say("/staf remove 77")
        async with db.session() as session:
            assert await repo.get_staff(session=session, telegram_user_id=77) is None


async def test_staff_and_volunteers_cannot_manage_staff(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        staff = await h.add_staff(FakeUser(id=10, first_name="Sam"), "belmaatjes")
        await staff.say("/staf add 77 admin belmaatjes Eve")
        assert "alleen voor coördinatoren" in staff.last_text()
        async with db.session() as session:
            assert await repo.get_staff(session=session, telegram_user_id=77) is None
