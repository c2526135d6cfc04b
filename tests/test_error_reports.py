"""Error reports to a staff chat (ERROR_CHAT_ID) hold ids and tracebacks only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from helpline.handlers import errors
from helpline.logs import safe_traceback
from helpline.services import HelplineContext
from helpline.settings import SettingsError, load_settings
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import Resident
from tests.bot_harness import Harness, running_app

MIA = FakeUser(id=4001, first_name="Mia", last_name="Jansen")
ERROR_CHAT = -1009999999999
SECRET_TEXT = "Mijn ex staat voor de deur"
PHONE = "+31612345678"


async def boom(update: Update, context: HelplineContext) -> None:
    """A handler that fails with the resident's words and number in the exception."""
    text = update.effective_message.text if update.effective_message else ""
    raise ValueError(f"could not handle {text!r} from {PHONE} ({MIA.first_name})")


async def duplicate_insert(update: Update, context: HelplineContext) -> None:
    """A database error: SQLAlchemy puts the statement's parameters into its message."""
    async with context.services.db.session() as session:
        session.add(Resident(first_name="Mia", phone=PHONE, external_ref=SECRET_TEXT))
    async with context.services.db.session() as session:
        session.add(Resident(first_name="Mia", phone=PHONE, external_ref=SECRET_TEXT))


async def boom_button(update: Update, context: HelplineContext) -> None:
    raise RuntimeError(f"button {update.callback_query.data if update.callback_query else ''}")


def reports(h: Harness) -> list[str]:
    return [m.get("text", "") for m in h.telegram.sent(ERROR_CHAT)]


def apologised(h: Harness) -> bool:
    return h.services.texts("error", "nl") in [m.get("text") for m in h.telegram.sent(MIA.id)]


def assert_no_content(text: str) -> None:
    for secret in (SECRET_TEXT, PHONE, "612345678", "Mia", "Jansen", "secret-777"):
        assert secret not in text, secret


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "_throttle", errors._Throttle(errors.MAX_REPORTS_PER_MINUTE))


async def test_error_report_holds_ids_handler_and_traceback_only(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.error_chat_id = ERROR_CHAT
        h.app.add_handler(MessageHandler(filters.TEXT, boom), group=-5)
        raw = h.telegram.text(MIA, SECRET_TEXT, queue=False)
        with caplog.at_level(logging.DEBUG, logger="helpline"):
            await h.chat(MIA).feed(raw)
        [report] = reports(h)
        assert report.startswith("⚠️ Fout in de bot")
        assert f"update {raw['update_id']} · chat {MIA.id} · user {MIA.id}" in report
        assert "message · tests.test_error_reports.boom" in report
        assert "Traceback (most recent call last)" in report and "in boom" in report
        assert report.rstrip().endswith("builtins.ValueError")
        assert_no_content(report)
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("helpline"))
        assert_no_content(logged)
        assert "Traceback" in logged and "builtins.ValueError" in logged
        # The resident still gets the friendly apology.
        assert apologised(h)


async def test_database_error_parameters_never_reach_the_report(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.error_chat_id = ERROR_CHAT
        h.app.add_handler(MessageHandler(filters.TEXT, duplicate_insert), group=-5)
        with caplog.at_level(logging.DEBUG, logger="helpline"):
            await h.chat(MIA).say("hallo")
        [report] = reports(h)
        assert f"sqlalchemy.exc.{IntegrityError.__qualname__}" in report
        assert_no_content(report)
        assert_no_content("\n".join(r.getMessage() for r in caplog.records))


async def test_button_error_shows_only_the_callback_namespace(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.error_chat_id = ERROR_CHAT
        h.app.add_handler(CallbackQueryHandler(boom_button, pattern=r"^zz:"), group=-5)
        message = {"message_id": 1, "chat": {"id": MIA.id, "type": "private"}, "date": 0}
        await h.chat(MIA).feed(h.telegram.press(MIA, message, "zz:secret-777", queue=False))
        [report] = reports(h)
        assert "callback_query (zz)" in report and "boom_button" in report
        assert_no_content(report)


async def test_without_error_chat_nothing_is_reported(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        assert h.services.settings.error_chat_id is None
        h.app.add_handler(MessageHandler(filters.TEXT, boom), group=-5)
        await h.chat(MIA).say(SECRET_TEXT)
        assert reports(h) == []
        assert apologised(h)


async def test_an_error_storm_is_capped(db: Database, tmp_path: Path) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.error_chat_id = ERROR_CHAT
        h.app.add_handler(MessageHandler(filters.TEXT, boom), group=-5)
        for n in range(errors.MAX_REPORTS_PER_MINUTE + 5):
            await h.chat(MIA).say(f"bericht {n}")
        assert len(reports(h)) == errors.MAX_REPORTS_PER_MINUTE


async def test_a_failing_report_chat_does_not_break_the_apology(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        h.services.settings.error_chat_id = ERROR_CHAT
        h.app.add_handler(MessageHandler(filters.TEXT, boom), group=-5)
        h.telegram.fail_next("sendMessage", error_code=400, chat_id=ERROR_CHAT)
        await h.chat(MIA).say(SECRET_TEXT)
        assert apologised(h)


def test_long_tracebacks_are_cut_from_the_top() -> None:
    def deep(n: int) -> None:
        if n == 0:
            raise KeyError("x")
        deep(n - 1)

    try:
        deep(300)
    except KeyError as exc:
        trace = safe_traceback(exc)
    assert "builtins.KeyError" in trace and "'x'" not in trace.splitlines()[-1]


def test_chained_exceptions_keep_every_type_but_no_message() -> None:
    try:
        try:
            raise LookupError(PHONE)
        except LookupError as inner:
            raise RuntimeError(SECRET_TEXT) from inner
    except RuntimeError as exc:
        trace = safe_traceback(exc)
    assert trace.index("builtins.LookupError") < trace.index("builtins.RuntimeError")
    assert PHONE not in trace and SECRET_TEXT not in trace


@pytest.mark.parametrize(("value", "expected"), [("", None), ("-1001234", -1001234)])
def test_error_chat_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int | None
) -> None:
    monkeypatch.setenv("ERROR_CHAT_ID", value)
    assert load_settings().error_chat_id == expected


@pytest.mark.parametrize("value", ["abc", "0", "12.5"])
def test_bad_error_chat_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ERROR_CHAT_ID", value)
    with pytest.raises(SettingsError, match="setting ERROR_CHAT_ID"):
        load_settings()
