"""Logs never hold a resident's message text, name or phone number (ids only)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from helpline.logs import SafeFormatter, setup_logging
from helpline.testing import FakeUser
from storage.db import Database
from tests.bot_harness import complete_intake, running_app

MIA = FakeUser(id=4001, first_name="Mirabelle")
SECRET_QUESTION = "Mijn schulden bij de Belastingdienst zijn opgelopen tot 8000 euro"
SECRET_REPLY = "Mijn dochter mag dit niet weten"


async def test_whole_path_logs_no_resident_data(
    db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    setup_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    async with running_app(db, tmp_path) as h:
        await complete_intake(h.chat(MIA), SECRET_QUESTION, phone="06-23456789")
        sanne = await h.add_staff(FakeUser(id=5001, first_name="Sanne"), "wijkteam_drunen")
        await sanne.press("Oppakken", chat_id=h.group("wijkteam_drunen"))
        await h.chat(MIA).say(SECRET_REPLY)
        await sanne.press("Schrijven")
        await sanne.say("Ik bel u morgen")
        h.telegram.fail_next("sendMessage", error_code=502)  # an error path logs too
        await h.chat(MIA).say(SECRET_REPLY)
        h.telegram.block(MIA.id)
        await sanne.say("Nog een vraag")
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records, "the test must actually capture logging"
    for secret in (SECRET_QUESTION, SECRET_REPLY, "Mirabelle", "23456789", "Ik bel u morgen"):
        assert secret not in logged, f"logs contain {secret!r}"


def test_a_logged_traceback_never_holds_the_exception_message() -> None:
    # SQLAlchemy and asyncpg repeat a statement's parameters in their messages.
    message = f"INSERT failed [parameters: ('{SECRET_QUESTION}', '+31623456789')]"
    try:
        raise ValueError(message)  # the stack shows this line: no data in it
    except ValueError:
        record = logging.LogRecord(
            "helpline", logging.ERROR, __file__, 1, "retention run failed", None, sys.exc_info()
        )
    line = SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert "retention run failed" in line and "builtins.ValueError" in line
    assert SECRET_QUESTION not in line and "23456789" not in line
