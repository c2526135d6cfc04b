"""Email end to end against real servers on 127.0.0.1: Debian's dovecot (IMAP, started
here as an unprivileged instance with its own configuration) and aiosmtpd (SMTP).

A message APPENDed to the mailbox becomes a card in the queue group through the fake
Bot API, the auto-reply reaches the SMTP server with the reference in its subject, and
the message is \\Seen only after its request was committed; delivered twice, it makes
one request; a failure before the commit or before \\Seen loses nothing and doubles
nothing. Skipped only when dovecot is not installed (``bash .ci/install-mail``).
"""

from __future__ import annotations

import asyncio
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import col

import helpline.mail.reader as reader_module
from helpline.channels import MAIL_KEY
from helpline.mail.reader import MailReader
from helpline.testing import FakeUser
from storage.email_models import EmailOutbox
from storage.models import Contact, Request
from tests.bot_harness import Harness, running_app

DOVECOT = "/usr/sbin/dovecot"
DATA = Path(__file__).parent / "data" / "email"
PASSWORD = "geheim-wachtwoord"
LINE = "hulp@heusdenhelpt.example"

pytestmark = [
    pytest.mark.mail,
    pytest.mark.skipif(
        not os.path.exists(DOVECOT),
        reason="dovecot is not installed (bash .ci/install-mail installs it)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """One unprivileged dovecot with a passwd-file of users box1 … box40."""

    root: Path
    port: int
    users: Iterator[str] = field(default_factory=lambda: (f"box{n}" for n in itertools.count(1)))

    def start(self) -> None:
        command = [DOVECOT, "-c", str(self.root / "dovecot.conf")]
        if os.geteuid() == 0:  # never as root: the unprivileged user owns the instance
            command = ["runuser", "-u", "nobody", "--", *command]
        subprocess.run(command, check=True, timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + self.log())

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 15)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.05)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def imap(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(user, PASSWORD)
        client.select("INBOX")
        return client

    def append(self, user: str, raw: bytes) -> None:
        client = self.imap(user)
        try:
            client.append("INBOX", None, None, raw)
        finally:
            client.logout()

    def flags(self, user: str) -> list[bool]:
        """Per message (by uid order): whether it is \\Seen."""
        client = self.imap(user)
        try:
            _, data = client.uid("fetch", "1:*", "(FLAGS)")
        finally:
            client.logout()
        found = [d for d in data if isinstance(d, bytes)]
        return [b"\\Seen" in d for d in found]


def _config(root: Path, port: int, user: str) -> str:
    entry = pwd.getpwnam(user)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {grp.getgrgid(entry.pw_gid).gr_name}
default_login_user = {user}
first_valid_uid = 1
last_valid_uid = 0
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A dovecot on a free port of 127.0.0.1, for this module."""
    user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    root = Path(tempfile.mkdtemp(prefix="helpline-dovecot-"))
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    (root / "passwd").write_text("".join(f"box{n}:{{PLAIN}}{PASSWORD}\n" for n in range(1, 41)))
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port, user))
    if os.geteuid() == 0:
        root.chmod(0o755)
        entry = pwd.getpwnam(user)
        for path in [root, *root.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    server = Dovecot(root, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


class SmtpSink:
    """aiosmtpd's handler: keeps every message; refuses the next ``refuse`` ones (451)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.refuse = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSink, int]]:
    sink = SmtpSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


async def until(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Waits until ``check()`` is truthy (awaiting it when it is a coroutine)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def requests(h: Harness) -> list[Request]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(Request).order_by(col(Request.id))))


def configure(h: Harness, dovecot: Dovecot, user: str, smtp_port: int) -> None:
    settings = h.services.settings
    settings.imap_url = f"imap://{user}@127.0.0.1:{dovecot.port}/INBOX"
    settings.imap_password = SecretStr(PASSWORD)
    settings.imap_poll_seconds = 0.2
    settings.smtp_url = f"smtp://127.0.0.1:{smtp_port}"
    settings.mail_from = LINE


class Started:
    """The app started as `helpline run` would (post_init: the mail channel too)."""

    def __init__(self, h: Harness) -> None:
        self.h = h

    async def __aenter__(self) -> MailReader:
        await self.h.app.start()
        await self.h.app.post_init(self.h.app)  # type: ignore[misc]
        channel = self.h.app.bot_data[MAIL_KEY]
        await asyncio.wait_for(channel.reader.connected.wait(), 20)
        return channel.reader

    async def __aexit__(self, *exc: object) -> None:
        await self.h.app.post_stop(self.h.app)  # type: ignore[misc]
        assert MAIL_KEY not in self.h.app.bot_data
        await self.h.app.stop()
        # post_init took the instance lock (on PostgreSQL, a connection of its own), which
        # `helpline run` gives back at shutdown; the next test's app would wait for it.
        await self.h.services.leader.release()


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


async def test_mail_becomes_card_and_auto_reply_seen_only_after_commit(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int], monkeypatch: Any
) -> None:
    sink, smtp_port = smtp
    user = next(dovecot.users)
    seen_during: list[tuple[list[bool], int]] = []
    real = reader_module.receive_mail

    async def watched(services: Any, mail: Any) -> Any:
        before = await asyncio.to_thread(dovecot.flags, user)
        outcome = await real(services, mail)  # commits before it returns
        after = await asyncio.to_thread(dovecot.flags, user)
        seen_during.append((before + after, len(await requests(h))))
        return outcome

    monkeypatch.setattr(reader_module, "receive_mail", watched)
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h):
            await asyncio.to_thread(dovecot.append, user, fixture("plain_nl.eml"))
            [request] = await until(lambda: requests(h))
            group = h.group(request.queue)
            card = await until(
                lambda: [m for m in h.telegram.sent(group) if request.reference in m["text"]]
            )
            assert "✉️ Via e-mail" in card[0]["text"]
            assert card[0]["reply_markup"]  # the claim button
            [reply] = await until(lambda: sink.messages)
            assert await until(lambda: dovecot.flags(user) == [True])
    # The message was unseen while its request was being made, and after the commit
    # (until the reader's STORE); then the request existed.
    assert seen_during == [([False, False], 1)]
    assert reply["Subject"] == f"Uw vraag aan HeusdenHelpt! — {request.reference}"
    assert reply["To"] == "mia.devries@example.nl"
    assert LINE in reply["From"] and reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<plain-nl-1@example.nl>"
    assert "Beste Mia," in reply.get_content()
    async with h.services.db.session() as session:
        [contact] = list(await session.scalars(select(Contact)))
        [sent] = list(await session.scalars(select(EmailOutbox)))
    assert contact.channel == "email" and sent.status == "sent"


async def test_same_message_delivered_twice_makes_one_request(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int]
) -> None:
    sink, smtp_port = smtp
    user = next(dovecot.users)
    await asyncio.to_thread(dovecot.append, user, fixture("crisis.eml"))
    await asyncio.to_thread(dovecot.append, user, fixture("crisis.eml"))
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h) as reader:
            assert await until(lambda: dovecot.flags(user) == [True, True])
            [reply] = await until(lambda: sink.messages)
            alert_chat = h.group(h.services.config.crisis_queue)
            await until(lambda: h.telegram.sent(alert_chat))
        assert reader.counts == {"resident": 1, "repeat": 1}
    [request] = await requests(h)
    assert request.urgency == "crisis"
    assert reply.get_content().index("113") < reply.get_content().index("Beste")


async def test_failure_before_commit_or_before_seen_loses_and_doubles_nothing(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int], monkeypatch: Any
) -> None:
    _, smtp_port = smtp
    user = next(dovecot.users)
    real_receive, real_seen = reader_module.receive_mail, MailReader.mark_seen
    calls = {"receive": 0, "seen": 0}

    async def crash_once(services: Any, mail: Any) -> Any:
        calls["receive"] += 1
        if calls["receive"] == 1:
            raise RuntimeError("crash before the commit")
        return await real_receive(services, mail)

    async def drop_once(self: MailReader, client: Any, uid: bytes) -> None:
        calls["seen"] += 1
        if calls["seen"] == 1:
            raise ConnectionError("connection lost after the commit")
        await real_seen(self, client, uid)

    monkeypatch.setattr(reader_module, "receive_mail", crash_once)
    monkeypatch.setattr(MailReader, "mark_seen", drop_once)
    monkeypatch.setattr(reader_module, "RETRY_SECONDS", 0.1)
    await asyncio.to_thread(dovecot.append, user, fixture("attachment.eml"))
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h):
            assert await until(lambda: dovecot.flags(user) == [True])
    # 1: crashed before the commit; 2: committed, STORE lost; 3: found committed, marked.
    assert calls == {"receive": 3, "seen": 2}
    assert len(await requests(h)) == 1


async def test_mail_that_is_not_a_question_is_seen_counted_and_not_logged(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int], caplog: Any
) -> None:
    sink, smtp_port = smtp
    user = next(dovecot.users)
    for name in ("out_of_office.eml", "bounce_report.eml", "mailing_list.eml"):
        await asyncio.to_thread(dovecot.append, user, fixture(name))
    caplog.set_level("DEBUG")
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h) as reader:
            assert await until(lambda: dovecot.flags(user) == [True, True, True])
        assert reader.counts == {"auto_reply": 1, "bounce": 1, "mailing_list": 1}
    assert await requests(h) == [] and sink.messages == []
    for secret in ("afwezig", "gemeente.example", "Nieuwsbrief", "MAILER-DAEMON"):
        assert secret.lower() not in caplog.text.lower()


async def test_polling_without_idle_and_smtp_refusal_is_retried(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int]
) -> None:
    sink, smtp_port = smtp
    sink.refuse = 1
    user = next(dovecot.users)
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        h.services.settings.imap_poll_seconds = 0.1
        async with Started(h) as reader:
            reader.use_idle = False  # read on the next look: the poll branch
            await asyncio.to_thread(dovecot.append, user, fixture("html_only.eml"))
            await until(lambda: requests(h))
            channel = h.app.bot_data[MAIL_KEY]

            async def refused_once() -> bool:
                async with h.services.db.session() as session:
                    row = (await session.scalars(select(EmailOutbox))).one_or_none()
                return row is not None and (row.status, row.attempts) == ("pending", 1)

            assert await until(refused_once)
            assert sink.messages == []
            h.clock.advance(minutes=2)  # the retry falls due
            channel.sender.wake()
            [reply] = await until(lambda: sink.messages)
        assert "Beste Els," in reply.get_content()


async def test_claim_relay_by_mail_and_the_answer_joins_over_real_servers(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int]
) -> None:
    sink, smtp_port = smtp
    user = next(dovecot.users)
    sanne = FakeUser(5001, "Sanne")
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h):
            await asyncio.to_thread(dovecot.append, user, fixture("plain_nl.eml"))
            [request] = await until(lambda: requests(h))
            group = h.group(request.queue)
            await until(lambda: h.telegram.sent(group))
            staff = await h.add_staff(sanne, request.queue)
            await staff.press("Oppakken", chat_id=group)
            await staff.press("Schrijven")
            await staff.say("Ik kom dinsdag om tien uur langs.")
            await until(lambda: len(sink.messages) == 2)
            relay = sink.messages[1]
            assert relay["Subject"] == f"Uw vraag aan HeusdenHelpt! — {request.reference}"
            assert "Ik kom dinsdag om tien uur langs." in relay.get_content()
            answer = (
                f"From: Mia <mia.devries@example.nl>\r\nSubject: Re: {relay['Subject']}\r\n"
                f"Message-ID: <answer-2@example.nl>\r\nIn-Reply-To: {relay['Message-ID']}\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                "Dinsdag is goed.\r\n\r\nOp di schreef HeusdenHelpt!:\r\n> Ik kom dinsdag\r\n"
            ).encode()
            await asyncio.to_thread(dovecot.append, user, answer)
            await until(
                lambda: any("Dinsdag is goed." in m["text"] for m in h.telegram.sent(sanne.id))
            )
            await until(lambda: len(sink.messages) == 3)  # the receipt
    assert len(await requests(h)) == 1
    assert await asyncio.to_thread(dovecot.flags, user) == [True, True]


async def test_imap_server_restarted_mid_idle_reconnects_and_misses_nothing(
    db: Any, tmp_path: Path, dovecot: Dovecot, smtp: tuple[SmtpSink, int]
) -> None:
    _, smtp_port = smtp
    user = next(dovecot.users)
    async with running_app(db, tmp_path) as h:
        configure(h, dovecot, user, smtp_port)
        async with Started(h) as reader:
            await asyncio.to_thread(dovecot.stop)  # the reader is in IDLE now
            await until(lambda: not reader.connected.is_set())
            # Delivered while the reader is away (dovecot back, the reader not yet in).
            await asyncio.to_thread(dovecot.start)
            await asyncio.to_thread(dovecot.append, user, fixture("plain_nl.eml"))
            await until(lambda: requests(h), seconds=30)
            assert await until(lambda: dovecot.flags(user) == [True])
    assert len(await requests(h)) == 1


@pytest.mark.slow
def test_sigkill_mid_intake_then_restart_processes_each_message_once(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    """`helpline run` as a process, killed (SIGKILL) while it takes in 30 mails, restarted:
    every mail becomes exactly one request and ends \\Seen."""
    import json
    import signal
    import sqlite3
    import sys

    from helpline.testing import FakeTelegram, FakeTelegramServer

    user = next(dovecot.users)
    total = 30
    for n in range(total):
        raw = (
            f"From: bewoner{n}@example.nl\r\nSubject: Vraag {n}\r\n"
            f"Message-ID: <kill-{n}@example.nl>\r\n\r\n"
            "Ik woon in Drunen en zoek hulp bij de tuin.\r\n"
        ).encode()
        dovecot.append(user, raw)
    database = tmp_path / "kill.db"
    bin_dir = Path(sys.executable).parent
    telegram = FakeTelegram()

    def count(sql: str) -> int:
        if not database.exists():
            return 0
        try:
            with sqlite3.connect(database, timeout=5) as conn:
                return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0

    with FakeTelegramServer(telegram) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=server.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{database}",
            HELPLINE_DATA_DIR=str(tmp_path),
            QUEUE_CHATS=json.dumps({"coordinatie": -1005550000001}),
            IMAP_URL=f"imap://{user}@127.0.0.1:{dovecot.port}/INBOX",
            IMAP_PASSWORD=PASSWORD,
        )

        def start() -> subprocess.Popen[str]:
            return subprocess.Popen(
                [str(bin_dir / "helpline"), "run"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )

        first = start()
        deadline = time.monotonic() + 60
        while count("SELECT count(*) FROM request") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=20)
        before = count("SELECT count(*) FROM request")
        assert before >= 3, "the first run took nothing in"
        second = start()
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and dovecot.flags(user).count(True) < total:
                time.sleep(0.2)
        finally:
            second.send_signal(signal.SIGINT)
            try:
                output, _ = second.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                second.kill()
                output, _ = second.communicate()
    assert dovecot.flags(user) == [True] * total
    assert count("SELECT count(*) FROM request") == total
    assert count("SELECT count(DISTINCT message_id) FROM email_message") == total
    assert count("SELECT count(*) FROM contact WHERE channel = 'email'") == total
    assert "Traceback" not in output, output[-3000:]
    assert "tuin" not in output and "example.nl" not in output, "logs leak mail content"
