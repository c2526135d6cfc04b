"""The phone line over real HTTP on 127.0.0.1: secret, payloads, pops, answer, contact, callback."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, IntakeDraft, Request, Role
from storage.telephony_models import PhoneCall, PhonePop
from tests.bot_harness import complete_intake
from tests.telephony_helpers import SECRET, PhoneLine, phone_line, wait_until

FIXTURES = Path(__file__).parent / "data" / "telephony"
MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
KEES = FakeUser(id=5002, first_name="Kees")
VERA = FakeUser(id=5003, first_name="Vera")  # a volunteer: no pops with numbers
QUESTION = "Ik heb hulp nodig met een formulier van de gemeente"


def fixture(name: str) -> list[bytes]:
    return (FIXTURES / name).read_bytes().splitlines()


async def staff_the_line(line: PhoneLine) -> None:
    await line.add_staff(SANNE, "coordinatie", role=Role.coordinator, extension="201")
    await line.add_staff(KEES, "wijkteam_drunen")
    await line.add_staff(VERA, "coordinatie", role=Role.volunteer, extension="209")


def pops(line: PhoneLine, user: FakeUser) -> list[str]:
    return [m["text"] for m in line.h.telegram.sent(user.id) if "📞" in (m.get("text") or "")]


async def test_health_and_refusals_store_nothing(db: Database, tmp_path: Path) -> None:
    async with phone_line(db, tmp_path) as line:
        health = await line.client.get("/healthz")
        assert health.status_code == 503  # built, not started: `helpline run` starts it
        ring = fixture("cti_answered.form")[0]
        assert (await line.cti(ring, secret="wrong-secret-wrong-secret")).status_code == 403
        assert (await line.cti(ring, secret=SECRET[:-1])).status_code == 403
        bad = await line.cti(b"event=newCall&direction=in")
        assert bad.status_code == 400 and bad.json()["error"] == "missing callId"
        assert (await line.voipgrid(b"{not json")).status_code == 400
        assert (await line.cti(b"event=newCall&" + b"x" * 70_000)).status_code == 400
        assert (await line.client.get(f"/telephony/cti/{SECRET}")).status_code == 405
        assert await line.count(PhoneCall) == 0
    async with phone_line(db, tmp_path, secret=None) as line:
        assert (await line.cti(ring, secret=SECRET)).status_code == 404


async def test_known_caller_pop_answer_hangup_contact_and_new_request(
    db: Database, tmp_path: Path
) -> None:
    async with phone_line(db, tmp_path) as line:
        h = line.h
        await staff_the_line(line)
        await complete_intake(h.chat(MIA), QUESTION)  # Mia: 06 12345678, Drunen
        await h.chat(KEES).press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        ring, answer, hangup = fixture("cti_answered.form")

        assert (await line.cti(ring)).status_code == 200
        assert (await line.cti(ring)).json() == {"ok": True}  # delivered twice
        await line.deliver()
        [pop] = pops(line, SANNE)
        assert pop == (
            "📞 Inkomend gesprek — 06 12345678 — bekend: Mia (Drunen), "
            "HH-2026-00001 open bij Wijkteam Drunen (Kees), laatste contact 04-05-2026"
        )
        assert pops(line, VERA) == [] and pops(line, KEES) == []
        assert all(
            "📞 Inkomend" not in (m.get("text") or "")
            for m in h.telegram.sent(h.group("coordinatie"))
        )

        await line.cti(answer)
        await line.cti(answer)
        await wait_until(lambda: "Opgenomen door Sanne" in pops(line, SANNE)[0])
        assert pops(line, SANNE)[0].count("Opgenomen") == 1

        h.clock.advance(minutes=3, seconds=10)
        await line.cti(hangup)
        await line.cti(hangup)
        await line.deliver()
        [contact] = [c for c in await line.rows(Contact) if c.event == "call"]
        [call] = await line.rows(PhoneCall)
        assert (contact.channel, contact.direction, contact.kind) == (
            "phone",
            "inbound",
            "informatie",
        )
        assert contact.staff_id == call.answered_by and contact.resident_id == call.resident_id
        assert contact.new_or_known == "bekend" and contact.village == "drunen"
        assert (
            call.state == "ended"
            and call.contact_id == contact.id
            and call.cause == "normalClearing"
        )
        ended = h.telegram.last_sent(SANNE.id)
        assert "afgelopen" in ended["text"] and "06 12345678" in ended["text"]

        sanne = h.chat(SANNE)
        await sanne.press("Nieuwe vraag")
        assert "Nieuwe vraag" not in str(
            h.telegram.message(SANNE.id, ended["message_id"]).get("reply_markup")
        )
        [draft] = await line.rows(IntakeDraft)  # Mia's intake is done: only Sanne's
        assert (draft.flow, draft.channel, draft.phone) == ("staff", "phone", "+31612345678")
        assert draft.step == "pi_question" and draft.first_name == "Mia"
        [contact] = [c for c in await line.rows(Contact) if c.event == "call"]
        assert contact.kind == "hulpvraag"
        await sanne.say("Mevrouw wil hulp bij boodschappen doen, ze is slecht ter been")
        assert "Boodschappen" in sanne.last_text()  # the intake's category step, as /nieuw


async def test_missed_calls_make_one_callback_and_withheld_none(
    db: Database, tmp_path: Path
) -> None:
    async with phone_line(db, tmp_path) as line:
        h = line.h
        await staff_the_line(line)
        ring, hangup = fixture("cti_missed.form")
        await line.cti(ring)
        await line.deliver()
        await line.cti(hangup)
        await line.cti(hangup)
        await line.deliver()
        [request] = await line.rows(Request)
        assert (request.queue, request.channel, request.contact_preference) == (
            "coordinatie",
            "phone",
            "phone",
        )
        card = h.telegram.last_sent(h.group("coordinatie"))
        assert "Terugbellen" in card["text"] and "Oppakken" in str(card["reply_markup"])
        assert "Terugbelverzoek HH-2026-00001" in pops(line, SANNE)[0]

        # The same number again, another call: it joins the open callback.
        again = [b.replace(b"0002", b"0004") for b in (ring, hangup)]
        for body in again:
            await line.cti(body)
        await line.deliver()
        assert await line.count(Request) == 1
        calls = await line.rows(PhoneCall)
        assert {c.callback_request_id for c in calls} == {request.id}
        assert "nog een gemist gesprek" in h.telegram.last_sent(h.group("coordinatie"))["text"]

        for body in fixture("cti_withheld.form"):
            await line.cti(body)
        await line.deliver()
        assert await line.count(Request) == 1
        assert "afgeschermd" in pops(line, SANNE)[-1]
        assert await line.count(PhonePop) == 3  # one per call, to Sanne only


async def test_voipgrid_call_logs_a_contact_and_info_only(db: Database, tmp_path: Path) -> None:
    async with phone_line(db, tmp_path) as line:
        h = line.h
        await staff_the_line(line)
        for body in fixture("voipgrid_answered.jsonl"):
            assert (await line.voipgrid(body)).status_code == 200
            await line.deliver()
        [call] = await line.rows(PhoneCall)
        assert call.provider == "voipgrid" and call.state == "ended"
        [contact] = await line.rows(Contact)
        assert contact.new_or_known == "nieuw" and contact.resident_id is None
        assert "(5 min)" in h.telegram.last_sent(SANNE.id)["text"]  # 09:00:09 → 09:04:30
        # Only the one who answered may choose: Kees forges the press in his own chat.
        kees = h.chat(KEES)
        await kees.say("/mijn")
        own = h.telegram.last_sent(KEES.id)
        await kees.feed(h.telegram.press(KEES, own, f"tel:info:{call.id}", queue=False))
        assert "al afgehandeld" in kees.last_text()
        [call] = await line.rows(PhoneCall)
        assert call.follow_up is None
        sanne = h.chat(SANNE)
        ended = h.telegram.last_sent(SANNE.id)
        await sanne.press("Alleen informatie")
        assert "alleen informatie" in sanne.last_text()
        topics = h.telegram.last_sent(SANNE.id)  # with a button per category
        await sanne.feed(h.telegram.press(SANNE, ended, f"tel:new:{call.id}", queue=False))
        assert "al afgehandeld" in sanne.last_text()  # once per call
        [call] = await line.rows(PhoneCall)
        assert call.follow_up == "info"
        [contact] = await line.rows(Contact)
        assert contact.kind == "informatie" and contact.category is None
        # What the information was about, for the report: Kees may not say, Sanne once.
        await kees.feed(h.telegram.press(KEES, own, f"tel:cat_geldzaken:{call.id}", queue=False))
        assert "al afgehandeld" in kees.last_text()
        await sanne.press("Geld")
        assert sanne.last_text() == "✅ Informatie over: Geldzaken."
        # A second topic (a forged or late press) does not overwrite the first.
        await sanne.feed(h.telegram.press(SANNE, topics, f"tel:cat_vervoer:{call.id}", queue=False))
        assert "al afgehandeld" in sanne.last_text()
        [contact] = await line.rows(Contact)
        assert (contact.kind, contact.category) == ("informatie", "geldzaken")


async def test_a_failing_event_is_503_and_logs_no_number(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import helpline.web.telephony as web

    async def broken(services: object, event: object) -> None:
        raise RuntimeError("INSERT ... ('+31612345678')")

    monkeypatch.setattr(web, "handle_call_event", broken)
    async with phone_line(db, tmp_path) as line:
        response = await line.cti(fixture("cti_answered.form")[0])
    assert response.status_code == 503
    assert "RuntimeError" in caplog.text and "612345678" not in caplog.text
