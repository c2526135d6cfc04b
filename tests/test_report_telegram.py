"""/rapport in Telegram: coordinators get a workbook and a chart; nobody else gets data."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, Role
from tests.bot_harness import Harness, running_app

COORDINATOR = FakeUser(501, "Carla")
VOLUNTEER = FakeUser(502, "Vera")
STRANGER = FakeUser(503, "Sam")
NOT_ALLOWED = "Dit commando is alleen voor coördinatoren."


@pytest.fixture
async def harness(db: Database, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_app(db, tmp_path) as h:
        async with db.session() as session:
            for stamp, category in [
                ("2026-01-05T10:00", "geldzaken"),
                ("2026-02-05T10:00", "geldzaken"),
                ("2026-03-31T21:30", "vervoer"),  # 23:30 on 31 March in Amsterdam: Q1
                ("2026-03-31T22:30", "vervoer"),  # 00:30 on 1 April: Q2
            ]:
                session.add(
                    Contact(
                        occurred_at=datetime.fromisoformat(stamp).replace(tzinfo=UTC),
                        channel="telegram",
                        direction="inbound",
                        kind="hulpvraag",
                        event="intake",
                        category=category,
                    )
                )
        yield h


def documents(h: Harness, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in h.telegram.sent(chat_id) if "document" in m]


async def test_rapport_is_registered_in_the_application(harness: Harness) -> None:
    from telegram.ext import CommandHandler

    from helpline.handlers.report import report_command

    assert any(
        isinstance(handler, CommandHandler)
        and "rapport" in handler.commands
        and handler.callback is report_command
        for handler in harness.app.handlers[0]
    )


async def test_coordinator_gets_workbook_and_chart(harness: Harness) -> None:
    chat = await harness.add_staff(COORDINATOR, "coordinatie", role=Role.coordinator)
    await chat.say("/rapport 2026-Q1")
    sent = documents(harness, COORDINATOR.id)
    names = [m["document"]["file_name"] for m in sent]
    assert names == ["rapport-2026-Q1.xlsx", "rapport-2026-Q1.png"]
    assert sent[0]["caption"] == "Rapport 1e kwartaal 2026: 3 contacten, 0 unieke inwoners."
    workbook = load_workbook(io.BytesIO(sent[0]["content"]))
    summary = {row[0]: row[1] for row in workbook["Samenvatting"].iter_rows(values_only=True)}
    assert summary["Aantal contacten"] == 3
    topics = workbook["Onderwerp"]
    assert [row[:2] for row in topics.iter_rows(min_row=2, values_only=True)] == [
        ("Geldzaken", 2),
        ("Vervoer", 1),
    ]
    assert sent[1]["content"].startswith(b"\x89PNG")


async def test_default_period_is_this_year_so_far(harness: Harness) -> None:
    chat = await harness.add_staff(COORDINATOR, role=Role.admin)
    await chat.say("/rapport")
    sent = documents(harness, COORDINATOR.id)
    assert sent[0]["document"]["file_name"] == "rapport-2026-01-01_2026-05-04.xlsx"
    assert "4 contacten" in sent[0]["caption"]


@pytest.mark.parametrize("role", [Role.volunteer, Role.staff])
async def test_refused_for_non_coordinators(harness: Harness, role: Role) -> None:
    chat = await harness.add_staff(VOLUNTEER, "vrijwilligers", role=role)
    await chat.say("/rapport 2026")
    assert documents(harness, VOLUNTEER.id) == []
    assert chat.last_text() == NOT_ALLOWED


async def test_refused_for_strangers(harness: Harness) -> None:
    chat = harness.chat(STRANGER)
    await chat.say("/rapport")
    assert documents(harness, STRANGER.id) == []
    assert chat.last_text() == NOT_ALLOWED


async def test_bad_period_explains_the_formats(harness: Harness) -> None:
    chat = await harness.add_staff(COORDINATOR, role=Role.coordinator)
    await chat.say("/rapport vorige maand")
    assert documents(harness, COORDINATOR.id) == []
    assert "/rapport 2026-Q1" in chat.last_text() and "/rapport 2026-03" in chat.last_text()


async def test_not_in_a_group(harness: Harness) -> None:
    chat = await harness.add_staff(COORDINATOR, "coordinatie", role=Role.coordinator)
    group = harness.group("coordinatie")
    await chat.feed(harness.telegram.text(COORDINATOR, "/rapport", chat_id=group,
                                          chat_type="supergroup", queue=False))  # fmt: skip
    assert documents(harness, group) == []
    assert "privégesprek" in str(harness.telegram.last_sent(group).get("text"))
