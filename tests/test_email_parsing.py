"""Reading emails: the fixture messages in tests/data/email/ as the line reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.email_message import MAX_BYTES, MAX_TEXT, Verdict, parse_mail
from flows.email_text import html_to_text, strip_quotes

DATA = Path(__file__).parent / "data" / "email"
OWN = frozenset({"hulp@heusdenhelpt.example"})


def read(name: str):
    return parse_mail((DATA / name).read_bytes(), reference_prefix="HH", own_addresses=OWN)


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("plain_nl.eml", Verdict.resident),
        ("html_only.eml", Verdict.resident),
        ("crisis.eml", Verdict.resident),
        ("out_of_office.eml", Verdict.auto_reply),
        ("ooo_precedence.eml", Verdict.auto_reply),
        ("ooo_x_autoreply.eml", Verdict.auto_reply),
        ("ooo_subject_only.eml", Verdict.auto_reply),
        ("bounce_report.eml", Verdict.bounce),
        ("bounce_daemon.eml", Verdict.bounce),
        ("mailing_list.eml", Verdict.mailing_list),
        ("unsubscribe_only.eml", Verdict.mailing_list),
        ("spam_flag.eml", Verdict.spam),
        ("no_from.eml", Verdict.no_sender),
        ("own_loop.eml", Verdict.own),
    ],
)
def test_verdict_of_each_fixture(name: str, verdict: Verdict) -> None:
    assert read(name).verdict is verdict


def test_plain_mail_gives_id_sender_subject_and_text_without_signature() -> None:
    mail = read("plain_nl.eml")
    assert mail.message_id == "plain-nl-1@example.nl"
    assert mail.from_address == "mia.devries@example.nl"
    assert mail.from_name == "Mia de Vries"
    assert mail.subject == "Hulp bij boodschappen"
    assert "één keer per week" in mail.text
    assert "Kerkstraat" not in mail.text  # the signature after "-- "
    assert mail.reference is None and not mail.has_attachments and not mail.html_only
    assert mail.triage_text.startswith("Hulp bij boodschappen\nGoedemorgen")


@pytest.mark.parametrize(
    ("name", "own_words", "gone"),
    [
        ("reply_quoted_nl.eml", "Ik woon in Vlijmen. Dinsdag komt het beste uit.", "Bedankt"),
        ("reply_wrapped_attribution.eml", "Ja, dat klopt.", "schreef"),
        ("reply_english.eml", "I live in Heusden, thank you.", "wrote"),
        ("outlook_reply.eml", "Prima, graag op donderdag. Groet, Piet", "Verzonden"),
        ("signature_device.eml", "Wie kan mijn hond uitlaten? Ik woon in Nieuwkuijk.", "iPhone"),
        ("forwarded.eml", "Mijn moeder in Haarsteeg heeft hulp nodig met de was.", "Forwarded"),
    ],
)
def test_quotes_and_signatures_are_stripped(name: str, own_words: str, gone: str) -> None:
    mail = read(name)
    assert mail.text == own_words
    assert gone not in mail.text


def test_reference_found_in_subject_any_case() -> None:
    assert read("outlook_reply.eml").reference == "HH-2026-00007"
    assert read("reply_quoted_nl.eml").reference == "HH-2026-00042"


def test_reference_found_in_in_reply_to_when_subject_has_none() -> None:
    mail = read("reply_wrapped_attribution.eml")
    assert mail.subject == "Re: vraag"
    assert mail.reference == "HH-2026-00042"
    assert mail.in_reply_to == "HH-2026-00042.abc@heusdenhelpt.example"


def test_reference_needs_the_whole_pattern() -> None:
    raw = b"From: a@b.nl\nSubject: HH-2026-0004 en XHH-2026-00042 en HH-2026-000421\n\nx\n"
    assert parse_mail(raw, reference_prefix="HH").reference is None


def test_html_only_becomes_readable_text() -> None:
    mail = read("html_only.eml")
    assert mail.html_only
    assert mail.text == (
        "Beste mensen,\n\nIk zit veel alleen thuis & zou graag af en toe iemand spreken."
        "\nKan dat?\n\n- Elshout"
    )
    for hidden in ("color", "alert", "oud bericht", "<", "x"):
        assert hidden not in mail.text.replace("alleen", "").replace("Elshout", "")


def test_plain_part_preferred_over_html() -> None:
    mail = read("alternative.eml")
    assert mail.text == "Ik heb vervoer nodig naar het ziekenhuis in Den Bosch."
    assert not mail.html_only


def test_attachment_noted_not_kept() -> None:
    mail = read("attachment.eml")
    assert mail.has_attachments
    assert mail.text == "Zie de bijlage, kunt u mij helpen met dit formulier?"
    assert "JVBER" not in mail.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_utf8.eml", "Ik heb \ufffd\ufffd hulp nodig met mijn caf\ufffd bon."),
        ("unknown_charset.eml", "Hulp nodig met de tuin, café."),
        ("no_charset_latin1.eml", "Ik woon in Herpt en mijn kachel is kapot, café."),
        ("base64_latin1.eml", "Ik heb hulp nodig met mijn pinpas, café."),
    ],
)
def test_bad_encodings_are_decoded_with_replacement(name: str, expected: str) -> None:
    assert read(name).text == expected


def test_encoded_subject_is_decoded() -> None:
    assert read("bad_utf8.eml").subject == "Café vraag"
    assert read("base64_latin1.eml").subject == "Hulp met pinpas en formulier"


def test_missing_message_id_gets_a_stable_key() -> None:
    first, again = read("no_message_id.eml"), read("no_message_id.eml")
    assert first.message_id.startswith("sha256-")
    assert first.message_id == again.message_id
    assert first.verdict is Verdict.resident


def test_broken_mime_still_gives_the_text() -> None:
    mail = read("broken_mime.eml")
    assert mail.verdict is Verdict.resident
    assert "geen enkele echte part" in mail.text


def test_oversize_is_not_read() -> None:
    raw = b"From: a@example.nl\nSubject: groot\nMessage-ID: <big@x>\n\n" + b"a" * (MAX_BYTES + 10)
    mail = parse_mail(raw, reference_prefix="HH")
    assert mail.verdict is Verdict.oversize and mail.text == ""


def test_long_text_is_cut_and_flagged() -> None:
    raw = b"From: a@example.nl\nSubject: lang\n\n" + b"woord " * 5000
    mail = parse_mail(raw, reference_prefix="HH")
    assert len(mail.text) == MAX_TEXT and mail.truncated


def test_auto_submitted_no_is_a_resident() -> None:
    raw = b"From: a@example.nl\nAuto-Submitted: no\nSubject: vraag\n\nhulp\n"
    assert parse_mail(raw, reference_prefix="HH").verdict is Verdict.resident


def test_return_path_empty_is_a_bounce() -> None:
    raw = b"Return-Path: <>\nFrom: a@example.nl\nSubject: vraag\n\nhulp\n"
    assert parse_mail(raw, reference_prefix="HH").verdict is Verdict.bounce


def test_strip_quotes_keeps_text_without_quotes() -> None:
    assert strip_quotes("Een\n\n\n\nTwee\r\n") == "Een\n\nTwee"
    assert strip_quotes("> alleen een citaat") == ""


def test_html_to_text_survives_garbage() -> None:
    assert "tekst" in html_to_text("<p>tekst<div><<</p></table></blockquote>")
    assert html_to_text("a<br/>b<br>c") == "a\nb\nc"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_raises_on_random_bytes(raw: bytes) -> None:
    mail = parse_mail(raw, reference_prefix="HH")
    assert isinstance(mail.text, str) and mail.message_id


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500), st.sampled_from(["utf-8", "latin-1", "x-nope", "utf-16"]))
def test_parse_never_raises_on_odd_bodies(body: str, charset: str) -> None:
    head = f"From: a@example.nl\nContent-Type: text/plain; charset={charset}\n\n".encode()
    mail = parse_mail(head + body.encode("utf-8", "surrogatepass"), reference_prefix="HH")
    assert mail.verdict is Verdict.resident
