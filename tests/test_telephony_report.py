"""The phone line in the reports: call_result, answer rate, callbacks, calls per hour/weekday."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select
from typer.testing import CliRunner

from flows.business_hours import OpeningHours
from flows.labels import load_labels
from flows.telephony import CallEvent, CallEventKind
from helpline.cases.phone_upkeep import run_phone_upkeep
from helpline.cases.telephony import handle_call_event
from helpline.cli import app as cli_app
from helpline.reporting.build import STANDARD_BREAKDOWNS, build_report, parse_breakdowns
from helpline.reporting.calls import phone_figures
from helpline.reporting.charts import to_png
from helpline.reporting.model import Metric
from helpline.reporting.periods import Period
from helpline.reporting.workbook import to_xlsx
from helpline.reporting.writers import to_json
from storage import repository as repo
from storage.db import Database
from storage.models import Request
from storage.repository.call_report import CallFact
from tests.bot_harness import Harness, running_app

ZONE = ZoneInfo("Europe/Amsterdam")
HOURS = OpeningHours(ZONE, {d: (time(9), time(17)) for d in range(5)}, frozenset())
MAY = Period(date(2026, 5, 1), date(2026, 5, 31))


def event(
    h: Harness, call_id: str, kind: CallEventKind, number: str | None, cause: str | None = None
) -> CallEvent:
    return CallEvent(
        provider="cti",
        call_id=call_id,
        event=kind,
        from_number=number,
        to_number="+31416123456",
        direction="inbound",
        at=h.clock(),
        cause=cause,
    )


async def call(h: Harness, call_id: str, number: str | None, end: str) -> None:
    await handle_call_event(h.services, event(h, call_id, CallEventKind.ringing, number))
    if end:
        ended = event(h, call_id, CallEventKind.ended, number, cause=end)
        await handle_call_event(h.services, ended)


async def a_day_of_calls(h: Harness) -> None:
    """Monday 4 May 2026: answered 11:00, missed and called back 11:10 (30 min later),
    missed withheld 11:20, missed 11:30 (not called back), one left open (unknown)."""
    await call(h, "a", "+31611111111", "normalClearing")
    h.clock.advance(minutes=10)
    await call(h, "b", "+31622222222", "noAnswer")
    h.clock.advance(minutes=10)
    await call(h, "c", None, "cancel")
    h.clock.advance(minutes=10)
    await call(h, "d", "+31633333333", "noAnswer")
    h.clock.advance(minutes=5)
    await call(h, "e", "+31644444444", "")
    async with h.services.db.session() as session:
        [callback, _] = list(await session.scalars(select(Request).order_by(col(Request.id))))
        await repo.log_contact(
            session=session,
            occurred_at=datetime(2026, 5, 4, 9, 40, tzinfo=UTC),  # 11:40, 30 min after b
            channel="phone",
            direction="outbound",
            kind="follow_up",
            event="call",
            request_id=callback.id,
        )
    h.clock.advance(hours=5)
    await run_phone_upkeep(h.services)  # e: closed as unknown


def fact(state: str, missed_at: datetime, back: timedelta | None) -> CallFact:
    return CallFact(missed_at, state, missed_at, True, "x", missed_at + back if back else None)


def test_one_working_day_counts_opening_hours() -> None:
    friday_4pm = datetime(2026, 5, 8, 16, tzinfo=ZONE)
    facts = [
        fact("missed", friday_4pm, timedelta(days=3)),  # Monday 16:00: in time
        fact("missed", friday_4pm, timedelta(days=3, minutes=1)),  # Monday 16:01: late
        fact("missed", friday_4pm, None),
        fact("ended", friday_4pm, None),
    ]
    figures = phone_figures(facts, HOURS)
    assert (figures.answered, figures.missed, figures.called_back) == (1, 1, 2)
    assert figures.answer_rate == 25 and figures.called_back_within_day == 33
    assert figures.median_callback_minutes == 3 * 24 * 60


async def test_call_report_and_figures(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await a_day_of_calls(h)
        config = h.services.config
        labels = load_labels(config.directory)
        dims = parse_breakdowns(["call_result", "hour", "weekday"], Metric.calls)
        report = await build_report(
            db=db, config=config, labels=labels, period=MAY, breakdowns=dims, zone=ZONE,
            metric=Metric.calls,
        )  # fmt: skip
        data = json.loads(to_json(report))
        assert data["total"] == 5 and data["residents"] == 4  # the withheld caller: no number
        by_result = {r["call_result"]: r["count"] for r in data["breakdowns"][0]["rows"]}
        assert by_result == {"answered": 1, "missed": 2, "called_back": 1, "unknown": 1}
        assert [r["label"] for r in data["breakdowns"][0]["rows"]][:2] == [
            "Opgenomen",
            "Gemist (niet teruggebeld)",
        ]
        assert [(r["hour"], r["count"]) for r in data["breakdowns"][1]["rows"]] == [("11", 5)]
        assert data["breakdowns"][2]["rows"][0]["label"] == "maandag"
        assert to_png(report, labels).startswith(b"\x89PNG")  # --format png works too
        calls_sheet = load_workbook(io.BytesIO(to_xlsx(report, labels))).worksheets[0]
        summary = {row[0]: row[1] for row in calls_sheet.iter_rows(values_only=True) if row}
        assert summary["Aantal gesprekken"] == 5 and summary["Unieke bellers"] == 4
        assert data["phone"] == {
            "calls": 5, "answered": 1, "missed": 2, "called_back": 1, "unknown": 1,
            "answer_rate": 25, "called_back_within_day": 50, "median_callback_minutes": 30,
        }  # fmt: skip
        # /rapport's workbook: the contacts, with the phone line's figures on the summary.
        contacts = await build_report(
            db=db, config=config, labels=labels, period=MAY, breakdowns=STANDARD_BREAKDOWNS,
            zone=ZONE,
        )  # fmt: skip
        sheet = load_workbook(io.BytesIO(to_xlsx(contacts, labels))).worksheets[0]
        summary = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row}
        assert summary["Opgenomen van alle gesprekken"] == "25%"
        assert summary["Gemist en teruggebeld"] == 1
        assert summary["Mediaan tijd tot terugbellen (minuten)"] == 30
        hidden = load_workbook(io.BytesIO(to_xlsx(contacts, labels, min_cell=10))).worksheets[0]
        summary = {row[0]: row[1] for row in hidden.iter_rows(values_only=True) if row}
        assert summary["Opgenomen van alle gesprekken"] is None  # too few calls to publish


async def test_export_metric_calls_through_the_command(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(db, tmp_path) as h:
        await a_day_of_calls(h)
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    args = ["export", "--from", "2026-05-01", "--to", "2026-05-31", "--metric", "calls"]
    result = await asyncio.to_thread(
        CliRunner().invoke, cli_app, [*args, "--by", "call_result", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "call_result,call_result_label,label,count" in result.stdout
    assert "called_back,Gemist en teruggebeld" in result.stdout
    wrong = await asyncio.to_thread(CliRunner().invoke, cli_app, [*args, "--by", "village"])
    assert wrong.exit_code == 2 and "call_result" in wrong.output
