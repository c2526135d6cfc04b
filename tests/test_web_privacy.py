"""The privacy page: a coordinator decides a waiting erasure request with the same use
case as the approval card in Telegram; the first decision wins; staff see nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import ErasureRequest, Request, Resident, Role
from tests.bot_harness import complete_intake
from tests.web_helpers import MIA, QUESTION, csrf_of, web_app

CARLA = FakeUser(id=5203, first_name="Carla")
SANNE = FakeUser(id=5201, first_name="Sanne")


async def test_a_coordinator_approves_an_erasure_on_the_page(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        mia = web.h.chat(MIA)
        await complete_intake(mia, QUESTION)  # an open request: erasure waits for approval
        await mia.say("/vergeetmij")
        await mia.press("Ja, wis alles")
        async with db.session() as session:
            [erasure] = list(await session.scalars(select(ErasureRequest)))
            [request] = list(await session.scalars(select(Request)))
        staff = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        assert (await staff.get("/web/privacy")).status_code == 403
        assert "/web/privacy" not in (await staff.get("/web/queues")).text
        refused = await staff.post(
            f"/web/privacy/{erasure.id}/approve", data={"csrf": await csrf_of(staff)}
        )
        assert refused.status_code == 403
        carla = await web.login(await web.staff(CARLA, "coordinatie", role=Role.coordinator))
        page = await carla.get("/web/privacy")
        assert request.reference in page.text and "Mia" not in page.text
        token = await csrf_of(carla, "/web/privacy")
        done = await carla.post(
            f"/web/privacy/{erasure.id}/approve", data={"csrf": token}, follow_redirects=True
        )
        assert "Gewist. De inwoner krijgt bericht." in done.text
        await asyncio.sleep(0.05)  # the background task: the notice to the forgotten resident
        assert "Wij hebben uw gegevens gewist" in mia.last_text()
        async with db.session() as session:
            [resident] = list(await session.scalars(select(Resident)))
        assert resident.anonymised_at is not None and resident.first_name is None
        again = await carla.post(
            f"/web/privacy/{erasure.id}/refuse", data={"csrf": token}, follow_redirects=True
        )
        assert "al beslist" in again.text
        assert "Er wacht geen verzoek" in again.text


async def test_access_export_from_the_page(db: Database, tmp_path: Path) -> None:
    import json

    from flows.privacy import to_json
    from storage.models import AuditAction, AuditEntry
    from storage.repository import privacy as privacy_repo

    async with web_app(db, tmp_path) as web:
        await complete_intake(web.h.chat(MIA), QUESTION)
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        staff = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        refused = await staff.post(
            "/web/privacy/export", data={"csrf": await csrf_of(staff), "ref": request.reference}
        )
        assert refused.status_code == 403 and "Mia" not in refused.text
        carla = await web.login(await web.staff(CARLA, "coordinatie", role=Role.coordinator))
        token = await csrf_of(carla, "/web/privacy")
        download = await carla.post(
            "/web/privacy/export", data={"csrf": token, "ref": "06-12345678"}
        )
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        document = json.loads(download.text)
        assert "Mia" in download.text and request.reference in download.text
        async with db.session() as session:  # the document `helpline privacy export` makes
            resident = await session.get(Resident, request.resident_id)
            subject = await privacy_repo.subject_of(session=session, resident=resident)
            expected = await privacy_repo.collect(
                session=session, subject=subject, now=web.h.clock()
            )
        assert document == json.loads(to_json(expected))
        none = await carla.post("/web/privacy/export", data={"csrf": token, "ref": "HH-2026-99999"})
        assert none.status_code == 400 and "Geen inwoner gevonden" in none.text
        async with db.session() as session:
            audit = list(await session.scalars(select(AuditEntry)))
        exports = [a for a in audit if a.action == AuditAction.privacy_export]
        assert [a.detail for a in exports] == ["by=web"]
