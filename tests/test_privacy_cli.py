"""``helpline privacy export|erase``: REF forms, one-line refusals, approval for open requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner, Result

from helpline.commands import privacy as privacy_cmd
from storage.db import Database
from storage.models import (
    AuditEntry,
    CallReminder,
    Contact,
    Outbox,
    Request,
    Resident,
    Role,
    ScheduledCall,
    Staff,
)

Invoke = Callable[..., Awaitable[Result]]
NOW = datetime.now(UTC)


async def seed(db: Database) -> None:
    """Anna (closed case), two residents sharing a phone, and Bram with an open case."""
    async with db.session() as session:
        coordinator = Staff(telegram_user_id=5001, name="Carla", role=Role.coordinator)
        worker = Staff(telegram_user_id=5002, name="Sanne", role=Role.staff)
        session.add_all([coordinator, worker])
        people = [
            Resident(first_name="Anna", phone="+31612345678", external_ref="KLANT-1"),
            Resident(first_name="Kees", phone="+31687654321"),
            Resident(first_name="Els", phone="+31687654321"),
            Resident(first_name="Bram", phone="+31611112222", telegram_user_id=77, chat_id=77),
        ]
        session.add_all(people)
        await session.flush()
        statuses = ["resolved", "resolved", "resolved", "claimed"]
        for n, (person, status) in enumerate(zip(people, statuses, strict=True), 1):
            request = Request(
                reference=f"HH-2026-{n:05d}", resident_id=person.id, category="vervoer",
                village="vlijmen", queue="vrijwilligers", summary=f"vraag van {person.first_name}",
                status=status, created_at=NOW - timedelta(days=3),
            )  # fmt: skip
            session.add(request)
            await session.flush()
            session.add(
                Contact(occurred_at=NOW - timedelta(days=3), channel="phone", direction="inbound",
                        kind="hulpvraag", event="intake", category="vervoer", village="vlijmen",
                        resident_id=person.id, request_id=request.id)
            )  # fmt: skip
        await session.flush()
        bram_request = (
            await session.scalars(select(Request).filter_by(resident_id=people[3].id))
        ).one()
        call = ScheduledCall(request_id=bram_request.id, assignee_id=worker.id,
                             due_at=NOW + timedelta(days=1), status="scheduled")  # fmt: skip
        session.add(call)
        await session.flush()
        session.add(
            CallReminder(call_id=call.id, kind="resident", due_at=NOW + timedelta(hours=20))
        )
        session.add(Outbox(chat_id=77, text="Morgen bellen we u", purpose="resident",
                           request_id=bram_request.id))  # fmt: skip


@pytest.fixture
async def cli(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    await seed(db)
    app = typer.Typer()
    app.add_typer(privacy_cmd.privacy_app, name="privacy")

    async def invoke(*args: str, input: str | None = None) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args), input=input)

    return invoke


async def get(db: Database, model: type[Any], **where: Any) -> list[Any]:
    async with db.session() as session:
        return list(await session.scalars(select(model).filter_by(**where)))


@pytest.mark.parametrize("ref", ["06-12345678", "+31 6 1234 5678", "KLANT-1", "hh-2026-00001"])
async def test_export_finds_the_resident_by_any_ref(cli: Invoke, ref: str) -> None:
    result = await cli("privacy", "export", "--resident", ref)
    assert result.exit_code == 0, result.output
    assert "Anna" in result.stdout and "HH-2026-00001" in result.stdout
    assert "vraag van Anna" in result.stdout and "Vlijmen" in result.stdout
    assert "Kees" not in result.stdout


async def test_export_writes_json_and_audits(cli: Invoke, db: Database, tmp_path: Path) -> None:
    out = tmp_path / "anna.json"
    result = await cli("privacy", "export", "--resident", "KLANT-1", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["tables"]["resident"][0]["phone"] == "+31612345678"
    assert [r["reference"] for r in data["tables"]["request"]] == ["HH-2026-00001"]
    assert len(data["tables"]["contact"]) == 1
    printed = await cli("privacy", "export", "--resident", "KLANT-1", "--json")
    assert json.loads(printed.stdout)["tables"] == data["tables"]
    audits = await get(db, AuditEntry, action="privacy_export")
    assert len(audits) == 2 and all(a.resident_id == data["resident_id"] for a in audits)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("KLANT-999", "no resident found for 'KLANT-999'"),
        ("06-1234", "'06-1234' is not a valid phone number"),
        ("HH-2026-09999", "no resident found"),
        ("", "give a resident"),
        ("x" * 200, "at most 120 characters"),
    ],
)
async def test_bad_refs_get_one_line_and_exit_1(cli: Invoke, ref: str, message: str) -> None:
    for command in (("export",), ("erase", "--yes")):
        result = await cli("privacy", *command, "--resident", ref)
        assert result.exit_code == 1
        assert message in result.output and len(result.output.strip().splitlines()) == 1


async def test_ambiguous_phone_lists_both_and_refuses(cli: Invoke, db: Database) -> None:
    result = await cli("privacy", "erase", "--resident", "0687654321", "--yes")
    assert result.exit_code == 1
    assert "matches 2 residents" in result.output
    assert "HH-2026-00002" in result.output and "HH-2026-00003" in result.output
    assert "Kees" not in result.output  # names stay out of the terminal scrollback
    assert {r.first_name for r in await get(db, Resident, phone="+31687654321")} == {"Kees", "Els"}
    [kees] = await get(db, Resident, first_name="Kees")
    chosen = await cli("privacy", "erase", "--resident", f"id:{kees.id}", "--yes")
    assert chosen.exit_code == 0, chosen.output
    [els] = await get(db, Resident, phone="+31687654321")
    assert els.first_name == "Els"


async def test_erase_asks_and_yes_confirms(
    cli: Invoke, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_terminal = await cli("privacy", "erase", "--resident", "KLANT-1")
    assert no_terminal.exit_code == 1 and "--yes" in no_terminal.output
    monkeypatch.setattr(privacy_cmd, "_interactive", lambda: True)
    declined = await cli("privacy", "erase", "--resident", "KLANT-1", input="n\n")
    assert declined.exit_code == 1 and "nothing erased" in declined.output
    assert (await get(db, Resident, external_ref="KLANT-1"))[0].first_name == "Anna"
    confirmed = await cli("privacy", "erase", "--resident", "KLANT-1", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "Erased resident" in confirmed.output
    assert await get(db, Resident, external_ref="KLANT-1") == []
    [request] = await get(db, Request, reference="HH-2026-00001")
    assert request.summary is None and request.category == "vervoer"
    [anna] = await get(db, Resident, id=request.resident_id)
    assert (anna.first_name, anna.phone, anna.anonymised_at is not None) == (None, None, True)
    assert len(await get(db, Contact, resident_id=anna.id)) == 1  # the tally stays
    again = await cli("privacy", "erase", "--resident", "HH-2026-00001", "--yes")
    assert again.exit_code == 1 and "no resident found" in again.output


async def test_open_requests_need_a_coordinator(cli: Invoke, db: Database) -> None:
    refused = await cli("privacy", "erase", "--resident", "0611112222", "--yes")
    assert refused.exit_code == 1
    assert "open requests (HH-2026-00004)" in refused.output and "--approved-by" in refused.output
    not_coordinator = await cli(
        "privacy", "erase", "--resident", "0611112222", "--yes", "--approved-by", "5002"
    )
    assert not_coordinator.exit_code == 1 and "not coordinator" in not_coordinator.output
    stranger = await cli(
        "privacy", "erase", "--resident", "0611112222", "--yes", "--approved-by", "42"
    )
    assert stranger.exit_code == 1 and "no active staff member" in stranger.output
    assert (await get(db, Resident, phone="+31611112222"))[0].first_name == "Bram"
    approved = await cli(
        "privacy", "erase", "--resident", "0611112222", "--yes", "--approved-by", "5001"
    )
    assert approved.exit_code == 0, approved.output
    assert "stopped: HH-2026-00004" in approved.output
    [request] = await get(db, Request, reference="HH-2026-00004")
    assert request.status == "cancelled" and request.summary is None
    assert [c.status for c in await get(db, ScheduledCall)] == ["cancelled"]
    assert [r.status for r in await get(db, CallReminder)] == ["cancelled"]
    [message] = await get(db, Outbox)
    assert (message.status, message.text, message.chat_id) == ("failed", "", 0)
    [bram] = await get(db, Resident, id=request.resident_id)
    assert bram.telegram_user_id is None and bram.chat_id is None
    [audit] = await get(db, AuditEntry, action="privacy_erase")
    [carla] = await get(db, Staff, telegram_user_id=5001)
    assert audit.actor_staff_id == carla.id and audit.resident_id == bram.id


async def test_waiting_erasure_requests_are_listed(cli: Invoke, db: Database) -> None:
    from storage.models import ErasureRequest

    assert (await cli("privacy", "requests")).stdout == "No erasure requests are waiting.\n"
    [bram] = await get(db, Resident, first_name="Bram")
    async with db.session() as session:
        session.add(ErasureRequest(resident_id=bram.id, source="telegram", requested_at=NOW))
    listed = await cli("privacy", "requests")
    assert listed.exit_code == 0 and f"resident id:{bram.id}" in listed.stdout
    assert "open: HH-2026-00004" in listed.stdout and "Bram" not in listed.stdout
    done = await cli("privacy", "erase", "--resident", f"id:{bram.id}", "--yes",
                     "--approved-by", "5001")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert (await cli("privacy", "requests")).stdout == "No erasure requests are waiting.\n"
