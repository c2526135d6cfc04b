"""A resident's page: their requests that the viewer may open, how many more there are,
audited; volunteers and staff of other teams see nothing about the person."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditEntry, Request, RequestStatus, Role
from tests.bot_harness import complete_intake
from tests.web_helpers import MIA, QUESTION, web_app

SANNE = FakeUser(id=5201, first_name="Sanne")
CARLA = FakeUser(id=5203, first_name="Carla")
VERA = FakeUser(id=5204, first_name="Vera")
PIM = FakeUser(id=5205, first_name="Pim")


async def test_resident_page_lists_what_the_viewer_may_open(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        await complete_intake(web.h.chat(MIA), QUESTION, village="Drunen")
        async with db.session() as session:  # her first question was dealt with
            await session.execute(update(Request).values(status=RequestStatus.resolved))
        await complete_intake(web.h.chat(MIA), QUESTION, village="Vlijmen")
        async with db.session() as session:
            requests = list(await session.scalars(select(Request).order_by(Request.id)))
        drunen, vlijmen = requests
        assert (drunen.queue, vlijmen.queue) == ("wijkteam_drunen", "wijkteam_vlijmen")
        resident = f"/web/residents/{drunen.resident_id}"
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        case = await sanne.get(f"/web/requests/{drunen.id}")
        assert f'href="{resident}"' in case.text and "Alle vragen van Mia" in case.text
        mine = await sanne.get(resident)
        assert mine.status_code == 200 and drunen.reference in mine.text
        assert vlijmen.reference not in mine.text and "En 1 vraag" in mine.text
        carla = await web.login(await web.staff(CARLA, "coordinatie", role=Role.coordinator))
        everything = await carla.get(resident)
        assert drunen.reference in everything.text and vlijmen.reference in everything.text
        vera = await web.login(await web.staff(VERA, "wijkteam_drunen", role=Role.volunteer))
        assert (await vera.get(resident)).status_code == 403
        pim = await web.login(await web.staff(PIM, "wijkteam_heusden"))
        refused = await pim.get(resident)
        assert refused.status_code == 403 and "Mia" not in refused.text
        assert (await sanne.get("/web/residents/999999")).status_code == 403
        async with db.session() as session:
            audit = list(await session.scalars(select(AuditEntry)))
        listed = [a for a in audit if a.detail == "via=web_resident"]
        assert len(listed) == 3  # Sanne's one request, Carla's two


async def test_staff_page_for_coordinators_only(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        sanne = await web.login(await web.staff(SANNE, "wijkteam_drunen"))
        carla = await web.login(await web.staff(CARLA, "coordinatie", role=Role.coordinator))
        assert (await sanne.get("/web/staff")).status_code == 403
        page = await carla.get("/web/staff")
        assert page.status_code == 200 and "Sanne" in page.text and "Wijkteam Drunen" in page.text
        assert "<td>coördinator</td>" in page.text and "<td>medewerker</td>" in page.text
        assert str(SANNE.id) not in page.text  # no Telegram ids on the page
