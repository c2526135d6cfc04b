"""Retention: expired free text and identities go, tallies stay; the daily job runs once a day."""

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

from flows.privacy import RetentionPolicy, cutoffs
from helpline.commands.export import export
from helpline.commands.privacy import privacy_app
from helpline.retention import run_retention
from helpline.settings import Settings
from storage.db import Database
from storage.models import (
    Contact,
    Handover,
    IntakeDraft,
    JobRun,
    Outbox,
    Request,
    RequestNote,
    Resident,
    Satisfaction,
    Staff,
)
from storage.repository.retention import apply_retention

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
Invoke = Callable[..., Awaitable[Result]]


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


async def _resident(session: Any, n: int, **fields: Any) -> Resident:
    resident = Resident(
        telegram_user_id=9000 + n, chat_id=9000 + n, first_name=f"Naam{n}",
        phone=f"+3161234{n:04d}", village="drunen", external_ref=f"R-{n}", **fields,
    )  # fmt: skip
    session.add(resident)
    await session.flush()
    return resident


async def _case(
    session: Any, resident: Resident, n: int, *, status: str, when: datetime, staff: Staff
) -> Request:
    """A request with a note, a grade with a remark, a handover note, messages, contacts."""
    closed = status in ("resolved", "cancelled")
    request = Request(
        reference=f"HH-{when.year}-{n:05d}", resident_id=resident.id, category="geldzaken",
        village="drunen", queue="wijkteam_drunen", summary=f"vraag {n} van Naam{n}",
        status=status, created_at=when, resolved_at=when + timedelta(days=3) if closed else None,
        new_or_known="nieuw", channel="telegram",
    )  # fmt: skip
    session.add(request)
    await session.flush()
    session.add(
        RequestNote(request_id=request.id, author="resident", text="geheim", created_at=when)
    )
    session.add(Satisfaction(request_id=request.id, grade=8, remark="fijn", answered_at=when))
    session.add(Handover(request_id=request.id, from_staff_id=staff.id, to_queue="coordinatie",
                         note="let op", status="accepted", created_at=when))  # fmt: skip
    session.add(Outbox(chat_id=resident.chat_id or 0, text="bericht aan Naam", purpose="resident",
                       request_id=request.id, status="sent", created_at=when))  # fmt: skip
    for days, channel in ((0, "telegram"), (1, "phone")):
        session.add(
            Contact(occurred_at=when + timedelta(days=days), channel=channel, direction="inbound",
                    kind="hulpvraag", event="intake", category="geldzaken", village="drunen",
                    new_or_known="nieuw", resident_id=resident.id, request_id=request.id,
                    staff_id=staff.id)
        )  # fmt: skip
    await session.flush()
    return request


async def seed(db: Database) -> dict[str, int]:
    """Residents in every state retention distinguishes; returns their ids."""
    async with db.session() as session:
        staff = Staff(telegram_user_id=1, name="Sanne")
        session.add(staff)
        await session.flush()
        old = await _resident(session, 1, created_at=ago(days=800))
        await _case(session, old, 1, status="resolved", when=ago(days=790), staff=staff)
        still_open = await _resident(session, 2, created_at=ago(days=800))
        await _case(session, still_open, 2, status="claimed", when=ago(days=790), staff=staff)
        mixed = await _resident(session, 3, created_at=ago(days=800))
        await _case(session, mixed, 3, status="resolved", when=ago(days=700), staff=staff)
        await _case(session, mixed, 4, status="resolved", when=ago(days=30), staff=staff)
        recent = await _resident(session, 5, created_at=ago(days=60))
        await _case(session, recent, 5, status="resolved", when=ago(days=50), staff=staff)
        ancient = await _resident(session, 6, created_at=ago(days=3000))
        await _case(session, ancient, 6, status="resolved", when=ago(days=2900), staff=staff)
        session.add(IntakeDraft(chat_id=7001, user_id=7001, step="question", first_name="Piet",
                                question="half af", created_at=ago(days=20),
                                updated_at=ago(days=20)))  # fmt: skip
        session.add(IntakeDraft(chat_id=7002, user_id=7002, step="question", first_name="Joke",
                                created_at=ago(days=2), updated_at=ago(days=2)))  # fmt: skip
        ids = {"old": old.id, "open": still_open.id, "mixed": mixed.id, "recent": recent.id}
        return {k: v for k, v in ids.items() if v is not None} | {"ancient": ancient.id or 0}


async def retain(db: Database, now: datetime = NOW) -> Any:
    async with db.session() as session:
        return await apply_retention(
            session=session, cutoffs=cutoffs(RetentionPolicy(), now), now=now
        )


async def get(db: Database, model: type[Any], **where: Any) -> list[Any]:
    async with db.session() as session:
        query = select(model).filter_by(**where)
        return list(await session.scalars(query))


@pytest.fixture
async def cli(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    app = typer.Typer()
    app.command("export")(export)
    app.add_typer(privacy_app, name="privacy")

    async def invoke(*args: str) -> Result:
        return await asyncio.to_thread(CliRunner().invoke, app, list(args))

    return invoke


EXPORTS = [
    ("--by", "category", "--by", "village", "--by", "channel", "--by", "new_or_known"),
    ("--by", "month,category", "--by", "staff", "--by", "outcome"),
    ("--metric", "grade", "--by", "category", "--by", "village"),
]


async def exports(cli: Invoke) -> list[Any]:
    found = []
    for args in EXPORTS:
        result = await cli("export", "--from", "2019-06-01", "--to", "2026-12-31", *args)
        assert result.exit_code == 0, result.output
        found.append(json.loads(result.stdout))
    return found


async def test_tallies_are_identical_before_and_after_anonymisation(
    db: Database, cli: Invoke
) -> None:
    await seed(db)
    before = await exports(cli)
    assert before[0]["total"] == 10 and before[0]["residents"] == 4
    old_year = ("export", "--from", "2018-01-01", "--to", "2018-12-31")
    assert json.loads((await cli(*old_year)).stdout)["total"] == 2
    result = await retain(db)
    assert result.residents_anonymised == 2 and result.contacts_deleted == 2  # old, ancient
    assert await exports(cli) == before  # same counts, unique residents, labels, everything
    # By design the one change: contacts past the seven years leave the tallies of 2018.
    assert json.loads((await cli(*old_year)).stdout)["total"] == 0


async def test_expired_data_is_anonymised_and_the_rest_kept(db: Database) -> None:
    ids = await seed(db)
    result = await retain(db)
    [old] = await get(db, Resident, id=ids["old"])
    assert (old.first_name, old.phone, old.telegram_user_id, old.chat_id, old.external_ref) == (
        None, None, None, None, None
    )  # fmt: skip
    assert old.anonymised_at == NOW and old.village == "drunen"
    for key in ("open", "mixed", "recent"):
        [kept] = await get(db, Resident, id=ids[key])
        assert kept.first_name is not None and kept.phone and kept.anonymised_at is None
    summaries = {r.reference: r.summary for r in await get(db, Request)}
    assert summaries["HH-2024-00001"] is None  # closed over a year ago
    assert summaries["HH-2024-00002"] is not None  # still claimed: kept however old
    assert summaries["HH-2024-00003"] is None  # old case of a resident who came back
    assert summaries["HH-2026-00004"] is not None and summaries["HH-2026-00005"] is not None
    notes = {n.request_id for n in await get(db, RequestNote)}
    remarks = {s.request_id: s.remark for s in await get(db, Satisfaction)}
    handovers = {h.request_id: h.note for h in await get(db, Handover)}
    messages = {o.request_id: o.text for o in await get(db, Outbox)}
    by_ref = {r.reference: r.id for r in await get(db, Request)}
    for ref in ("HH-2024-00001", "HH-2024-00003"):
        rid = by_ref[ref]
        assert rid not in notes and remarks[rid] is None and handovers[rid] is None
        assert messages[rid] == ""
    assert remarks[by_ref["HH-2024-00002"]] == "fijn" and by_ref["HH-2024-00002"] in notes
    assert all(s.grade == 8 for s in await get(db, Satisfaction))  # grades stay for tallies
    assert [d.first_name for d in await get(db, IntakeDraft)] == ["Joke"]
    assert result.drafts_deleted == 1
    # Contacts of 2018 are past the seven years; the ancient resident is anonymised too.
    assert min(c.occurred_at for c in await get(db, Contact)) > NOW - timedelta(days=7 * 366)
    [ancient] = await get(db, Resident, id=ids["ancient"])
    assert ancient.anonymised_at == NOW


async def test_retention_twice_changes_nothing_the_second_time(db: Database) -> None:
    await seed(db)
    await retain(db)
    again = await retain(db, NOW + timedelta(hours=1))
    assert (again.residents_anonymised, again.drafts_deleted, again.contacts_deleted) == (0, 0, 0)
    assert sum(again.cleared.values()) == 0 and again.messages_cleared == 0


def settings_for(db: Database, tmp: Path, **overrides: Any) -> Settings:
    return Settings(database_url=db.url, HELPLINE_DATA_DIR=tmp, **overrides)  # type: ignore[call-arg]


async def test_daily_job_runs_once_per_day_and_catches_up(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = settings_for(db, tmp_path)
    # 09:00 UTC = 11:00 in Amsterdam: past the 03:00 run hour, never ran: runs now.
    assert await run_retention(db, settings, now=NOW) is not None
    [row] = await get(db, JobRun)
    assert row.last_run_at == NOW
    # A restart an hour later does not repeat it, nor does the rest of the day.
    assert await run_retention(db, settings, now=NOW + timedelta(hours=1)) is None
    assert await run_retention(db, settings, now=NOW + timedelta(hours=15)) is None
    # The next day at 03:00 local (01:00 UTC, NOW + 16 h) it runs again, once.
    assert await run_retention(db, settings, now=NOW + timedelta(hours=15, minutes=59)) is None
    assert await run_retention(db, settings, now=NOW + timedelta(hours=16)) is not None
    assert await run_retention(db, settings, now=NOW + timedelta(hours=16, minutes=30)) is None
    # Down for three days: the first check after the restart runs it, once.
    later = NOW + timedelta(days=4)
    assert await run_retention(db, settings, now=later) is not None
    assert await run_retention(db, settings, now=later + timedelta(minutes=10)) is None


async def test_retention_limits_come_from_the_settings(db: Database, tmp_path: Path) -> None:
    ids = await seed(db)
    settings = settings_for(db, tmp_path, retention_free_text_months=36)
    result = await run_retention(db, settings, now=NOW, force=True)
    assert result is not None and result.residents_anonymised == 1  # only the ancient one
    [old] = await get(db, Resident, id=ids["old"])
    assert old.first_name == "Naam1"


async def test_retention_command_dry_run_changes_nothing(db: Database, cli: Invoke) -> None:
    await seed(db)
    dry = await cli("privacy", "retention", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("Would change:")
    assert len([r for r in await get(db, Resident) if r.anonymised_at is not None]) == 0
    assert await get(db, JobRun) == []
    done = await cli("privacy", "retention")
    assert done.exit_code == 0 and done.stdout.startswith("Changed:")
    assert len(await get(db, JobRun)) == 1


async def test_the_application_runs_the_retention_check(db: Database, tmp_path: Path) -> None:
    from types import SimpleNamespace

    from helpline.app import build_application
    from helpline.retention import retention_job
    from tests.bot_harness import make_settings

    app = build_application(make_settings(tmp_path, db.url, []), rate_limit=False)
    assert app.job_queue is not None
    # (on PostgreSQL there is also the hot standby's "lock" check)
    assert {"outbox", "retention"} <= {j.name for j in app.job_queue.jobs()}
    await seed(db)
    settings = settings_for(db, tmp_path)
    context = SimpleNamespace(services=SimpleNamespace(db=db, settings=settings, clock=lambda: NOW))
    await retention_job(context)  # type: ignore[arg-type]
    [run] = await get(db, JobRun)
    assert run.last_run_at == NOW
    broken = SimpleNamespace(
        services=SimpleNamespace(db=None, settings=settings, clock=lambda: NOW)
    )
    await retention_job(broken)  # type: ignore[arg-type]  # logged, retried at the next check


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"retention_free_text_months": 0}, "setting RETENTION_FREE_TEXT_MONTHS:"),
        ({"retention_free_text_months": 121}, "setting RETENTION_FREE_TEXT_MONTHS:"),
        ({"retention_contact_years": "zeven"}, "setting RETENTION_CONTACT_YEARS:"),
        ({"retention_free_text_months": 36, "retention_contact_years": 2},
         "setting RETENTION_CONTACT_YEARS: must be at least 3"),
        ({"retention_draft_days": 0}, "setting RETENTION_DRAFT_DAYS:"),
        ({"retention_run_hour": 24}, "setting RETENTION_RUN_HOUR:"),
    ],
)  # fmt: skip
def test_bad_retention_settings_are_one_line_errors(
    overrides: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpline.settings import SettingsError, load_settings

    for name, value in overrides.items():
        monkeypatch.setenv(name.upper(), str(value))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
