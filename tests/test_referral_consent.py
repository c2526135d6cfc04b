"""Referral to a partner: the holder says whether details go along, and on which basis."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditEntry, Handover, Request
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"
REASON = "Zij durft niet naar huis, Veilig Thuis belt haar vandaag nog"


async def refer_to_veilig_thuis(h: Harness) -> ScriptedChat:
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(SANNE, "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    await sanne.press("Afronden")
    await sanne.press("Doorverwezen")
    await sanne.press("Veilig Thuis")
    return sanne


async def state(db: Database) -> tuple[Request, list[Handover], list[AuditEntry]]:
    async with db.session() as session:
        [request] = list(await session.scalars(select(Request)))
        handovers = list(await session.scalars(select(Handover)))
        audits = [a for a in await session.scalars(select(AuditEntry)) if a.action == "handover"]
    return request, handovers, audits


async def test_referral_asks_what_goes_along_before_resolving(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await refer_to_veilig_thuis(h)
        assert "naar Veilig Thuis" in sanne.last_text()
        request, handovers, _ = await state(db)
        assert request.status == "claimed" and handovers == []


async def test_referral_without_details_resolves_and_records_no_sharing(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await refer_to_veilig_thuis(h)
        await sanne.press("zelf contact op")
        request, handovers, audits = await state(db)
        assert (request.status, request.outcome, request.partner) == (
            "resolved",
            "doorverwezen",
            "veilig_thuis",
        )
        assert handovers == [] and audits == []


async def test_referral_with_consent_is_stored_and_audited(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await refer_to_veilig_thuis(h)
        await sanne.press("gaf toestemming")
        request, [handover], [audit] = await state(db)
        assert request.status == "resolved" and request.partner == "veilig_thuis"
        assert (handover.status, handover.to_partner, handover.consent_basis) == (
            "referred",
            "veilig_thuis",
            "consent",
        )
        assert handover.consent_at == h.clock.now
        assert audit.detail == f"handover={handover.id} to_partner=veilig_thuis basis=consent"
        assert sanne.last_text() == "✅ HH-2026-00001 is afgerond: Doorverwezen (Veilig Thuis)."


async def test_referral_without_consent_needs_a_safety_reason(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await refer_to_veilig_thuis(h)
        await sanne.press("veiligheid is in gevaar")
        assert "Typ kort waarom" in sanne.last_text()
        await sanne.say("nood")
        assert "minstens 10 tekens" in sanne.last_text()
        request, [draft], _ = await state(db)
        assert request.status == "claimed" and draft.status == "draft"
        await sanne.say(REASON)
        request, [handover], [audit] = await state(db)
        assert request.status == "resolved" and request.partner == "veilig_thuis"
        assert (handover.status, handover.consent_basis, handover.consent_reason) == (
            "referred",
            "safety",
            REASON,
        )
        assert audit.detail is not None and audit.detail.endswith("basis=safety")
        assert REASON not in audit.detail


async def test_referral_reason_can_be_stopped_and_buttons_cannot_skip_it(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await refer_to_veilig_thuis(h)
        await sanne.press("veiligheid is in gevaar")
        _, [draft], _ = await state(db)
        message = h.telegram.last_sent(SANNE.id)
        for forged in ("consent", "nonote", "to_any"):
            data = f"hd:{forged}:{draft.id}"
            await sanne.feed(h.telegram.press(SANNE, message, data, queue=False))
            assert "al afgehandeld" in h.telegram.callback_answers()[-1]["text"]
        await sanne.press("niet overdragen")
        request, [handover], audits = await state(db)
        assert request.status == "claimed" and handover.status == "cancelled"
        assert audits == []
        # A typed text now is an ordinary message again, not a reason.
        await sanne.say(REASON)
        assert (await state(db))[0].status == "claimed"
