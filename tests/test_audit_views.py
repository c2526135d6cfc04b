"""Every view of a resident's details, export, role change and reading of the audit log
leaves an audit row (ids only); refusals leave none."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from helpline.cli import app as cli_app
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import AuditEntry, Resident, Role
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
CARLA = FakeUser(id=5002, first_name="Carla")
EVE = FakeUser(id=6001, first_name="Eve")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
PHONE_DIGITS = "12345678"


async def rows(db: Database) -> list[AuditEntry]:
    async with db.session() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))  # type: ignore[arg-type]


async def actions(db: Database) -> list[tuple[str, int | None, str | None]]:
    return [(r.action, r.actor_staff_id, r.detail) for r in await rows(db)]


def assert_no_resident_data(entries: list[AuditEntry]) -> None:
    for entry in entries:
        assert "Mia" not in (entry.detail or "") and PHONE_DIGITS not in (entry.detail or "")
        assert "belasting" not in (entry.detail or "")


async def test_claim_records_who_saw_the_details(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        [entry] = await rows(db)
        assert (entry.action, entry.actor_staff_id, entry.request_id, entry.resident_id) == (
            "view_details",
            1,
            1,
            1,
        )
        assert entry.detail == "via=claim" and entry.occurred_at == h.clock.now


async def test_claim_refused_for_non_staff_and_other_queue_leaves_no_audit_row(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        await h.add_staff(SANNE, "belmaatjes")
        for user in (EVE, SANNE):
            await h.chat(user).press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        assert await rows(db) == []


async def test_volunteer_phone_button_is_audited(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), "Kan iemand boodschappen voor mij doen?")
        vera = await h.add_staff(SANNE, "vrijwilligers", role=Role.volunteer)
        await vera.press("Oppakken", chat_id=h.group("vrijwilligers"))
        await vera.press("Nummer tonen")
        assert await actions(db) == [
            ("view_details", 1, "via=claim phone=no"),
            ("view_phone", 1, "via=button"),
        ]
        assert_no_resident_data(await rows(db))


async def test_mine_lists_are_audited_per_request(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.say("/mijn")
        assert [(a, d) for a, _, d in await actions(db)] == [
            ("view_details", "via=claim"),
            ("view_details", "via=mine"),
        ]


async def test_choosing_whom_to_write_to_is_audited(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), QUESTION)
        sanne = await h.add_staff(SANNE, "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await sanne.press("Schrijven")
        assert "Mia" in sanne.last_text()
        assert [(a, d) for a, _, d in await actions(db)][-1] == ("view_details", "via=write")


async def test_relay_to_a_phone_only_resident_audits_the_number_shown(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(CARLA, "wijkteam_drunen", role=Role.coordinator)
        # Registered by phone: no Telegram chat, so relaying shows the number instead.
        async with db.session() as session:
            resident = Resident(first_name="Jan", phone="+31612345678")
            session.add(resident)
            await session.flush()
            request = await repo.create_request(
                session=session,
                prefix="HH",
                resident_id=resident.id,
                category="geldzaken",
                queue="wijkteam_drunen",
                created_at=h.clock.now,
            )
            assert request.id is not None
            await repo.claim_request(
                session=session, request_id=request.id, staff_id=1, now=h.clock.now
            )
            await repo.set_active_request(session=session, staff_id=1, request_id=request.id)
        await carla.say("Goedemiddag")
        assert PHONE_DIGITS in carla.last_text()
        assert [(r.action, r.request_id, r.resident_id, r.detail) for r in await rows(db)] == [
            ("view_phone", request.id, resident.id, "via=relay")
        ]


async def test_staf_changes_are_audited_and_refusals_are_not(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(CARLA, role=Role.coordinator)
        sanne = await h.add_staff(SANNE, "belmaatjes")
        await sanne.say("/staf add 77 admin belmaatjes Eve")
        await h.chat(EVE).say("/staf remove 5001")
        assert await rows(db) == []
        await carla.say("/staf add 77 volunteer belmaatjes Anna")
        await carla.say("/staf queues 77 belmaatjes,vrijwilligers")
        await carla.say("/staf remove 77")
        await carla.say("/staf remove 99")  # nobody: nothing changed, nothing audited
        assert await actions(db) == [
            ("role_add", 1, "staff=3 role=volunteer queues=belmaatjes"),
            ("role_change", 1, "staff=3 role=volunteer queues=belmaatjes,vrijwilligers"),
            ("role_remove", 1, "staff=3 role=volunteer queues=-"),
        ]


async def test_rapport_is_audited_as_an_export(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(CARLA, role=Role.coordinator)
        await carla.say("/rapport 2026-Q1")
        assert await actions(db) == [
            ("export", 1, "via=rapport from=2026-01-01 to=2026-03-31 total=0")
        ]


# --- /audit in Telegram -------------------------------------------------------------


async def claimed(h: Harness) -> None:
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))


async def test_coordinator_sees_the_audit_and_that_is_audited(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await claimed(h)
        carla = await h.add_staff(CARLA, role=Role.coordinator)
        await carla.say("/audit")
        text = carla.last_text()
        assert "1 regels" in text and "Sanne (#1)" in text and "view_details" in text
        assert "HH-2026-00001" in text and "Mia" not in text
        # 4 May 2026, 09:00 UTC is 11:00 in Amsterdam.
        assert "2026-05-04 11:00:00" in text
        assert (await actions(db))[-1] == (
            "audit_view",
            2,
            "via=telegram from=2026-04-28 to=2026-05-04 rows=1",
        )
        await carla.say("/audit 2026-05-04")
        assert "2 regels" in carla.last_text()  # now with the first audit_view
        await carla.say("/audit 2026-04")
        assert "niets vastgelegd" in carla.last_text()


@pytest.mark.parametrize(
    ("role", "queues"),
    [(None, ()), (Role.volunteer, ("belmaatjes",)), (Role.staff, ("wijkteam_drunen",))],
)
async def test_audit_is_refused_to_everyone_but_coordinators(
    db: Database, tmp_path: Path, role: Role | None, queues: tuple[str, ...]
) -> None:
    async with running_app(db, tmp_path) as h:
        await claimed(h)
        before = await rows(db)
        eve = await h.add_staff(EVE, *queues, role=role) if role else h.chat(EVE)
        await eve.say("/audit")
        await eve.say("/audit 2026")
        assert "alleen voor" in eve.last_text()
        assert "view_details" not in " ".join(m.get("text", "") for m in h.telegram.sent(EVE.id))
        assert len(await rows(db)) == len(before)


async def test_audit_in_a_group_and_bad_periods_get_a_clear_answer(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(CARLA, role=Role.admin)
        group = h.group("coordinatie")
        await carla.feed(h.telegram.text(CARLA, "/audit", chat_id=group, chat_type="supergroup"))
        assert "privéchat" in h.telegram.last_sent(group)["text"]
        for bad in ("/audit gisteren", "/audit 2026-13", "/audit 2026-02-30", "/audit 1999"):
            await carla.say(bad)
            assert "Dat begrijp ik niet" in carla.last_text()
        assert await rows(db) == []


async def test_long_audit_comes_with_a_csv_file(db: Database, tmp_path: Path) -> None:
    from storage.repository.audit import record_audit

    async with running_app(db, tmp_path) as h:
        carla = await h.add_staff(CARLA, role=Role.coordinator)
        async with db.session() as session:
            for n in range(45):
                await record_audit(
                    session=session,
                    actor_staff_id=1,
                    action="view_details",
                    request_id=n,
                    detail=f"n={n}",
                    now=h.clock.now,
                )
        await carla.say("/audit")
        assert "45 regels (de laatste 30" in h.telegram.sent(CARLA.id)[-2]["text"]
        document = h.telegram.last_sent(CARLA.id)
        table = list(csv.DictReader(io.StringIO(document["content"].decode())))
        assert len(table) == 45 and table[0]["detail"] == "n=0"


# --- the command line ---------------------------------------------------------------


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))


async def invoke(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args))


async def test_cli_staff_add_remove_and_export_are_audited(db: Database, env: None) -> None:
    add = ["staff", "add", "--telegram-id", "77", "--name", "Anna", "--role", "volunteer"]
    assert (await invoke(*add, "--queue", "belmaatjes")).exit_code == 0
    assert (await invoke("staff", "remove", "--telegram-id", "77")).exit_code == 0
    assert (await invoke("staff", "remove", "--telegram-id", "77")).exit_code == 1
    result = await invoke("export", "--from", "2026-01-01", "--to", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert await actions(db) == [
        ("role_add", None, "staff=1 role=volunteer queues=belmaatjes"),
        ("role_remove", None, "staff=1 role=volunteer queues=-"),
        (
            "export",
            None,
            "via=cli format=json from=2026-01-01 to=2026-03-31 metric=contacts total=0",
        ),
    ]


async def test_cli_audit_lists_a_period_in_every_format(db: Database, env: None) -> None:
    from datetime import UTC, datetime

    from storage.repository.audit import record_audit

    async with db.session() as session:
        for stamp in ("2026-03-31T21:30", "2026-03-31T22:30"):  # 23:30 and 00:30 in Amsterdam
            await record_audit(
                session=session,
                actor_staff_id=None,
                action="export",
                detail=f"at={stamp}",
                now=datetime.fromisoformat(stamp).replace(tzinfo=UTC),
            )
    result = await invoke("audit", "--from", "2026-03-31", "--to", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert result.output == "2026-03-31 23:30:00 · cli · export · at=2026-03-31T21:30\n"
    result = await invoke("audit", "--from", "2026-04-01", "--to", "2026-04-01", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["time"] for r in table] == ["2026-04-01 00:30:00"]
    result = await invoke("audit", "--from", "2026-03-01", "--to", "2026-04-30", "--format", "json")
    listed = json.loads(result.output)
    # Both exports, and the two earlier audit_view rows are outside March-April 2026.
    assert [r["action"] for r in listed] == ["export", "export"]
    viewed = [d for a, _, d in await actions(db) if a == "audit_view"]
    assert viewed == [
        "via=cli from=2026-03-31 to=2026-03-31 rows=1",
        "via=cli from=2026-04-01 to=2026-04-01 rows=1",
        "via=cli from=2026-03-01 to=2026-04-30 rows=2",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--from", "31-03-2026"], "is not a date like 2026-03-31"),
        (["--to", "2026-02-30"], "is not a date like 2026-03-31"),
        (["--from", "2026-05-02", "--to", "2026-05-01"], "starts (2026-05-02) after it ends"),
        (["--format", "xml"], "xml"),
    ],
)
async def test_cli_audit_bad_input_is_one_line(
    db: Database, env: None, args: list[str], expected: str
) -> None:
    result = await invoke("audit", *args)
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output
    assert await rows(db) == []


async def test_phone_button_on_a_call_reminder_is_audited(db: Database, tmp_path: Path) -> None:
    from tests.calls_helpers import ANNA, advance_to, claimed_case, local

    async with running_app(db, tmp_path) as h:
        sanne, request_id = await claimed_case(h)
        anna = await h.add_staff(ANNA, "belmaatjes", role=Role.volunteer)
        await sanne.press("Bellen plannen")
        await sanne.press("Morgenochtend")
        await sanne.press("Wie belt")
        await sanne.press("Anna")
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 5, 10, 0))
        await anna.press("Nummer tonen")
        assert PHONE_DIGITS in h.telegram.callback_answers()[-1]["text"]
        [entry] = [r for r in await rows(db) if r.action == "view_phone"]
        assert (entry.actor_staff_id, entry.request_id, entry.resident_id) == (2, request_id, 1)
        assert entry.detail is not None and entry.detail.startswith("via=call call=")
