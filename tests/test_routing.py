"""Routing (DESIGN.md, default Heusden): which queue takes a request."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from flows.config import load_config
from flows.routing import route
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Request
from tests.bot_harness import running_app

CONFIG = load_config()


@pytest.mark.parametrize(
    ("category", "village", "urgency", "queue"),
    [
        ("boodschappen", "drunen", "normal", "vrijwilligers"),  # practical help
        ("huisdier", None, "normal", "vrijwilligers"),
        ("praatje", "vlijmen", "normal", "belmaatjes"),  # a chat
        ("eenzaamheid", "herpt", "normal", "belmaatjes"),  # loneliness
        ("hulpaanbod", "drunen", "normal", "aanbod"),  # an offer of help
        ("geldzaken", "drunen", "normal", "wijkteam_drunen"),  # the village's wijkteam
        ("geldzaken", "elshout", "normal", "wijkteam_drunen"),
        ("formulieren", "nieuwkuijk", "normal", "wijkteam_vlijmen"),
        ("formulieren", "haarsteeg", "normal", "wijkteam_vlijmen"),
        ("zorg", "oudheusden", "normal", "wijkteam_heusden"),
        ("zorg", "heesbeen", "normal", "wijkteam_heusden"),
        ("geldzaken", "other", "normal", "coordinatie"),  # unknown village
        ("geldzaken", None, "normal", "coordinatie"),
        ("boodschappen", "drunen", "crisis", "coordinatie"),  # crisis, whatever the topic
        ("huiselijk_geweld", "vlijmen", "urgent", "wijkteam_vlijmen"),
    ],
)
def test_route(category: str, village: str | None, urgency: str, queue: str) -> None:
    assert route(CONFIG, category=category, village=village, urgency=urgency) == queue


async def test_somewhere_else_goes_to_the_coordinators(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(FakeUser(4001, "Mia"))
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say("Ik krijg brieven van de belasting en snap het formulier niet")
        await mia.press("Ja")
        await mia.press("Andere plaats")
        await mia.say("0612345678")
        await mia.press("Ochtend")
        await mia.press("Versturen")
        async with db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        assert (request.queue, request.village) == ("coordinatie", None)
        assert request.reference in h.telegram.last_sent(h.group("coordinatie"))["text"]
