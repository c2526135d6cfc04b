"""Bad input at every intake step, through the real application: a friendly answer, the
step and everything stored unchanged, nothing else created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from helpline.testing import FakeUser
from storage.db import Database
from storage.models import IntakeDraft, Request
from tests.bot_harness import Harness, running_app
from tests.intake_steps import TO_STEP, walk
from tests.test_authorization import STAFF_COMMANDS

MIA = FakeUser(id=4001, first_name="Mia")
MEDIA = ("photo", "sticker", "voice", "video_note", "document", "location", "dice")
MARKUP = "<b>DROP TABLE request;</b>"
TEXTS = ("😀🙏😀", "x" * 4096, "/onzin", "\u0000\u0007", MARKUP)
FORGED = ("in:vil:atlantis", "in:pick:geen_categorie", "in:zz:1", "req:claim:999", "zz", "x" * 64)


def draft_fields(draft: IntakeDraft | None) -> dict[str, Any]:
    assert draft is not None
    skip = {"updated_at", "_sa_instance_state"}
    return {k: v for k, v in vars(draft).items() if k not in skip}


async def stored(db: Database) -> tuple[dict[str, Any], int]:
    async with db.session() as session:
        draft = await session.scalar(select(IntakeDraft))
        requests = len(list(await session.scalars(select(Request))))
        return draft_fields(draft), requests


def answered(h: Harness, before_messages: int, before_answers: int) -> bool:
    messages = h.telegram.sent(MIA.id)[before_messages:]
    answers = h.telegram.callback_answers()[before_answers:]
    return any(m.get("text") for m in messages) or any(a.get("text") for a in answers)


@pytest.mark.parametrize("step", list(TO_STEP))
async def test_bad_input_at_every_step_is_answered_and_changes_nothing(
    db: Database, tmp_path: Path, step: str
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await walk(mia, TO_STEP[step])
        before = await stored(db)
        assert before[0]["step"] == step
        assert before[0]["created_at"] == h.clock(), "the draft's times come from the clock"
        last = h.telegram.last_sent(MIA.id)
        attempts: list[tuple[str, dict[str, Any]]] = [
            *((kind, h.telegram.media(MIA, kind, queue=False)) for kind in MEDIA),
            *(
                (repr(text[:12]), h.telegram.text(MIA, text, queue=False))
                for text in TEXTS
                if not (step == "question" and text == MARKUP)  # a fine question there
            ),
            *((data[:12], h.telegram.press(MIA, last, data, queue=False)) for data in FORGED),
        ]
        if step != "contact":
            attempts.append(("contact", h.telegram.contact(MIA, "+31612345678", queue=False)))
        for name, update in attempts:
            counts = len(h.telegram.sent(MIA.id)), len(h.telegram.callback_answers())
            await mia.feed(update)
            assert answered(h, *counts), f"silence after {name} at {step}"
            assert await stored(db) == before, f"{name} at {step} changed what was stored"


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_a_staff_command_mid_intake_gets_the_intakes_re_prompt(
    db: Database, tmp_path: Path, command: str
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await walk(mia, TO_STEP["village"])
        before = await stored(db)
        count = len(h.telegram.sent(MIA.id))
        await mia.say(command)
        texts = [m["text"] for m in h.telegram.sent(MIA.id)[count:]]
        assert texts == [
            "We zijn nog bezig met uw vraag. Stuur /stop als u wilt stoppen.",
            "In welke plaats woont u?",
        ]
        assert await stored(db) == before


async def test_a_staff_command_without_an_intake_is_refused_as_before(
    db: Database, tmp_path: Path
) -> None:
    async with running_app(db, tmp_path) as h:
        mia = h.chat(MIA)
        await mia.say("/wachtrij")
        assert mia.last_text() == "Dit commando is alleen voor medewerkers van de hulplijn."
