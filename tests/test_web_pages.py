"""The web page's queues, claim, resolve and case page: the same rules as Telegram."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlmodel import select

from helpline.testing import FakeUser
from helpline.web import live
from storage.db import Database
from storage.models import AuditEntry, Contact, Request, RequestStatus, Role
from tests.web_helpers import QUESTION, csrf_of, mia_asks, web_app

SANNE = FakeUser(id=5201, first_name="Sanne")
JOOST = FakeUser(id=5202, first_name="Joost")
VERA = FakeUser(id=5203, first_name="Vera")
COBY = FakeUser(id=5204, first_name="Coby")
PHONE_SHOWN = "06 12345678"


async def _request(db: Database) -> Request:
    async with db.session() as session:
        [request] = list(await session.scalars(select(Request)))
    return request


async def test_queue_shows_card_facts_but_no_question_or_phone(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        page = (await browser.get("/web/queues")).text
        assert "Wijkteam Drunen" in page and "Mia" in page and "Drunen" in page
        assert "HH-" in page and "Oppakken" in page
        assert QUESTION not in page and PHONE_SHOWN not in page and "0612345678" not in page
        assert "Wijkteam Vlijmen" not in page  # not her queue


async def test_two_simultaneous_claims_from_the_page_one_wins_and_telegram_shows_it(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        group = web.h.group("wijkteam_drunen")
        card = web.h.telegram.last_sent(group)
        assert card["reply_markup"]  # the Oppakken button
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        joost = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        tokens = [await csrf_of(sanne), await csrf_of(joost)]
        answers = await asyncio.gather(
            sanne.post(f"/web/requests/{rid}/claim", data={"csrf": tokens[0]}),
            joost.post(f"/web/requests/{rid}/claim", data={"csrf": tokens[1]}),
        )
        places = sorted(a.headers["location"] for a in answers)
        assert places == ["/web/queues?m=claim_taken", "/web/queues?m=claim_won"]
        request = await _request(db)
        assert request.status == RequestStatus.claimed
        winner = SANNE if answers[0].headers["location"].endswith("won") else JOOST
        async with db.session() as session:
            claims = list(await session.scalars(select(Contact).where(Contact.event == "claim")))
        assert len(claims) == 1
        # The card in the queue group is edited by the same code path: who took it, no button.
        edited = web.h.telegram.message(group, card["message_id"])
        assert winner.first_name in edited["text"] and not edited.get("reply_markup")
        # The winner gets the details in Telegram too (the outbox), as after a press.
        await web.h.services.dispatcher.run_once(web.h.app.bot)
        assert QUESTION in web.h.telegram.last_sent(winner.id)["text"]
        # The page shows who has it.
        web.h.clock.advance(seconds=0.5)
        live = (await joost.get("/web/queues/live")).text
        assert f"door {winner.first_name}" in live


async def test_claim_in_telegram_shows_on_the_page(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        sanne = await web.staff(SANNE, "wijkteam_drunen")
        browser = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        assert "door Sanne" not in (await browser.get("/web/queues/live")).text
        await sanne.press("Oppakken", chat_id=web.h.group("wijkteam_drunen"))
        web.h.clock.advance(seconds=0.5)  # the shared fragment is at most a quarter second old
        live = (await browser.get("/web/queues/live")).text
        assert "door Sanne" in live and "Oppakken</button>" not in live


async def test_claim_without_form_token_changes_nothing(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        answer = await browser.post(f"/web/requests/{rid}/claim", data={"csrf": "nope"})
        assert answer.status_code == 403
        assert (await _request(db)).claimed_by is None


async def test_volunteer_refused_other_queue_and_personal_details(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        vera = await web.login(await web.staff(VERA, "belmaatjes", role=Role.volunteer))
        assert "Mia" not in (await vera.get("/web/queues")).text
        refused = await vera.get(f"/web/requests/{rid}")
        assert refused.status_code == 403 and "Mia" not in refused.text
        assert (await vera.get("/web/requests/999999")).text == refused.text  # no difference
        csrf = await csrf_of(vera)
        claim = await vera.post(f"/web/requests/{rid}/claim", data={"csrf": csrf})
        assert claim.status_code == 403
        resolve = await vera.post(
            f"/web/requests/{rid}/resolve", data={"csrf": csrf, "outcome": "direct_opgelost"}
        )
        assert resolve.status_code == 403
        assert (await _request(db)).status == RequestStatus.open


async def test_volunteer_holder_sees_no_question_or_phone(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web, village="Drunen")
        vera_chat = await web.staff(VERA, "wijkteam_drunen", role=Role.volunteer)
        vera = await web.login(vera_chat)
        await vera.post(f"/web/requests/{rid}/claim", data={"csrf": await csrf_of(vera)})
        page = (await vera.get(f"/web/requests/{rid}")).text
        assert "Mia" in page and QUESTION not in page and PHONE_SHOWN not in page
        assert "Alleen voor wie de vraag heeft opgepakt" in page


async def test_case_page_for_the_holder_with_history_and_audited(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        browser = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        colleague = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        before = (await colleague.get(f"/web/requests/{rid}")).text
        assert "Mia" in before and QUESTION not in before  # a queue member, not the holder
        await browser.post(f"/web/requests/{rid}/claim", data={"csrf": await csrf_of(browser)})
        page = (await browser.get(f"/web/requests/{rid}")).text
        assert QUESTION in page and PHONE_SHOWN in page
        assert "<dd>Ochtend</dd>" in page  # the best time in words, not its key
        assert page.index("Contact: intake") < page.index("Contact: claim")
        async with db.session() as session:
            rows = list(await session.scalars(select(AuditEntry)))
        web_views = [(r.actor_staff_id, r.detail) for r in rows if "via=web" in (r.detail or "")]
        assert len(web_views) == 3  # Joost's view (no details), the claim, Sanne's view
        assert any(detail == "via=web details=no" for _, detail in web_views)
        assert all(r.request_id == rid for r in rows if "via=web" in (r.detail or ""))


async def test_coordinator_resolves_from_the_page_like_the_button(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        group = web.h.group("wijkteam_drunen")
        coby = await web.login(await web.staff(COBY, "coordinatie", role=Role.coordinator))
        page = await coby.get(f"/web/requests/{rid}")
        assert QUESTION in page.text  # coordinators see details, as in Telegram
        csrf = await csrf_of(coby, f"/web/requests/{rid}")
        bad = await coby.post(f"/web/requests/{rid}/resolve", data={"csrf": csrf, "outcome": "x"})
        assert bad.status_code == 400
        done = await coby.post(
            f"/web/requests/{rid}/resolve", data={"csrf": csrf, "outcome": "direct_opgelost"}
        )
        assert done.headers["location"] == f"/web/requests/{rid}?m=resolved"
        request = await _request(db)
        assert request.status == RequestStatus.resolved and request.outcome == "direct_opgelost"
        await web.h.services.dispatcher.run_once(web.h.app.bot)
        assert request.reference in web.h.telegram.last_sent(group)["text"]  # the card note
        again = await coby.post(
            f"/web/requests/{rid}/resolve", data={"csrf": csrf, "outcome": "direct_opgelost"}
        )
        assert again.headers["location"].endswith("m=resolve_failed")
        async with db.session() as session:
            resolves = list(
                await session.scalars(select(Contact).where(Contact.event == "resolve"))
            )
        assert len(resolves) == 1


async def test_anonymous_visitors_get_nothing(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        browser = web.browser()
        for path in ("/web/queues", "/web/queues/live", f"/web/requests/{rid}"):
            answer = await browser.get(path)
            assert answer.status_code == 401 and "Mia" not in answer.text
        for path in (f"/web/requests/{rid}/claim", f"/web/requests/{rid}/resolve", "/web/logout"):
            assert (await browser.post(path, data={"csrf": "x"})).status_code == 401
        assert (await _request(db)).status == RequestStatus.open


async def test_unclaimed_past_the_escalation_limit_is_highlighted(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        sanne = await web.staff(SANNE, "wijkteam_drunen")
        browser = await web.login(sanne)
        assert "te lang" not in (await browser.get("/web/queues/live")).text
        web.h.clock.advance(days=3)
        browser = await web.login(sanne)  # the first session idled out meanwhile
        live = (await browser.get("/web/queues/live")).text
        assert "te lang" in live and " late" in live


async def test_live_fragment_is_shared_and_not_sent_again_unchanged(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        joost = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        first = await sanne.get("/web/queues/live")
        version = first.headers["x-version"]
        again = await sanne.get("/web/queues/live", headers={"x-version": version})
        assert again.status_code == 204 and not again.content
        other = await joost.get("/web/queues/live")
        assert other.headers["x-version"] == version  # the same fragment, built once
        # ... with each session's own form token in it, never another's.
        assert await csrf_of(joost) in other.text and await csrf_of(sanne) not in other.text


async def test_live_fragment_renders_only_rows_that_changed(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[object] = []
    real = live.render_row

    def counting(request: object, services: object, row: dict[str, object], csrf: str) -> object:
        rendered.append(row["reference"])
        return real(request, services, row, csrf)  # type: ignore[arg-type]

    monkeypatch.setattr(live, "render_row", counting)
    async with web_app(db, tmp_path) as web:
        await mia_asks(web)
        sanne = await web.staff(SANNE, "wijkteam_drunen")
        browser = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        first = (await browser.get("/web/queues/live")).text
        assert len(rendered) == 1
        web.h.clock.advance(seconds=0.5)  # rebuilt, nothing changed: no row drawn again
        assert (await browser.get("/web/queues/live")).status_code == 200
        assert len(rendered) == 1
        await sanne.press("Oppakken", chat_id=web.h.group("wijkteam_drunen"))
        web.h.clock.advance(seconds=0.5)  # the claimed row changed: drawn again
        claimed = (await browser.get("/web/queues/live")).text
        assert len(rendered) == 2 and claimed != first and "door Sanne" in claimed


async def test_the_holder_writes_to_the_resident_from_the_page_like_in_telegram(
    db: Database, tmp_path: Path
) -> None:
    from tests.web_helpers import MIA

    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        joost = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        token = await csrf_of(sanne)
        await sanne.post(f"/web/requests/{rid}/claim", data={"csrf": token})
        page = (await sanne.get(f"/web/requests/{rid}")).text
        assert "Schrijven aan Mia" in page
        assert "Schrijven aan" not in (await joost.get(f"/web/requests/{rid}")).text
        sent = await sanne.post(
            f"/web/requests/{rid}/write",
            data={"csrf": token, "text": "Ik bel u morgen om tien uur."},
            follow_redirects=True,
        )
        assert "Verstuurd in de chat van de inwoner" in sent.text
        await web.h.services.dispatcher.run_once(web.h.app.bot)
        assert web.h.telegram.last_sent(MIA.id)["text"].endswith("Ik bel u morgen om tien uur.")
        assert "Sanne" not in web.h.telegram.last_sent(MIA.id)["text"]  # the line's name only
        # Refused: another staff member, an empty or too long text, no form token.
        for browser, text, notice in (
            (joost, "Hallo", "u heeft deze vraag niet (meer) opgepakt"),
            (sanne, "   ", "het bericht was leeg"),
            (sanne, "x" * 3600, "het bericht is te lang"),
        ):
            answer = await browser.post(
                f"/web/requests/{rid}/write",
                data={"csrf": await csrf_of(browser), "text": text},
                follow_redirects=True,
            )
            assert notice in answer.text
        no_token = await sanne.post(f"/web/requests/{rid}/write", data={"text": "Hallo"})
        assert no_token.status_code == 403
        async with db.session() as session:
            relays = [c for c in await session.scalars(select(Contact)) if c.event == "relay"]
        assert len(relays) == 1 and relays[0].direction == "outbound"
        assert len([m for m in web.h.telegram.sent(MIA.id) if "💬" in m.get("text", "")]) == 1


async def test_the_holder_hands_over_from_the_page_and_the_team_accepts_in_telegram(
    db: Database, tmp_path: Path
) -> None:
    from storage.models import Handover

    async with web_app(db, tmp_path) as web:
        rid = await mia_asks(web)
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        joost = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        coby = await web.staff(COBY, "wijkteam_vlijmen")
        token = await csrf_of(sanne)
        await sanne.post(f"/web/requests/{rid}/claim", data={"csrf": token})
        page = (await sanne.get(f"/web/requests/{rid}")).text
        assert "Overdragen aan een ander team" in page
        assert "Overdragen aan" not in (await joost.get(f"/web/requests/{rid}")).text

        async def hand_over(browser, **form: str) -> str:  # type: ignore[no-untyped-def]
            data = {"csrf": await csrf_of(browser), "queue": "wijkteam_vlijmen", **form}
            answer = await browser.post(
                f"/web/requests/{rid}/handover", data=data, follow_redirects=True
            )
            return str(answer.text)

        assert "gaan de gegevens niet mee" in await hand_over(sanne)
        assert "minstens 10 tekens" in await hand_over(sanne, basis="safety", reason="ja")
        assert "niet (meer) opgepakt" in await hand_over(joost, basis="consent")
        assert "kies een ander team" in await hand_over(
            sanne, basis="consent", queue="wijkteam_drunen"
        )
        async with db.session() as session:
            assert list(await session.scalars(select(Handover))) == []  # nothing was sent
        sent = await hand_over(sanne, basis="consent", note="Mevrouw wil graag 's ochtends.")
        assert "De overdracht is gevraagd" in sent
        await web.h.services.dispatcher.run_once(web.h.app.bot)
        group = web.h.group("wijkteam_vlijmen")
        card = web.h.telegram.last_sent(group)
        assert "Mevrouw wil graag" in card["text"]
        await coby.press("Accepteren", chat_id=group)
        request = await _request(db)
        assert request.queue == "wijkteam_vlijmen"
        async with db.session() as session:
            [handover] = list(await session.scalars(select(Handover)))
        assert handover.status == "accepted" and handover.consent_basis == "consent"
