"""Export: counts, unique residents, Amsterdam days (DST), labels and every format."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from flows.config import load_config
from flows.labels import load_labels
from helpline.reporting.build import DimensionError, build_report, parse_breakdowns
from helpline.reporting.charts import to_png
from helpline.reporting.model import Report
from helpline.reporting.periods import Period, PeriodError, parse_period
from helpline.reporting.workbook import to_xlsx
from helpline.reporting.writers import SingleBreakdownError, report_dict, to_csv
from storage.db import Database
from storage.models import Contact, Resident, Role, Staff
from storage.repository.localtime import pieces

AMS = ZoneInfo("Europe/Amsterdam")
CONFIG = load_config()
LABELS = load_labels()


def at(stamp: str) -> datetime:
    """An aware UTC time from ``2026-03-31T22:30``."""
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


async def add_contacts(db: Database, *rows: dict[str, Any]) -> None:
    """Stores contacts; ``resident`` names a resident created on first use."""
    async with db.session() as session:
        residents: dict[str, int] = {}
        for row in rows:
            row = dict(row)
            ref = row.pop("resident", None)
            if ref is not None and ref not in residents:
                resident = Resident(external_ref=ref)
                session.add(resident)
                await session.flush()
                assert resident.id is not None
                residents[ref] = resident.id
            fields = {"channel": "telegram", "direction": "inbound", "kind": "hulpvraag"}
            fields |= {"event": "intake", **row, "occurred_at": at(row["occurred_at"])}
            session.add(Contact(resident_id=residents.get(ref) if ref else None, **fields))


async def report(db: Database, start: str, end: str, *by: str, **kwargs: Any) -> Report:
    return await build_report(
        db=db,
        config=CONFIG,
        labels=LABELS,
        period=Period(date.fromisoformat(start), date.fromisoformat(end)),
        breakdowns=parse_breakdowns(list(by) or ["category"]),
        zone=AMS,
        **kwargs,
    )


def rows_of(result: Report, n: int = 0) -> dict[tuple[str | None, ...], tuple[int, int, int]]:
    return {r.keys: (r.count, r.residents, r.percent) for r in result.breakdowns[n].rows}


async def test_unique_residents_are_counted_once(db: Database) -> None:
    await add_contacts(
        db,
        {"occurred_at": "2026-02-01T10:00", "category": "geldzaken", "resident": "A"},
        {"occurred_at": "2026-02-02T10:00", "category": "geldzaken", "resident": "A"},
        {"occurred_at": "2026-02-03T10:00", "category": "praatje", "resident": "A"},
        {"occurred_at": "2026-02-04T10:00", "category": "geldzaken", "resident": "B"},
        {"occurred_at": "2026-02-05T10:00", "category": "geldzaken"},
    )
    result = await report(db, "2026-01-01", "2026-12-31", "category")
    assert (result.total, result.residents) == (5, 2)
    assert rows_of(result) == {("geldzaken",): (4, 2, 80), ("praatje",): (1, 1, 20)}


async def test_period_is_whole_amsterdam_days_across_dst(db: Database) -> None:
    await add_contacts(
        db,
        {"occurred_at": "2026-03-31T21:59"},  # 23:59 on 31 March in Amsterdam (CEST)
        {"occurred_at": "2026-03-31T22:30"},  # 00:30 on 1 April
        {"occurred_at": "2026-04-30T21:59"},  # 23:59 on 30 April: the last minute of --to
        {"occurred_at": "2026-04-30T22:00"},  # 00:00 on 1 May
        {"occurred_at": "2026-10-31T22:30"},  # 23:30 on 31 October (CET again)
        {"occurred_at": "2026-10-31T23:30"},  # 00:30 on 1 November
    )
    april = await report(db, "2026-04-01", "2026-04-30", "month")
    assert april.total == 2 and rows_of(april) == {("2026-04",): (2, 0, 100)}
    year = await report(db, "2026-01-01", "2026-12-31", "month")
    counts = {keys[0]: count for keys, (count, _, _) in rows_of(year).items() if count}
    assert counts == {"2026-03": 1, "2026-04": 2, "2026-05": 1, "2026-10": 1, "2026-11": 1}


async def test_quarter_and_iso_week_keys(db: Database) -> None:
    await add_contacts(
        db,
        {"occurred_at": "2026-03-31T22:30"},  # Wed 1 April 2026: Q2, week 14
        {"occurred_at": "2026-12-31T12:00"},  # Thu 31 December 2026: ISO week 53 of 2026
        {"occurred_at": "2027-01-03T12:00"},  # Sun 3 January 2027: still week 53 of 2026
        {"occurred_at": "2027-01-03T23:30"},  # Mon 4 January 2027 in Amsterdam: week 1
    )
    weeks = await report(db, "2026-01-01", "2027-01-31", "quarter,week")
    assert set(rows_of(weeks)) == {
        ("2026-Q2", "2026-W14"),
        ("2026-Q4", "2026-W53"),
        ("2027-Q1", "2026-W53"),
        ("2027-Q1", "2027-W01"),
    }
    labels = {r.keys: r.label for r in weeks.breakdowns[0].rows}
    assert labels[("2026-Q2", "2026-W14")] == "2e kwartaal 2026 – week 14 van 2026"


def test_pieces_follow_the_local_calendar() -> None:
    start, end = Period(date(2026, 3, 1), date(2026, 4, 30)).bounds(AMS)
    assert [(p.keys["month"], p.start, p.end) for p in pieces(["month"], start, end, AMS)] == [
        ("2026-03", at("2026-02-28T23:00"), at("2026-03-31T22:00")),
        ("2026-04", at("2026-03-31T22:00"), at("2026-04-30T22:00")),
    ]


async def test_percentages_add_up_to_100_in_every_breakdown(db: Database) -> None:
    categories = ["geldzaken", "praatje", "vervoer", None, "klussen", "geldzaken", "overig"]
    villages = ["drunen", "vlijmen", None]
    await add_contacts(
        db,
        *[
            {
                "occurred_at": f"2026-{1 + n % 12:02d}-{1 + n % 27:02d}T{n % 24:02d}:15",
                "category": categories[n % len(categories)],
                "village": villages[n % len(villages)],
                "channel": ("telegram", "phone", "walk_in")[n % 3],
            }
            for n in range(97)
        ],
    )
    result = await report(
        db, "2026-01-01", "2026-12-31", "category", "village", "month,category", "channel,village"
    )
    assert result.total == 97
    for breakdown in result.breakdowns:
        assert sum(r.percent for r in breakdown.rows) == 100, breakdown.dims
        assert sum(r.count for r in breakdown.rows) == 97


async def test_labels_are_dutch_and_unknown_is_onbekend(db: Database) -> None:
    walk_in = {"occurred_at": "2026-05-01T10:00", "channel": "walk_in",
               "location": "wijkwinkel_drunen", "village": "drunen", "queue": "wijkteam_drunen",
               "kind": "signaal", "new_or_known": "bekend", "direction": "outbound",
               "outcome": "doorverwezen"}  # fmt: skip
    await add_contacts(db, walk_in, walk_in, {"occurred_at": "2026-05-02T10:00"})
    dims = ["channel", "location", "village", "queue", "kind", "new_or_known", "direction"]
    result = await report(db, "2026-05-01", "2026-05-31", *dims, "outcome")
    first = [b.rows[0].label for b in result.breakdowns]
    assert first[:3] == ["Inloop", "Wijkwinkel Drunen", "Drunen"]
    assert first[3:7] == ["Wijkteam Drunen", "Signaal (zorg om een ander)", "Bekende inwoner",
                          "Uitgaand"]  # fmt: skip
    assert result.breakdowns[-1].rows[0].label == "Doorverwezen"
    assert result.breakdowns[1].rows[1].label == "Onbekend"
    assert result.breakdowns[0].headers == ("Kanaal",)


async def test_staff_dimension_shows_names(db: Database) -> None:
    async with db.session() as session:
        staff = Staff(telegram_user_id=5, name="Anna", role=Role.staff)
        session.add(staff)
        await session.flush()
        staff_id = staff.id
    await add_contacts(db, {"occurred_at": "2026-05-01T10:00", "staff_id": staff_id})
    result = await report(db, "2026-05-01", "2026-05-31", "staff")
    assert [r.label for r in result.breakdowns[0].rows] == ["Anna"]


async def test_empty_period_has_zero_rows_for_each_month(db: Database) -> None:
    result = await report(db, "2026-01-01", "2026-03-31", "month", "category")
    assert result.total == 0
    assert [(r.keys, r.count, r.percent) for r in result.breakdowns[0].rows] == [
        (("2026-01",), 0, 0), (("2026-02",), 0, 0), (("2026-03",), 0, 0)
    ]  # fmt: skip
    assert result.breakdowns[1].rows == []


async def test_json_xlsx_and_csv_hold_the_same_numbers(db: Database) -> None:
    await add_contacts(
        db,
        *[{"occurred_at": f"2026-06-{d:02d}T09:00", "category": c, "resident": r}
          for d, c, r in [(1, "geldzaken", "A"), (2, "geldzaken", "B"), (3, "vervoer", "A"),
                          (4, "praatje", None), (5, "geldzaken", "A")]],
    )  # fmt: skip
    result = await report(db, "2026-06-01", "2026-06-30", "category")
    data = report_dict(result)
    assert {k: data[k] for k in ("from", "to", "by", "total", "residents")} == {
        "from": "2026-06-01", "to": "2026-06-30", "by": ["category"], "total": 5, "residents": 2
    }  # fmt: skip
    assert data["rows"][0] == {
        "category": "geldzaken", "category_label": "Geldzaken", "label": "Geldzaken",
        "count": 3, "residents": 2, "percent": 60,
    }  # fmt: skip
    workbook = load_workbook(io.BytesIO(to_xlsx(result, LABELS)))
    assert workbook.sheetnames == ["Samenvatting", "Onderwerp"]
    sheet = workbook["Onderwerp"]
    assert [c.value for c in sheet[1]] == ["Onderwerp", "Contacten", "Unieke inwoners",
                                           "Percentage"]  # fmt: skip
    assert sheet["A1"].font.b and sheet["D2"].number_format == "0%"
    table = [row for row in sheet.iter_rows(min_row=2, values_only=True)]
    expected = [(r["label"], r["count"], r["residents"], r["percent"]) for r in data["rows"]]
    assert [(a, b, c, round(d * 100)) for a, b, c, d in table] == expected
    summary = {row[0]: row[1] for row in workbook["Samenvatting"].iter_rows(values_only=True)}
    assert summary["Aantal contacten"] == 5 and summary["Unieke inwoners"] == 2
    lines = list(csv.DictReader(io.StringIO(to_csv(result))))
    assert [(r["category"], int(r["count"]), int(r["percent"])) for r in lines] == [
        (r["category"], r["count"], r["percent"]) for r in data["rows"]
    ]


async def test_several_breakdowns_in_json_and_not_in_csv(db: Database) -> None:
    await add_contacts(db, {"occurred_at": "2026-06-01T09:00", "category": "vervoer"})
    result = await report(db, "2026-06-01", "2026-06-30", "category", "month,channel")
    data = json.loads(json.dumps(report_dict(result)))
    assert [b["by"] for b in data["breakdowns"]] == [["category"], ["month", "channel"]]
    assert data["breakdowns"][1]["rows"][0]["month_label"] == "juni 2026"
    with pytest.raises(SingleBreakdownError):
        to_csv(result)


async def test_png_is_a_png(db: Database) -> None:
    await add_contacts(
        db,
        {"occurred_at": "2026-06-01T09:00", "category": "vervoer"},
        {"occurred_at": "2026-07-01T09:00", "category": "praatje"},
    )
    result = await report(db, "2026-06-01", "2026-07-31", "category", "month,category")
    image = to_png(result, LABELS, min_cell=5)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5000


async def test_min_cell_hides_small_cells_everywhere(db: Database) -> None:
    await add_contacts(
        db,
        *[{"occurred_at": "2026-06-01T09:00", "category": "geldzaken", "resident": f"R{n}"}
          for n in range(6)],
        {"occurred_at": "2026-06-01T09:00", "category": "vervoer", "resident": "R0"},
        {"occurred_at": "2026-06-02T09:00", "category": "vervoer", "resident": "R0"},
    )  # fmt: skip
    result = await report(db, "2026-06-01", "2026-06-30", "category")
    rows = report_dict(result, min_cell=3)["rows"]
    assert rows[0] | {"label": ""} == {
        "category": "geldzaken", "category_label": "Geldzaken", "label": "",
        "count": 6, "residents": 6, "percent": 75,
    }  # fmt: skip
    assert (rows[1]["count"], rows[1]["residents"], rows[1]["percent"]) == ("<3", "<3", None)
    sheet = load_workbook(io.BytesIO(to_xlsx(result, LABELS, min_cell=3)))["Onderwerp"]
    assert [c.value for c in sheet[3]] == ["Vervoer", "<3", "<3", None]
    assert next(csv.reader(io.StringIO(to_csv(result, 3).splitlines()[2]))) == [
        "vervoer", "Vervoer", "Vervoer", "<3", "<3", ""
    ]  # fmt: skip


def test_unknown_dimension_is_refused() -> None:
    with pytest.raises(DimensionError, match="unknown dimension 'kleur'"):
        parse_breakdowns(["category,kleur"])
    with pytest.raises(DimensionError, match="repeated"):
        parse_breakdowns(["month,month"])


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("", "2026-01-01", "2026-05-04"),
        ("2025", "2025-01-01", "2025-12-31"),
        ("2026-q1", "2026-01-01", "2026-03-31"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
    ],
)
def test_parse_period(text: str, start: str, end: str) -> None:
    period = parse_period(text, today=date(2026, 5, 4))
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26", "vorig jaar", "1999", "2026-1"])
def test_parse_period_refuses_nonsense(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, today=date(2026, 5, 4))


def test_period_labels() -> None:
    today = date(2026, 5, 4)
    assert parse_period("2026", today=today).label(LABELS) == "2026"
    assert parse_period("2026-Q2", today=today).label(LABELS) == "2e kwartaal 2026"
    assert parse_period("2026-03", today=today).label(LABELS) == "maart 2026"
    assert parse_period("", today=today).label(LABELS) == "2026-01-01 t/m 2026-05-04"
