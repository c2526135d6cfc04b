"""Call events from both adapters, replayed from fixtures, become the same ``CallEvent``s."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.telephony import (
    CallEventKind,
    PayloadError,
    cti_fields,
    parse_cti,
    parse_voipgrid,
    phone_number,
)

FIXTURES = Path(__file__).parent / "data" / "telephony"
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def cti_lines(name: str) -> list[bytes]:
    return (FIXTURES / name).read_bytes().splitlines()


def voipgrid_lines(name: str) -> list[bytes]:
    return (FIXTURES / name).read_bytes().splitlines()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0416 123456", "+31416123456"),
        ("(0416) 123 456", "+31416123456"),
        ("06-12345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("31612345678", "+31612345678"),  # Zammad's examples: country code, no + or 00
        ("493055571600", "+493055571600"),
        ("anonymous", None),
        ("Anonymous", None),
        ("withheld", None),
        ("", None),
        ("201", None),  # an internal extension is not a caller's number
        (None, None),
        (True, None),
    ],
)
def test_numbers_are_normalised_or_none(raw: object, expected: str | None) -> None:
    assert phone_number(raw) == expected


def test_cti_fixture_of_an_answered_call() -> None:
    events = [parse_cti(cti_fields(line, FORM), now=NOW) for line in cti_lines("cti_answered.form")]
    assert [e.event for e in events] == [
        CallEventKind.ringing,
        CallEventKind.answered,
        CallEventKind.ended,
    ]
    assert {e.call_id for e in events} == {"4f1c2a9e-0001"}
    assert {e.from_number for e in events} == {"+31612345678"}
    assert {e.to_number for e in events} == {"+31416123456"}
    assert {e.direction for e in events} == {"inbound"}
    assert events[1].answered_by == "201"
    assert events[2].cause == "normalClearing" and events[2].answered_by == "201"
    assert all(e.at == NOW and e.provider == "cti" for e in events)


def test_cti_answer_without_answering_number_takes_the_user() -> None:
    body = b"event=answer&from=0612345678&to=0416123456&direction=in&callId=x&user%5B%5D=Sanne"
    assert parse_cti(cti_fields(body, FORM), now=NOW).answered_by == "Sanne"


def test_cti_missed_and_withheld_fixtures() -> None:
    ring, hangup = (parse_cti(cti_fields(b, FORM), now=NOW) for b in cti_lines("cti_missed.form"))
    assert ring.from_number == "+31416123456" and hangup.cause == "cancel"
    ring, hangup = (parse_cti(cti_fields(b, FORM), now=NOW) for b in cti_lines("cti_withheld.form"))
    assert ring.from_number is None and hangup.cause == "noAnswer"


def test_cti_as_json_reads_the_same() -> None:
    body = json.dumps(
        {
            "event": "hangup",
            "from": "0612345678",
            "to": "0416123456",
            "direction": "in",
            "callId": "abc",
            "cause": "somethingNew",
        }
    ).encode()
    event = parse_cti(cti_fields(body, "application/json"), now=NOW)
    assert event.event is CallEventKind.ended and event.from_number == "+31612345678"
    assert event.cause == "other"  # unknown causes are kept, not refused


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"from=0612345678&direction=in&callId=x", "missing event"),
        (b"event=ring&direction=in&callId=x", "unknown event"),
        (b"event=newCall&direction=sideways&callId=x", "direction must be in or out"),
        (b"event=newCall&direction=in", "missing callId"),
        (b"event=newCall&direction=in&callId=" + b"x" * 251, "callId is too long or not one line"),
        (b"event=newCall&direction=in&callId=a%0Ab", "callId is too long or not one line"),
        (b"\xff\xfe", "body is not UTF-8"),
        (b"no equals sign at all", "body is not form-encoded"),
    ],
)
def test_cti_malformed_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_cti(cti_fields(body, FORM), now=NOW)
    assert str(caught.value) == reason
    assert "0612345678" not in str(caught.value)


def test_voipgrid_fixture_of_an_answered_call() -> None:
    events = [parse_voipgrid(line, now=NOW) for line in voipgrid_lines("voipgrid_answered.jsonl")]
    assert [e.event for e in events] == [
        CallEventKind.ringing,
        CallEventKind.answered,
        CallEventKind.ended,
    ]
    assert {e.call_id for e in events} == {"asterisk-1714812000.101"}
    assert {e.from_number for e in events} == {"+31612345678"}
    assert events[1].answered_by == "201"
    assert events[2].at == datetime(2026, 5, 4, 9, 4, 30, tzinfo=UTC)
    assert all(e.provider == "voipgrid" and e.direction == "inbound" for e in events)


def test_voipgrid_missed_fixture() -> None:
    ring, end = (parse_voipgrid(line, now=NOW) for line in voipgrid_lines("voipgrid_missed.jsonl"))
    assert ring.from_number == "+31416654321"
    assert end.event is CallEventKind.ended and end.answered_by is None


RINGING = {"call_id": "x", "status": "ringing", "direction": "inbound"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("not json", "body is not JSON"),
        ("[1, 2]", "body is not a JSON object"),
        ({"status": "ringing", "direction": "inbound"}, "missing call_id"),
        (RINGING | {"status": "dancing"}, "unknown status"),
        (RINGING | {"direction": "up"}, "direction must be inbound or outbound"),
        (RINGING | {"version": "2.0"}, "unsupported version"),
        (RINGING | {"caller": "me"}, "caller is not an object"),
        (RINGING | {"timestamp": "yesterday"}, "timestamp is not an ISO 8601 time"),
        (
            RINGING | {"call_id": 5, "destination": {"targets": "201"}},
            "destination.targets is not a list of objects",
        ),
    ],
)
def test_voipgrid_malformed_bodies_are_refused_with_a_reason(payload: object, reason: str) -> None:
    body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    with pytest.raises(PayloadError) as caught:
        parse_voipgrid(body, now=NOW)
    assert str(caught.value) == reason


def test_voipgrid_without_timestamp_happens_now() -> None:
    body = json.dumps({"call_id": "x", "status": "ringing", "direction": "inbound"}).encode()
    assert parse_voipgrid(body, now=NOW).at == NOW
