"""Staff correct triage from the case, through the real application: another category, a
missed crisis; each kept as training data, each decided once by the database."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from helpline.scripted import find_button
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditEntry, Request, Role, TriageCorrection
from storage.repository.personal_data import HOLDERS, Link
from storage.repository.scrub import scrub
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
SANNE = FakeUser(id=5001, first_name="Sanne")
TOM = FakeUser(id=5002, first_name="Tom")
VERA = FakeUser(id=5003, first_name="Vera")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"


async def rows(db: Database, model: type) -> list:
    async with db.session() as session:
        return list(await session.scalars(select(model)))


async def claimed(h: Harness, user: FakeUser = SANNE, role: Role = Role.staff):  # type: ignore[no-untyped-def]
    await complete_intake(h.chat(MIA), QUESTION)
    holder = await h.add_staff(user, "wijkteam_drunen", role=role)
    await holder.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    return holder


async def test_holder_changes_the_category_and_it_is_kept_for_training(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed(h)
        [request] = await rows(db, Request)
        assert request.category == "formulieren"
        await sanne.press("Andere categorie")
        assert "Nu: Formulieren" in sanne.last_text()
        assert "Was een crisis" not in str(h.telegram.last_sent(SANNE.id)), "leads only"
        await sanne.press("Geldzaken")
        assert "categorie Geldzaken" in sanne.last_text()
        [request] = await rows(db, Request)
        assert request.category == "geldzaken"
        [correction] = await rows(db, TriageCorrection)
        assert (correction.old_category, correction.new_category) == ("formulieren", "geldzaken")
        assert correction.text == QUESTION
        assert any(a.action == "recategorise" for a in await rows(db, AuditEntry))


async def test_an_old_menu_changes_nothing_after_someone_else_did(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed(h)
        await sanne.press("Andere categorie")
        menu, data = find_button(h.telegram, SANNE.id, "Geldzaken")
        await sanne.press("Maaltijd")
        # The same menu again, pressed after the category changed: decided by the database.
        await sanne.feed(h.telegram.press(SANNE, menu, data, queue=False))
        [request] = await rows(db, Request)
        assert request.category == "maaltijd"
        assert len(await rows(db, TriageCorrection)) == 1


async def test_a_former_holder_cannot_recategorise(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed(h)
        await sanne.press("Andere categorie")
        menu, data = find_button(h.telegram, SANNE.id, "Geldzaken")
        await sanne.press("Terugzetten")
        await sanne.press("Geen tijd")
        await sanne.feed(h.telegram.press(SANNE, menu, data, queue=False))
        [request] = await rows(db, Request)
        assert request.category == "formulieren"
        assert await rows(db, TriageCorrection) == []


async def test_a_coordinator_marks_a_missed_crisis_once(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        tom = await claimed(h, TOM, Role.coordinator)
        await tom.press("Andere categorie")
        menu, data = find_button(h.telegram, TOM.id, "Was een crisis")
        await tom.press("Was een crisis")
        assert "gemarkeerd als crisis" in tom.last_text()
        [request] = await rows(db, Request)
        assert request.urgency == "crisis"
        [correction] = await rows(db, TriageCorrection)
        assert (correction.old_urgency, correction.new_urgency) == ("normal", "crisis")
        await tom.feed(h.telegram.press(TOM, menu, data, queue=False))
        assert "al gemarkeerd" in tom.last_text()
        assert len(await rows(db, TriageCorrection)) == 1


async def test_a_volunteer_cannot_mark_a_crisis_by_forged_data(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        vera = await claimed(h, VERA, Role.volunteer)
        [request] = await rows(db, Request)
        message = h.telegram.last_sent(VERA.id)
        await vera.feed(
            h.telegram.press(VERA, message, f"case:miss_crisis:{request.id}", queue=False)
        )
        [request] = await rows(db, Request)
        assert request.urgency == "normal"
        assert await rows(db, TriageCorrection) == []


async def test_erasure_clears_the_corrections_text(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        sanne = await claimed(h)
        await sanne.press("Andere categorie")
        await sanne.press("Geldzaken")
        [request] = await rows(db, Request)
        async with db.session() as session:
            holders = [x for x in HOLDERS if x.link is Link.request]
            ids = {Link.request: [request.id]}
            await scrub(session=session, ids=ids, identity=False, holders=holders)
            await session.commit()
        [correction] = await rows(db, TriageCorrection)
        assert correction.text is None
        assert correction.new_category == "geldzaken", "the label pair is no personal data"
