"""The guided first run: `helpline setup`, `helpline run` without groups, the first admin's
one-time code (`/start <code>`) and linking queue groups from Telegram (`/koppel`)."""

from __future__ import annotations

import asyncio
import importlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from helpline.cases.queue_groups import queue_chat, queue_groups
from helpline.first_run import code_hash, setup_state
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import AuditEntry, QueueChat, Role, SetupCode, Staff
from tests.bot_harness import Harness, complete_intake, running_app

GROUP = -1002000000001
OTHER_GROUP = -1002000000002
CARLA = FakeUser(id=5101, first_name="Carla")
ANNA = FakeUser(id=5102, first_name="Anna", last_name="de Wit")
MIA = FakeUser(id=5103, first_name="Mia")
TOKEN = "123456:abcdef-not-real"


async def say_in_group(h: Harness, user: FakeUser, text: str, chat_id: int = GROUP) -> str:
    """``user`` sends ``text`` in a group; returns the bot's newest answer there."""
    update = h.telegram.text(user, text, chat_id=chat_id, chat_type="supergroup", queue=False)
    await h.chat(user).feed(update)
    return str(h.telegram.last_sent(chat_id).get("text", ""))


async def linked(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return await repo.linked_queue_chats(session=session)


# --- /koppel ----------------------------------------------------------------------------


async def test_coordinator_links_the_coordinators_group_and_cards_go_there(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.queue_chats = {}  # a new line: only a token
        await h.add_staff(CARLA, role=Role.coordinator)
        answer = await say_in_group(h, CARLA, "/koppel coordinatie")
        assert "Gekoppeld" in answer and "Coördinatie" in answer
        assert "Nog zonder eigen groep" in answer  # the other queues are still to do
        assert await linked(db) == {"coordinatie": GROUP}
        # A queue without a group of its own posts to the coordinators' group.
        await complete_intake(h.chat(MIA), "Ik heb hulp nodig met boodschappen doen")
        card = h.telegram.last_sent(GROUP)
        assert "Oppakken" in str(card.get("reply_markup"))
        async with db.session() as session:
            [entry] = list(await session.scalars(select(QueueChat)))
        staff = await _staff(db, CARLA.id)
        assert entry.linked_by == staff.id
        async with db.session() as session:
            audited = list(await session.scalars(select(AuditEntry)))
        assert any(a.action == "queue_link" and a.actor_staff_id == staff.id for a in audited)


async def test_a_queue_gets_its_own_group(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.queue_chats = {}
        await h.add_staff(CARLA, role=Role.admin)
        await say_in_group(h, CARLA, "/koppel coordinatie")
        answer = await say_in_group(h, CARLA, "/koppel VRIJWILLIGERS", OTHER_GROUP)
        assert "Gekoppeld" in answer
        await complete_intake(h.chat(MIA), "Ik heb hulp nodig met boodschappen doen")
        assert queue_chat(h.services, "vrijwilligers") == OTHER_GROUP
        assert "Oppakken" in str(h.telegram.last_sent(OTHER_GROUP).get("reply_markup"))


REFUSALS = [
    # (who, role, where, command, answer part)
    ("resident", None, "group", "/koppel coordinatie", "alleen voor medewerkers"),
    ("staff", Role.staff, "group", "/koppel coordinatie", "alleen voor coördinatoren"),
    ("volunteer", Role.volunteer, "group", "/koppel coordinatie", "alleen voor coördinatoren"),
    ("coordinator", Role.coordinator, "private", "/koppel coordinatie", "niet in een privé"),
    ("coordinator", Role.coordinator, "group", "/koppel nergens", "kennen we niet: nergens"),
    ("coordinator", Role.coordinator, "group", "/koppel", "Stuur /koppel met de naam"),
    ("coordinator", Role.coordinator, "group", "/koppel a b", "Stuur /koppel met de naam"),
]


@pytest.mark.parametrize(
    ("who", "role", "where", "command", "expected"),
    REFUSALS,
    ids=[f"{r[0]}-{r[2]}-{r[3]}" for r in REFUSALS],
)
async def test_koppel_refusals_are_one_line_and_link_nothing(
    db: Database,
    tmp_path: Path,
    who: str,
    role: Role | None,
    where: str,
    command: str,
    expected: str,
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.queue_chats = {}
        if role is not None:
            await h.add_staff(CARLA, role=role)
        if where == "group":
            answer = await say_in_group(h, CARLA, command)
        else:
            chat = h.chat(CARLA)
            await chat.say(command)
            answer = chat.last_text()
        assert expected in answer
        assert "\n" not in answer, "a refusal is one line"
        assert await linked(db) == {}


async def test_a_resident_mid_intake_who_types_koppel_keeps_their_intake(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/start")
        await mia.press("akkoord")
        await mia.say("/koppel coordinatie")
        assert "eigen woorden" in mia.last_text()  # the intake's question again


async def test_queue_chats_setting_wins_over_koppel(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        fixed = h.group("coordinatie")
        h.services.settings.queue_chats = {"coordinatie": fixed}
        await h.add_staff(CARLA, role=Role.coordinator)
        answer = await say_in_group(h, CARLA, "/koppel coordinatie")
        assert "QUEUE_CHATS" in answer and "\n" not in answer
        assert await linked(db) == {}
        # A row made some other way still loses to the setting.
        async with db.session() as session:
            await repo.link_queue_chat(
                session=session, queue="coordinatie", chat_id=GROUP, staff_id=None, now=h.clock()
            )
        await queue_groups(db).refresh(force=True)
        assert queue_chat(h.services, "coordinatie") == fixed
        assert queue_chat(h.services, "belmaatjes") == fixed  # falls back to the triage queue


async def test_a_standby_sends_to_the_groups_the_other_instance_linked(
    db: Database, tmp_path: Path
) -> None:
    """Each instance has its own Database object (its own process); the rows are shared."""
    async with running_app(db, tmp_path) as h:
        h.services.settings.queue_chats = {}
        await h.add_staff(CARLA, role=Role.coordinator)
        await say_in_group(h, CARLA, "/koppel coordinatie")
    standby_db = Database(db.url)
    try:
        async with running_app(standby_db, tmp_path) as standby:
            standby.services.settings.queue_chats = {}
            await complete_intake(standby.chat(MIA), "Ik heb hulp nodig met boodschappen doen")
            assert "Oppakken" in str(standby.telegram.last_sent(GROUP).get("reply_markup"))
    finally:
        await standby_db.dispose()


async def test_a_change_by_another_process_is_seen_within_max_age(db: Database) -> None:
    from helpline.cases import queue_groups as module

    now = [0.0]
    groups = module.QueueGroups(db, monotonic=lambda: now[0])
    await groups.refresh()
    assert groups.linked == {}
    async with db.session() as session:  # as another instance would
        await repo.link_queue_chat(
            session=session, queue="aanbod", chat_id=GROUP, staff_id=None, now=datetime.now(UTC)
        )
    now[0] += module.MAX_AGE / 2
    await groups.refresh()
    assert groups.linked == {}, "still the copy loaded before"
    now[0] += module.MAX_AGE
    await groups.refresh()
    assert groups.linked == {"aanbod": GROUP}


# --- The first admin: /start <code> -------------------------------------------------------


async def _code(h: Harness) -> str:
    state = await setup_state(h.services.db, h.services.settings, h.services.config, now=h.clock())
    assert state.code is not None
    return state.code


async def _staff(db: Database, telegram_id: int) -> Staff:
    async with db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=telegram_id)
    assert staff is not None
    return staff


async def test_first_admin_registers_with_the_console_code(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        code = await _code(h)
        anna = h.chat(ANNA)
        await anna.say(f"/start {code.lower()}")  # typed on a phone: any letter case
        assert "beheerder" in anna.last_text() and "/koppel coordinatie" in anna.last_text()
        admin = await _staff(db, ANNA.id)
        assert (admin.role, admin.name) == (Role.admin, "Anna de Wit")
        async with db.session() as session:
            assert await repo.staff_queues(session=session, staff_id=admin.id or 0) == [
                "coordinatie"
            ]
            [audit] = list(await session.scalars(select(AuditEntry)))
            rows = list(await session.scalars(select(SetupCode)))
        assert (audit.action, audit.actor_staff_id) == ("role_add", admin.id)
        # Stored hashed, and used.
        assert [r.code_hash for r in rows] == [code_hash(code)] and code not in str(vars(rows[0]))
        assert rows[0].used_by == ANNA.id
        # The new admin may link the coordinators' group at once.
        h.services.settings.queue_chats = {}
        assert "Gekoppeld" in await say_in_group(h, ANNA, "/koppel coordinatie")


async def test_the_code_works_once(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        code = await _code(h)
        await h.chat(ANNA).say(f"/start {code}")
        eve = h.chat(FakeUser(id=5199, first_name="Eve"))
        await eve.say(f"/start {code}")
        # An admin exists now: /start with anything is an ordinary start (the greeting).
        assert "Goedendag" in eve.last_text()
        async with db.session() as session:
            assert await repo.get_staff(session=session, telegram_user_id=5199) is None


async def test_an_expired_or_replaced_code_does_not_work(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        old = await _code(h)
        newer = await _code(h)  # printing a new code voids the old one
        anna = h.chat(ANNA)
        await anna.say(f"/start {old}")
        assert "werkt niet" in anna.last_text() and "helpline setup" in anna.last_text()
        h.clock.advance(minutes=61)
        await anna.say(f"/start {newer}")
        assert "werkt niet" in anna.last_text()
        async with db.session() as session:
            assert not await repo.admin_exists(session=session)
            assert await repo.get_staff(session=session, telegram_user_id=ANNA.id) is None


async def test_no_code_once_there_is_an_admin(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        code = await _code(h)
        await h.add_staff(CARLA, role=Role.admin)  # e.g. with `helpline staff add`
        state = await setup_state(
            h.services.db, h.services.settings, h.services.config, now=h.clock()
        )
        assert state.admin and state.code is None
        anna = h.chat(ANNA)
        await anna.say(f"/start {code}")
        assert "Goedendag" in anna.last_text()
        async with db.session() as session:
            assert await repo.get_staff(session=session, telegram_user_id=ANNA.id) is None


async def test_a_staff_member_with_the_code_becomes_admin(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        code = await _code(h)
        await h.add_staff(CARLA, "belmaatjes", role=Role.coordinator)
        await h.chat(CARLA).say(f"/start {code}")
        carla = await _staff(db, CARLA.id)
        assert carla.role == Role.admin
        async with db.session() as session:
            assert await repo.staff_queues(session=session, staff_id=carla.id or 0) == [
                "belmaatjes"
            ]
            [audit] = list(await session.scalars(select(AuditEntry)))
        assert audit.action == "role_change"


# --- The console: helpline setup and helpline run ------------------------------------------


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("TELEGRAM_BOT_TOKEN", "QUEUE_CHATS", "TIME_ZONE", "FLOWS_DIR", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


async def invoke(*args: str) -> Result:
    from helpline.cli import app

    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def printed_code(output: str) -> str:
    match = re.search(r"/start ([A-Z0-9]{12})\b", output)
    assert match, output
    return match.group(1)


async def test_setup_without_a_token_explains_botfather(cli_env: Path) -> None:
    result = await invoke("setup")
    assert result.exit_code == 0, result.output
    assert "@BotFather" in result.output and "/newbot" in result.output
    assert "TELEGRAM_BOT_TOKEN=" in result.output


async def test_setup_prints_the_steps_and_a_working_code(
    cli_env: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    result = await invoke("setup")
    assert result.exit_code == 0, result.output
    code = printed_code(result.output)
    for step in ("/koppel coordinatie", "/koppel belmaatjes", "helpline staff add", "/start"):
        assert step in result.output
    async with db.session() as session:
        [row] = list(await session.scalars(select(SetupCode)))
    assert row.code_hash == code_hash(code) and row.used_at is None
    assert row.expires_at - row.created_at == timedelta(minutes=60)


async def test_run_with_only_a_token_starts_and_prints_the_guide(
    cli_env: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to refuse: "setting QUEUE_CHATS: give the Telegram group of ..."."""
    import gc

    cli = importlib.import_module("helpline.cli")
    served: list[bool] = []
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setattr(cli, "_serve", lambda *a, **k: served.append(True))
    try:
        result = await invoke("run")
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert served, "the bot was not started"
    assert "starts anyway" in result.output and "/koppel coordinatie" in result.output
    assert "crisis alerts and queue cards reach no one" in result.output
    code = printed_code(result.output)
    async with db.session() as session:
        assert [r.code_hash for r in await session.scalars(select(SetupCode))] == [code_hash(code)]


async def test_run_on_a_line_set_up_prints_no_guide(
    cli_env: Path, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    cli = importlib.import_module("helpline.cli")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setattr(cli, "_serve", lambda *a, **k: None)
    async with db.session() as session:
        await repo.add_staff(
            session=session, telegram_user_id=1, name="A", role=Role.admin, queues=[]
        )
        await repo.link_queue_chat(
            session=session,
            queue="coordinatie",
            chat_id=GROUP,
            staff_id=None,
            now=datetime.now(UTC),
        )
    try:
        result = await invoke("run")
    finally:
        gc.unfreeze()
    assert result.exit_code == 0, result.output
    assert "/start" not in result.output and "not fully set up" not in result.output
    async with db.session() as session:
        assert list(await session.scalars(select(SetupCode))) == []


def test_migration_revision_ids() -> None:
    migration = importlib.import_module("storage.migrations.versions.0007_queue_chats")
    assert migration.revision == "0007_queue_chats"
    assert migration.down_revision == "0006_triage_safety"
