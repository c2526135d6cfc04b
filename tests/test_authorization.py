"""Every staff handler pressed by those who may not: refused, nothing shown, nothing changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select
from telegram.ext import CallbackQueryHandler, CommandHandler

from flows.permissions import ACTIONS, Relation, Role, allowed
from helpline.scripted import ScriptedChat
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Contact, Handover, Request
from storage.models import Role as StoredRole
from tests.bot_harness import Harness, complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mia")
QUESTION = "Ik krijg brieven van de belasting en snap het formulier niet"

# Every staff callback, as it would be pressed (ids filled in per test).
STAFF_CALLBACKS = [
    "req:claim:{rid}",
    "case:write:{rid}",
    "case:resolve:{rid}",
    "case:out_direct_opgelost:{rid}",
    "case:out_doorverwezen:{rid}",
    "case:ref_voedselbank:{rid}",
    "case:release:{rid}",
    "case:rel_no_time:{rid}",
    "case:handover:{rid}",
    "case:ho_wijkteam_heusden:{rid}",
    "ho:accept:{hid}",
    "ho:decline:{hid}",
    "hd:to_any:{hid}",
    "hd:nonote:{hid}",
    "hd:consent:{hid}",
    "hd:safety:{hid}",
    "hd:stop:{hid}",
    "case:cat:{rid}",
    "case:setcat_a_b:{rid}",
    "case:miss_crisis:{rid}",
    "case:rfn_voedselbank:{rid}",
    "case:rfc_voedselbank:{rid}",
    "case:rfs_voedselbank:{rid}",
    "log:pick:{rid}",
    "log:call_reached:{rid}",
    "pi:channel:phone",
    # Follow-up calls (issue 5); call and alert ids are the request id here (real ones:
    # tests/test_calls_handlers.py).
    "call:new:{rid}",
    "call:pick:{rid}:tom_am",
    "call:ok:{rid}",
    "call:done:{rid}",
    "cal:do:{rid}:other",
    "cr:nofit:{rid}",
    # Data rights: a coordinator approves or refuses an erasure (the id is the erasure's).
    "pv:approve:{rid}",
    "pv:refuse:{rid}",
    # The phone line: after an answered call (the id is the phone call's).
    "tel:new:{rid}",
    "tel:info:{rid}",
    "tel:link_{rid}:{rid}",
    "tel:cat_geldzaken:{rid}",
    "case:dial:{rid}",
]
# The resident's own buttons and commands: not staff actions, but listed so that every
# registered handler is in one of the tables.
RESIDENT_CALLBACKS = ["in:consent:yes", "sat:grade:1:5", "sat:optout:1", "pv:forget:yes"]
RESIDENT_CALLBACKS += ["risk:yes:0", "risk:no:0"]
RESIDENT_COMMANDS = ["/start", "/stop", "/help", "/mijngegevens", "/mydata", "/vergeetmij"]
RESIDENT_COMMANDS += ["/forgetme"]
# Handlers without a pattern or command, by callback: what they take (where they are tested).
OTHER_HANDLERS = {
    "_impossible_id": "button data with an id beyond any row: answered (test_fuzz_updates)",
    "_stale_button": "any other button data: answered, nothing done (test_fuzz_updates)",
    "_private_update": "private messages: the staff relay, else the resident (test_casework)",
    "prompt_input": "a staff member's typed answer to an open call prompt (test_calls_handlers)",
    "refresh_queue_groups": "every update: re-reads the linked queue groups (test_setup)",
}
STAFF_COMMANDS = [
    "/wachtrij",
    "/queue",
    "/mijn",
    "/log",
    "/nieuw",
    "/staf add 6001 admin - Eve",
    "/rapport 2026",
    "/audit",
    "/plan",
    "/agenda",
    "/beschikbaar",
    "/contactpersoon",
    "/koppel coordinatie",
    "/rooster",
    "/rota add Eve mon 09:00-12:00",
    "/inloggen",
    "/login",
]


def _row(row: object) -> dict[str, object]:
    return {k: v for k, v in vars(row).items() if not k.startswith("_")}


async def snapshot(db: Database) -> list[object]:
    async with db.session() as session:
        requests = [_row(r) for r in await session.scalars(select(Request))]
        handovers = [_row(h) for h in await session.scalars(select(Handover))]
        contacts = len(list(await session.scalars(select(Contact))))
    return [requests, handovers, contacts]


async def setup_case(h: Harness) -> tuple[int, int]:
    """Mia's request, held by Sanne, with a pending handover to wijkteam_vlijmen."""
    await complete_intake(h.chat(MIA), QUESTION)
    sanne = await h.add_staff(FakeUser(id=5001, first_name="Sanne"), "wijkteam_drunen")
    await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
    await sanne.press("Overdragen")
    await sanne.press("Wijkteam Vlijmen")
    await sanne.press("Iedereen van")
    await sanne.press("gaf toestemming")
    await sanne.press("Geen notitie")
    async with h.services.db.session() as session:
        [request] = list(await session.scalars(select(Request)))
        [handover] = list(await session.scalars(select(Handover)))
    assert request.id is not None and handover.id is not None
    return request.id, handover.id


def test_every_registered_staff_handler_is_in_the_table(db: Database, tmp_path: Path) -> None:
    """A new button, command or handler cannot be added without joining these tables.

    Every handler of the built application, in every handler group: a button pattern
    must match a sample in STAFF_CALLBACKS (pressed by outsiders below) or
    RESIDENT_CALLBACKS; a command must be in STAFF_COMMANDS or RESIDENT_COMMANDS;
    anything else must be named in OTHER_HANDLERS.
    """
    from helpline.app import build_application
    from tests.bot_harness import make_settings

    app = build_application(make_settings(tmp_path, db.url, []), rate_limit=False)
    staff = [c.format(rid=1, hid=1) for c in STAFF_CALLBACKS]
    named = {c.split()[0] for c in STAFF_COMMANDS}
    missing = []
    for group, handlers in sorted(app.handlers.items()):
        for handler in handlers:
            name = getattr(handler.callback, "__name__", repr(handler.callback))
            pattern = getattr(handler, "pattern", None)
            if name in OTHER_HANDLERS:
                continue
            if isinstance(handler, CallbackQueryHandler) and pattern is not None:
                regex = pattern.pattern
                if not any(re.match(regex, s) for s in staff + RESIDENT_CALLBACKS):
                    missing.append(f"group {group}: button {regex} ({name})")
            elif isinstance(handler, CommandHandler):
                unknown = {f"/{c}" for c in handler.commands} - named - set(RESIDENT_COMMANDS)
                missing += [f"group {group}: command {c} ({name})" for c in sorted(unknown)]
            elif name not in OTHER_HANDLERS:
                missing.append(f"group {group}: {type(handler).__name__} {name}")
    assert not missing, "handlers missing from the tables:\n" + "\n".join(missing)


OUTSIDERS = [
    ("non-staff", None, ()),
    ("volunteer other queue", StoredRole.volunteer, ("belmaatjes",)),
    ("staff other queue", StoredRole.staff, ("wijkteam_heusden",)),
]


@pytest.mark.parametrize(("who", "role", "queues"), OUTSIDERS, ids=[o[0] for o in OUTSIDERS])
async def test_outsiders_are_refused_everything(
    db: Database, tmp_path: Path, who: str, role: StoredRole | None, queues: tuple[str, ...]
) -> None:
    async with running_app(db, tmp_path) as h:
        request_id, handover_id = await setup_case(h)
        user = FakeUser(id=6001, first_name="Eve")
        eve = (
            await h.add_staff(user, *queues, role=role)
            if role
            else ScriptedChat(h.app, h.telegram, user)
        )
        before = await snapshot(db)
        group = h.group("wijkteam_drunen")
        card = h.telegram.last_sent(group)
        for template in STAFF_CALLBACKS:
            data = template.format(rid=request_id, hid=handover_id)
            await eve.feed(h.telegram.press(user, card, data, queue=False))
        for command in STAFF_COMMANDS:
            await eve.say(command)
        assert await snapshot(db) == before, f"{who} changed something"
        seen = " ".join(m.get("text", "") for m in h.telegram.sent(user.id))
        assert "Mia" not in seen and QUESTION not in seen and "HH-2026" not in seen
        answers = [
            a.get("text", "") for a in h.telegram.callback_answers()[-len(STAFF_CALLBACKS) :]
        ]
        assert all(answers), "every refused press gets an answer"
        assert not any("Mia" in a or "12345678" in a for a in answers), "an answer told"


async def test_queue_member_who_is_not_holder_cannot_act_on_case(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        request_id, _ = await setup_case(h)
        colleague_user = FakeUser(id=6002, first_name="Kim")
        colleague = await h.add_staff(colleague_user, "wijkteam_drunen")
        before = await snapshot(db)
        card = h.telegram.last_sent(h.group("wijkteam_drunen"))
        for template in STAFF_CALLBACKS[1:10]:  # the holder's case buttons
            data = template.format(rid=request_id, hid=0)
            await colleague.feed(h.telegram.press(colleague_user, card, data, queue=False))
        assert await snapshot(db) == before
        assert QUESTION not in " ".join(m["text"] for m in h.telegram.sent(colleague_user.id))


REQUEST_ACTIONS = sorted(a for a, rule in ACTIONS.items() if rule.relations - {Relation.none})


@pytest.mark.parametrize("action", REQUEST_ACTIONS)
def test_volunteers_and_staff_may_not_act_on_other_peoples_requests(action: str) -> None:
    for role in (Role.volunteer, Role.staff):
        assert not allowed(role, action, Relation.outsider)


def test_unknown_action_or_role_is_refused() -> None:
    assert not allowed("coordinator", "launch_rockets")
    assert not allowed("superuser", "claim", Relation.in_queue)


LONELY = "Ik ben vaak alleen en zou het fijn vinden als iemand mij af en toe belt"
# What a role may not do even with the request in hand (flows.permissions: handover and
# /nieuw are for staff and up; /staf, /audit, /rapport and call alerts for coordinators).
ROLE_REFUSALS = [
    ("volunteer holder", StoredRole.volunteer, ["case:handover:{rid}", "case:ho_aanbod:{rid}"]),
    ("staff holder", StoredRole.staff, ["cal:do:{rid}:other", "cal:close:{rid}"]),
]
LEADS_ONLY = ["/staf list", "/staf add 6009 admin - Bob", "/audit", "/rapport 2026"]
LEADS_ONLY += ["/koppel coordinatie", "/rooster", "/rooster plus Vera ma 09:00-12:00"]


@pytest.mark.parametrize(
    ("who", "role", "presses"), ROLE_REFUSALS, ids=[r[0] for r in ROLE_REFUSALS]
)
async def test_holder_with_too_low_a_role_is_refused(
    db: Database, tmp_path: Path, who: str, role: StoredRole, presses: list[str]
) -> None:
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), LONELY)
        async with h.services.db.session() as session:
            [request] = list(await session.scalars(select(Request)))
        user = FakeUser(id=6005, first_name="Vera")
        holder = await h.add_staff(user, request.queue, role=role)
        await holder.press("Oppakken", chat_id=h.group(request.queue))
        before = await snapshot(db)
        async with h.services.db.session() as session:
            claimed = (await session.get(Request, request.id)) or request
        assert claimed.claimed_by is not None, "the holder really holds it"
        card = h.telegram.last_sent(user.id)
        for data in presses:
            await holder.feed(
                h.telegram.press(user, card, data.format(rid=request.id), queue=False)
            )
        commands = LEADS_ONLY + (["/nieuw"] if role == StoredRole.volunteer else [])
        for command in commands:
            await holder.say(command)
        assert await snapshot(db) == before, f"a {who} changed something"
        replies = [m.get("text", "") for m in h.telegram.sent(user.id)][-len(commands) :]
        assert all(replies), "every refused command gets an answer"
        assert not any("6009" in r or "Bob" in r for r in replies)
        answers = [a.get("text", "") for a in h.telegram.callback_answers()[-len(presses) :]]
        assert all(answers), "every refused press gets an answer"


# Commands whose answer names residents: in a group, only a pointer to the private chat.
PRIVATE_ONLY_COMMANDS = ["/wachtrij", "/queue", "/mijn", "/agenda", "/log", "/plan", "/audit"]
PRIVATE_ONLY_COMMANDS += ["/contactpersoon", "/nieuw"]
PRIVATE_ONLY_COMMANDS += ["/inloggen", "/login"]  # a login link read by others lets them in


async def test_personal_data_never_goes_to_a_group_chat(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        await setup_case(h)  # Mia's request, claimed by a holder
        user = FakeUser(id=6003, first_name="Tom")
        tom = await h.add_staff(user, "wijkteam_drunen", role=StoredRole.coordinator)
        await tom.say("/wachtrij")  # in private the coordinator sees the queue
        group = h.group("wijkteam_drunen")
        before = len(h.telegram.sent(group))
        for command in PRIVATE_ONLY_COMMANDS:
            update = h.telegram.text(user, command, chat_id=group, chat_type="group", queue=False)
            await tom.feed(update)
        answers = [m.get("text", "") for m in h.telegram.sent(group)[before:]]
        assert len(answers) == len(PRIVATE_ONLY_COMMANDS), "every command gets an answer"
        assert all("privé" in a for a in answers), answers
        assert not any("Mia" in a or "HH-2026" in a for a in answers)
