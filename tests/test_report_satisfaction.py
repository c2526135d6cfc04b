"""Satisfaction: the survey's buttons and answers, one grade per request, --metric grade."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import inspect

from flows.config import load_config
from flows.labels import load_labels
from flows.satisfaction import (
    CALLBACK_PATTERN,
    GRADE_PATTERN,
    OPT_OUT_PATTERN,
    SurveyAnswer,
    parse_survey_callback,
    survey_answer_text,
    survey_question,
)
from flows.texts import Texts
from helpline.reporting.build import DimensionError, build_report, parse_breakdowns
from helpline.reporting.model import Metric
from helpline.reporting.periods import Period
from helpline.reporting.writers import report_dict
from storage.db import Database
from storage.migrate import alembic_config, upgrade
from storage.models import Request, Resident
from storage.repository import satisfaction

LABELS = load_labels()
TEXTS = Texts(load_config())
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def test_question_has_grades_1_to_10_and_rather_not() -> None:
    reply = survey_question(TEXTS, request_id=42, reference="HH-2026-00042", lang="nl")
    assert "HH-2026-00042" in reply.text and "1" in reply.text
    labels = [[b.label for b in row] for row in reply.buttons]
    assert labels == [["1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"], ["Liever niet"]]
    data = [b.data for row in reply.buttons for b in row]
    assert data[0] == "sat:grade:42:1" and data[-1] == "sat:optout:42"
    assert all(re.match(CALLBACK_PATTERN, d) for d in data)
    english = survey_question(TEXTS, request_id=42, reference="HH-2026-00042", lang="en")
    assert english.buttons[-1][0].label == "Rather not"


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        ("sat:grade:7", SurveyAnswer(None, 7)),
        ("sat:grade:10", SurveyAnswer(None, 10)),
        ("sat:grade:42:1", SurveyAnswer(42, 1)),
        ("sat:optout:42", SurveyAnswer(42, None)),
        ("sat:grade:0", None),
        ("sat:grade:11", None),
        ("sat:grade:42:11", None),
        ("sat:grade:-1", None),
        ("sat:optout:", None),
        ("sat:optout:abc", None),
        ("req:claim:42", None),
        ("sat:grade:7 ", None),
        ("", None),
    ],
)
def test_parse_survey_callback(data: str, answer: SurveyAnswer | None) -> None:
    assert parse_survey_callback(data) == answer
    if answer is not None:
        pattern = OPT_OUT_PATTERN if answer.opted_out else GRADE_PATTERN
        assert re.match(pattern, data) and re.match(CALLBACK_PATTERN, data)
    else:
        assert not re.match(CALLBACK_PATTERN, data)


def test_answer_texts() -> None:
    grade, no = SurveyAnswer(1, 8), SurveyAnswer(1, None)
    assert "Dank u wel" in survey_answer_text(TEXTS, answer=grade, stored=True, lang="nl")
    assert "niet meer" in survey_answer_text(TEXTS, answer=no, stored=True, lang="nl")
    assert "al antwoord" in survey_answer_text(TEXTS, answer=grade, stored=False, lang="nl")


async def make_request(
    db: Database, number: int, *, category: str = "geldzaken", resident: str | None = None
) -> int:
    async with db.session() as session:
        resident_id = None
        if resident is not None:
            row = Resident(external_ref=resident)
            session.add(row)
            await session.flush()
            resident_id = row.id
        request = Request(
            reference=f"HH-2026-{number:05d}",
            category=category,
            queue="vrijwilligers",
            village="drunen",
            resident_id=resident_id,
        )
        session.add(request)
        await session.flush()
        assert request.id is not None
        return request.id


async def test_a_grade_is_recorded_once_per_request(db: Database) -> None:
    request_id = await make_request(db, 1)
    async with db.session() as session:
        assert await satisfaction.record_grade(
            session=session, request_id=request_id, grade=8, now=NOW
        )
    async with db.session() as session:
        assert not await satisfaction.record_grade(
            session=session, request_id=request_id, grade=2, now=NOW
        )
        assert not await satisfaction.opt_out(session=session, request_id=request_id, now=NOW)
        assert await satisfaction.add_remark(session=session, request_id=request_id, remark="Top")
        assert not await satisfaction.add_remark(
            session=session, request_id=request_id, remark="Nog iets"
        )
    async with db.session() as session:
        answer = await satisfaction.get_satisfaction(session=session, request_id=request_id)
    assert answer is not None
    assert (answer.grade, answer.remark, answer.opted_out) == (8, "Top", False)


async def test_opt_out_stores_no_grade(db: Database) -> None:
    request_id = await make_request(db, 1)
    async with db.session() as session:
        assert await satisfaction.opt_out(session=session, request_id=request_id, now=NOW)
        assert not await satisfaction.record_grade(
            session=session, request_id=request_id, grade=9, now=NOW
        )
        assert not await satisfaction.add_remark(session=session, request_id=request_id, remark="x")
        answer = await satisfaction.get_satisfaction(session=session, request_id=request_id)
    assert answer is not None and answer.grade is None and answer.opted_out


async def test_grade_outside_1_to_10_is_refused(db: Database) -> None:
    request_id = await make_request(db, 1)
    async with db.session() as session:
        for grade in (0, 11):
            with pytest.raises(ValueError):
                await satisfaction.record_grade(
                    session=session, request_id=request_id, grade=grade, now=NOW
                )


async def test_metric_grade_averages_per_breakdown_row(db: Database) -> None:
    answers = [("geldzaken", 8, "A"), ("geldzaken", 5, "B"), ("vervoer", 10, "A"),
               ("vervoer", None, "C")]  # fmt: skip
    for number, (category, grade, resident) in enumerate(answers, start=1):
        request_id = await make_request(
            db, number, category=category, resident=f"{resident}{number}"
        )
        async with db.session() as session:
            if grade is None:
                await satisfaction.opt_out(session=session, request_id=request_id, now=NOW)
            else:
                await satisfaction.record_grade(
                    session=session, request_id=request_id, grade=grade, now=NOW
                )
    result = await build_report(
        db=db,
        config=load_config(),
        labels=LABELS,
        period=Period(date(2026, 1, 1), date(2026, 12, 31)),
        breakdowns=parse_breakdowns(["category", "month"], Metric.grade),
        zone=ZoneInfo("Europe/Amsterdam"),
        metric=Metric.grade,
    )
    data = report_dict(result)
    assert (data["total"], data["average"], data["opted_out"]) == (3, 7.7, 1)
    rows = {r["category"]: r for r in data["breakdowns"][0]["rows"]}
    assert (rows["geldzaken"]["answers"], rows["geldzaken"]["average"]) == (2, 6.5)
    assert (rows["vervoer"]["answers"], rows["vervoer"]["average"]) == (1, 10.0)
    assert sum(r["percent"] for r in data["breakdowns"][0]["rows"]) == 100
    may = [r for r in data["breakdowns"][1]["rows"] if r["month"] == "2026-05"]
    assert may[0]["answers"] == 3
    hidden = report_dict(result, min_cell=2)["breakdowns"][0]["rows"]
    vervoer = next(r for r in hidden if r["category"] == "vervoer")
    assert (vervoer["answers"], vervoer["average"], vervoer["percent"]) == ("<2", None, None)
    with pytest.raises(DimensionError):
        parse_breakdowns(["direction"], Metric.grade)


async def test_migration_0002_downgrades_and_upgrades(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await upgrade(db)

        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "satisfaction" in names
        config = alembic_config(db.url)
        async with db.engine.begin() as connection:

            def down(sync: object) -> None:
                config.attributes["connection"] = sync
                command.downgrade(config, "0001")

            await connection.run_sync(down)
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "satisfaction" not in names
        await upgrade(db)
        async with db.engine.connect() as connection:
            names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "satisfaction" in names
    finally:
        await db.dispose()
