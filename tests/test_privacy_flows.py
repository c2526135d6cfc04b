"""The pure privacy core: retention limits, the daily due check, REF parsing, the export text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.config import load_config
from flows.privacy import (
    RefError,
    RetentionPolicy,
    chunk_lines,
    cutoffs,
    export_lines,
    months_before,
    parse_ref,
    retention_due,
    to_json,
)
from flows.texts import Texts

AMS = ZoneInfo("Europe/Amsterdam")
TEXTS = Texts(load_config())


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def test_months_before_clamps_to_the_end_of_a_short_month() -> None:
    assert months_before(at("2026-03-31T10:00"), 1) == at("2026-02-28T10:00")
    assert months_before(at("2028-03-31T10:00"), 1) == at("2028-02-29T10:00")
    assert months_before(at("2026-01-15T10:00"), 12) == at("2025-01-15T10:00")
    assert months_before(at("2026-01-15T10:00"), 13) == at("2024-12-15T10:00")


def test_cutoffs_follow_the_policy() -> None:
    now = at("2026-05-04T09:00")
    limits = cutoffs(RetentionPolicy(free_text_months=12, contact_years=7, draft_days=14), now)
    assert limits.free_text == at("2025-05-04T09:00")
    assert limits.contacts == at("2019-05-04T09:00")
    assert limits.drafts == now - timedelta(days=14)


def test_daily_run_is_due_once_after_the_run_hour_in_local_time() -> None:
    # 03:00 in Amsterdam in May is 01:00 UTC.
    assert retention_due(None, at("2026-05-04T00:30"), AMS, 3)  # never ran: run now
    ran = at("2026-05-04T01:00")
    assert not retention_due(ran, at("2026-05-04T01:05"), AMS, 3)  # a restart: no repeat
    assert not retention_due(ran, at("2026-05-05T00:59"), AMS, 3)  # before next 03:00
    assert retention_due(ran, at("2026-05-05T01:00"), AMS, 3)
    # Down at 03:00 for two days: the first check after the restart runs it (no skip).
    assert retention_due(ran, at("2026-05-07T14:00"), AMS, 3)


def test_daily_run_across_the_autumn_clock_change() -> None:
    ran = at("2026-10-24T01:00")  # 03:00 CEST on Saturday
    assert not retention_due(ran, at("2026-10-25T01:30"), AMS, 3)  # 02:30 CET Sunday
    assert retention_due(ran, at("2026-10-25T02:00"), AMS, 3)  # 03:00 CET Sunday


@pytest.mark.parametrize(
    "raw", ["0612345678", "06-12345678", "06 1234 5678", "+31 6 12345678", "0031612345678"]
)
def test_ref_reads_dutch_phone_numbers(raw: str) -> None:
    ref = parse_ref(raw, "HH")
    assert ref.phone == "+31612345678" and not ref.malformed_phone
    assert ref.external_ref == raw  # import references may look like anything


def test_ref_reads_request_numbers_and_ids() -> None:
    ref = parse_ref(" hh-2026-00042 ", "HH")
    assert ref.request_reference == "HH-2026-00042" and ref.phone is None
    assert parse_ref("id:17", "HH").resident_id == 17
    assert parse_ref("#17", "HH").resident_id == 17
    assert parse_ref("KLANT-0042", "HH").external_ref == "KLANT-0042"


def test_ref_marks_malformed_numbers() -> None:
    ref = parse_ref("06-1234", "HH")
    assert ref.phone is None and ref.malformed_phone
    assert not parse_ref("KLANT-0042", "HH").malformed_phone


@pytest.mark.parametrize("raw", ["", "   ", "x" * 121])
def test_ref_refuses_empty_or_oversized(raw: str) -> None:
    with pytest.raises(RefError):
        parse_ref(raw, "HH")


def _export() -> dict[str, object]:
    return {
        "format": "helpline-privacy-export/1",
        "created_at": "2026-05-04T09:00:00+00:00",
        "resident_id": 1,
        "tables": {
            "resident": [
                {"first_name": "Mia", "phone": "+31612345678", "village": "drunen",
                 "language": "nl", "created_at": "2026-05-01T09:00:00+00:00"}
            ],
            "request": [
                {"reference": "HH-2026-00001", "created_at": "2026-05-01T09:00:00+00:00",
                 "category": "geldzaken", "status": "claimed", "summary": "Brieven",
                 "consent_at": "2026-05-01T08:59:00+00:00", "consent_version": "2026-11"}
            ],
            "request_note": [{"created_at": "2026-05-02T09:00:00+00:00", "author": "resident",
                              "text": "Nog een vraag"}],
            "contact": [{"id": 1}, {"id": 2}],
            "scheduled_call": [{"id": 5}],
        },
    }  # fmt: skip


def test_export_text_shows_everything_in_plain_dutch() -> None:
    text = "\n".join(export_lines(_export(), TEXTS, "nl", AMS, lambda k: f"<{k}>"))
    for part in ("Mia", "06 12345678", "HH-2026-00001", "<geldzaken>", "Brieven",
                 "Nog een vraag", "2 keer contact", "scheduled_call: 1", "versie 2026-11",
                 "een medewerker helpt u", "04-05-2026 11:00"):  # fmt: skip
        assert part in text
    english = "\n".join(export_lines(_export(), TEXTS, "en", AMS))
    assert "Your question: Brieven" in english and "geldzaken" in english


def test_export_json_round_trips() -> None:
    import json

    assert json.loads(to_json(_export()))["tables"]["request"][0]["summary"] == "Brieven"


def test_chunks_stay_within_telegram_limits() -> None:
    lines = [f"regel {n} " + "x" * 300 for n in range(60)] + ["y" * 9000]
    chunks = chunk_lines(lines)
    assert all(len(c) <= 3800 for c in chunks)
    assert "regel 0" in chunks[0] and "regel 59" in "".join(chunks)
