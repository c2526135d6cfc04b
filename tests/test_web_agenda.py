"""The agenda page: my planned calls; a coordinator sees everyone's, the open
telefooncirkel alerts and the phone rota."""

from __future__ import annotations

from pathlib import Path

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Role
from tests.calls_helpers import advance_to, claimed_case, local
from tests.web_helpers import web_app

JOOST = FakeUser(id=5202, first_name="Joost")
CARLA = FakeUser(id=5203, first_name="Carla")


async def test_agenda_mine_and_everyones(db: Database, tmp_path: Path) -> None:
    async with web_app(db, tmp_path) as web:
        sanne_chat, rid = await claimed_case(web.h)
        await sanne_chat.say("/plan HH-2026-00001 morgen 10:00")
        await sanne_chat.press("Inplannen")
        sanne = await web.login(sanne_chat)
        page = await sanne.get("/web/agenda")
        assert page.status_code == 200
        assert "05-05 10:00" in page.text and "Mia" in page.text
        assert f'href="/web/requests/{rid}"' in page.text
        assert "Telefonische bezetting" not in page.text  # the rota is for coordinators
        joost = await web.login(await web.staff(JOOST, "wijkteam_drunen"))
        mine = await joost.get("/web/agenda")
        assert "Geen belafspraken" in mine.text and "Mia" not in mine.text
        carla = await web.login(await web.staff(CARLA, "coordinatie", role=Role.coordinator))
        everyone = await carla.get("/web/agenda")
        assert "<h2>Sanne</h2>" in everyone.text and "05-05 10:00" in everyone.text
        assert "Geen open meldingen" in everyone.text and "Telefonische bezetting" in everyone.text
        assert 'href="/web/agenda"' in everyone.text  # in the menu
        # The call came due and its reminders went out; not done at 10:45: overdue.
        await advance_to(web.h, local(2026, 5, 5, 10, 0))
        await advance_to(web.h, local(2026, 5, 5, 10, 45))
        sanne = await web.login(sanne_chat)  # her session ended meanwhile (idle timeout)
        later = await sanne.get("/web/agenda")
        assert "05-05 10:00" in later.text and "nog niet afgerond" in later.text
