"""Every staff command, sent by every role and by a resident: the permission table decides.

Allowed roles get the feature's own answer; everyone else a refusal that reveals nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Role
from tests.bot_harness import complete_intake, running_app

LEADS = {Role.coordinator, Role.admin}
WORKERS = {Role.staff, *LEADS}
EVERYONE = set(Role)
# command → the roles that may use it (flows/permissions.py)
COMMANDS = {
    "/wachtrij": EVERYONE,
    "/queue": EVERYONE,
    "/mijn": EVERYONE,
    "/log": EVERYONE,
    "/nieuw": WORKERS,
    "/staf": LEADS,
    "/rapport 2026": LEADS,
}
WHO = [*Role, None]  # None: a resident, not registered as staff


def refusals(texts) -> set[str]:  # type: ignore[no-untyped-def]
    keys = ("not_staff_command", "leads_only", "not_for_volunteers", "report_not_allowed")
    return {texts(k, "nl") for k in keys}


@pytest.mark.parametrize("who", WHO, ids=[str(w) if w else "resident" for w in WHO])
async def test_every_staff_command_follows_the_permission_table(
    db: Database, tmp_path: Path, who: Role | None
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(
            h.chat(FakeUser(id=4001, first_name="Mia")),
            "Ik krijg brieven van de belasting en snap het formulier niet",
        )
        user = FakeUser(id=6001, first_name="Eve")
        chat = await h.add_staff(user, "wijkteam_drunen", role=who) if who else h.chat(user)
        refused = refusals(h.services.texts)
        for command, roles in COMMANDS.items():
            before = len(h.telegram.sent(user.id))
            await chat.say(command)
            answers = [m.get("text", "") for m in h.telegram.sent(user.id)[before:]]
            documents = [m for m in h.telegram.sent(user.id)[before:] if "document" in m]
            assert answers or documents, f"{command}: silence for {who}"
            if who in roles:
                assert not refused & set(answers), f"{command} refused for {who}: {answers}"
            else:
                assert answers == [a for a in answers if a in refused], f"{command} for {who}"
                assert not documents and "Mia" not in " ".join(answers)


def labels_of(message: dict) -> list[str]:  # type: ignore[type-arg]
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_a_volunteer_is_not_shown_a_handover_they_may_not_do(
    db: Database, tmp_path: Path
) -> None:
    from sqlmodel import select

    from storage.models import Handover

    async with running_app(db, tmp_path) as h:
        await complete_intake(
            h.chat(FakeUser(id=4001, first_name="Mia")), "Kan iemand boodschappen voor mij doen?"
        )
        vera_user = FakeUser(id=5009, first_name="Vera")
        vera = await h.add_staff(vera_user, "vrijwilligers", role=Role.volunteer)
        await vera.press("Oppakken", chat_id=h.group("vrijwilligers"))
        after_claim = labels_of(h.telegram.last_sent(vera_user.id))
        assert any("Nummer" in label for label in after_claim)
        assert not any("Overdragen" in label for label in after_claim)
        await vera.say("/mijn")
        mine = labels_of(h.telegram.last_sent(vera_user.id))
        assert not any("Overdragen" in label for label in mine)
        assert any("Nummer" in label for label in mine), "the same buttons as after the claim"
        message = h.telegram.last_sent(vera_user.id)
        await vera.feed(h.telegram.press(vera_user, message, "case:handover:1", queue=False))
        assert h.telegram.callback_answers()[-1].get("text"), "a forged press is refused"
        async with db.session() as session:
            assert list(await session.scalars(select(Handover))) == []
