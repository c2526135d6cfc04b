"""``helpline demo``: the whole path without a token or network.

A resident does an intake, the card appears in the wijkteam's group and a staff
member claims it — all through the real application against the in-process fake
Bot API — and the transcript is printed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from helpline.app import build_application, build_services
from helpline.scripted import ScriptedChat
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from storage import repository as repo
from storage.migrate import upgrade
from storage.models import Role

DEMO_GROUP_BASE = -1001000000000


async def run_demo(echo: bool = True) -> list[str]:
    """Plays the scripted intake and claim; returns (and prints) the transcript."""
    telegram = FakeTelegram()
    with tempfile.TemporaryDirectory(prefix="helpline-demo-") as tmp:
        settings = Settings(
            telegram_bot_token=None,
            HELPLINE_DATA_DIR=Path(tmp),
            database_url=None,
            # The script is written for the Heusden configuration and its own groups.
            flows_dir=None,
            queue_chats={},
        )
        services = build_services(settings)
        settings.queue_chats = {
            queue: DEMO_GROUP_BASE - n for n, queue in enumerate(services.config.queues)
        }
        await upgrade(services.db)
        staff_user = FakeUser(id=5001, first_name="Sanne")
        async with services.db.session() as session:
            await repo.add_staff(
                session=session,
                telegram_user_id=staff_user.id,
                name="Sanne",
                role=Role.staff,
                queues=["wijkteam_drunen"],
            )
        app = build_application(
            settings, request=FakeRequest(telegram), services=services, rate_limit=False
        )
        resident = ScriptedChat(app, telegram, FakeUser(id=4242, first_name="Mia"))
        staff = ScriptedChat(app, telegram, staff_user)
        async with app:
            await staff.say("/start")
            await resident.say("/start")
            await resident.press("akkoord")
            await resident.say(
                "Ik krijg steeds brieven van de belastingdienst en ik snap er niks van. "
                "Kan iemand mij helpen met het formulier?"
            )
            await resident.press("Ja")
            await resident.press("Drunen")
            await resident.share_contact("+31612345678")
            await resident.press("Ochtend")
            await resident.press("Versturen")
            group = settings.queue_chats["wijkteam_drunen"]
            await staff.press("Oppakken", chat_id=group)
    lines = telegram.transcript()
    if echo:
        for line in lines:
            print(line)
    return lines
