"""Asterisk AMI: recorded event streams become call events (pure), and over a real TCP
connection to a fake manager the pops, the answer and the logged contact arrive as from
the webhooks; a refused login and a restarted Asterisk are handled."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

import helpline.ami as ami_module
from flows.ami import AmiTracker, extension_of
from flows.telephony import CallEventKind
from helpline.ami import start_ami, stop_ami
from helpline.settings import Settings
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Request, Role
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall
from tests.ami_server import FakeAmi, ami_fixture
from tests.bot_harness import Harness, running_app

NOW = datetime(2026, 5, 4, 7, 30, tzinfo=UTC)
SANNE = FakeUser(id=5001, first_name="Sanne")


def message(block: str) -> dict[str, str]:
    fields = {}
    for line in block.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def replay(tracker: AmiTracker, name: str) -> list[tuple[str, str | None, str | None]]:
    events = [tracker.feed(message(block), NOW) for block in ami_fixture(name)]
    return [(e.event, e.answered_by, e.cause) for e in events if e is not None]


def test_an_answered_call_rings_is_answered_by_the_extension_and_ends_normally() -> None:
    tracker = AmiTracker()
    assert replay(tracker, "ami_answered.txt") == [
        (CallEventKind.ringing, None, None),
        (CallEventKind.answered, "201", None),
        (CallEventKind.ended, "201", "normalClearing"),
    ]
    first = tracker.feed(message(ami_fixture("ami_answered.txt")[0]), NOW)
    assert first is not None  # the same call id again is a new call only after its end
    assert first.from_number == "+31612345678" and first.to_number == "+31416123456"
    assert (first.provider, first.call_id, first.direction) == ("ami", "1764756000.101", "inbound")


def test_a_caller_who_gives_up_is_a_cancel_and_internal_calls_are_ignored() -> None:
    tracker = AmiTracker()
    assert replay(tracker, "ami_missed.txt") == [
        (CallEventKind.ringing, None, None),
        (CallEventKind.ended, None, "cancel"),
    ]
    assert replay(tracker, "ami_internal.txt") == []  # from-internal: not the line's calls
    assert replay(AmiTracker(["from-pstn"]), "ami_answered.txt") == []  # another context


def test_causes_odd_events_and_channel_names() -> None:
    tracker = AmiTracker()
    ring = {"Event": "Newchannel", "Context": "from-trunk", "CallerIDNum": "anonymous"}
    assert tracker.feed({**ring, "Uniqueid": "1.1", "Linkedid": "1.1"}, NOW) is not None
    busy = tracker.feed(
        {"Event": "Hangup", "Uniqueid": "1.1", "Linkedid": "1.1", "Cause": "17"}, NOW
    )
    assert busy is not None and busy.cause == "busy" and busy.from_number is None
    assert tracker.feed({"Event": "Hangup", "Uniqueid": "1.1", "Linkedid": "1.1"}, NOW) is None
    assert tracker.feed({"Event": "Hangup", "Uniqueid": "9.9", "Cause": "x"}, NOW) is None
    assert tracker.feed({**ring, "Uniqueid": "x" * 300}, NOW) is None
    assert tracker.feed({"Event": "Newchannel"}, NOW) is None
    assert tracker.feed({**ring, "Uniqueid": "2.1", "Linkedid": "2.1"}, NOW) is not None
    odd = tracker.feed({"Event": "Hangup", "Uniqueid": "2.1", "Cause": "forty"}, NOW)
    assert odd is not None and odd.cause == "cancel"
    assert extension_of("PJSIP/201-00000002") == "201"
    assert extension_of("Local/201@from-queue-00000001;2") == "201"
    assert extension_of("SIP/kees-laptop-0000abcd") == "kees-laptop"
    assert extension_of("nonsense") is None


def test_ami_url_is_checked_in_the_settings(tmp_path: Path) -> None:
    base = {"HELPLINE_DATA_DIR": tmp_path, "telegram_bot_token": None}
    assert (
        Settings(**base, ami_url="ami://helpline@pbx.local").ami_url == "ami://helpline@pbx.local"
    )
    with pytest.raises(ValueError, match="ami://"):
        Settings(**base, ami_url="http://pbx.local:5038")
    with pytest.raises(ValueError, match="password"):
        Settings(**base, ami_url="ami://helpline:geheim@pbx.local")


async def wait_for(check, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def calls_in(h: Harness, state: str) -> int:
    async with h.services.db.session() as session:
        return len([c for c in await session.scalars(select(PhoneCall)) if c.state == state])


async def line_with_ami(h: Harness, server: FakeAmi, secret: str = "ami-geheim") -> None:
    h.services.settings.ami_url = f"ami://helpline@127.0.0.1:{server.port}"
    h.services.settings.ami_secret = SecretStr(secret)
    await h.add_staff(SANNE, "coordinatie", role=Role.coordinator)
    async with h.services.db.session() as session:
        row = await repo.get_staff(session=session, telegram_user_id=SANNE.id)
        assert row is not None and row.id is not None
        await set_phone_extension(session=session, staff_id=row.id, extension="201")


async def test_asterisk_events_pop_answer_and_log_over_a_real_connection(
    db: Database, tmp_path: Path
) -> None:
    server = FakeAmi("helpline", "ami-geheim")
    await server.start()
    async with running_app(db, tmp_path) as h:
        await line_with_ami(h, server)  # Monday 09:30: opening hours, coordinatie pops
        listener = await start_ami(h.app)
        assert listener is not None
        await wait_for(lambda: asyncio.sleep(0, result=server.connected == 1))
        blocks = ami_fixture("ami_answered.txt")
        await server.play(blocks[:1])  # ringing
        await wait_for(lambda: calls_in(h, "ringing"))
        await h.services.dispatcher.run_once(h.app.bot)
        assert "📞 Inkomend gesprek — 06 12345678" in h.telegram.last_sent(SANNE.id)["text"]
        await server.play(blocks[1:])  # answered by 201, hung up
        await wait_for(lambda: calls_in(h, "ended"))
        await h.services.dispatcher.run_once(h.app.bot)
        pop = next(m for m in h.telegram.sent(SANNE.id) if "Inkomend" in m["text"])
        assert "Opgenomen door Sanne" in pop["text"]  # edited in place
        assert "Wat was het?" in h.telegram.last_sent(SANNE.id)["text"]
        await server.play(ami_fixture("ami_missed.txt"))
        await wait_for(lambda: calls_in(h, "missed"))
        await stop_ami(h.app)
        await stop_ami(h.app)  # twice is fine
        async with db.session() as session:
            [contact] = list(
                await session.scalars(select(Contact).where(Contact.channel == "phone"))
            )
            [callback] = list(await session.scalars(select(Request)))
            missed = await session.scalar(select(PhoneCall).where(PhoneCall.state == "missed"))
        assert contact.direction == "inbound" and contact.event == "call"
        assert missed is not None and missed.callback_request_id == callback.id
        assert callback.queue == "coordinatie"  # 📞 Terugbellen, in the telephony queue
        assert listener.handled == 5
    await server.stop()


async def test_a_refused_login_is_said_and_a_restarted_asterisk_is_reconnected(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ami_module, "RECONNECT_SECONDS", 1)
    caplog.set_level(logging.DEBUG)  # panoramisk's own DEBUG lines would carry caller ids
    server = FakeAmi("helpline", "ami-geheim")
    await server.start()
    async with running_app(db, tmp_path) as h:
        await line_with_ami(h, server, secret="wrong")
        await start_ami(h.app)
        await wait_for(lambda: asyncio.sleep(0, result=bool(server.logins)))
        await asyncio.sleep(0.1)
        assert server.logins[0] is False
        assert "AMI: login refused" in caplog.text and "wrong" not in caplog.text
        await stop_ami(h.app)
        # The right secret; then Asterisk restarts on the same port mid-way.
        h.services.settings.ami_secret = SecretStr("ami-geheim")
        await start_ami(h.app)
        await wait_for(lambda: asyncio.sleep(0, result=server.connected == 1))
        port = server.port
        await server.stop()
        restarted = FakeAmi("helpline", "ami-geheim")
        await restarted.start(port)
        await wait_for(lambda: asyncio.sleep(0, result=restarted.connected == 1), seconds=15)
        await restarted.play(ami_fixture("ami_answered.txt"))
        await wait_for(lambda: calls_in(h, "ended"))
        await stop_ami(h.app)
        await restarted.stop()
    assert "0612345678" not in caplog.text and "612345678" not in caplog.text
