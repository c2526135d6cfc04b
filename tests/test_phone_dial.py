"""📞 Bel nu: the provider's click-to-dial endpoint (a fake provider over HTTP on 127.0.0.1)
is asked to ring the holder's extension, then the resident; the outbound call's events
log one outbound contact under the request, and a Gebeld afterwards does not log it
again. Refusals: not set up, no extension, a volunteer, not the holder, the provider down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from flows.telephony import CallEvent, CallEventKind
from helpline.cases.telephony import handle_call_event
from helpline.scripted import find_button
from helpline.testing import FakeUser
from storage import repository as repo
from storage.db import Database
from storage.models import Contact, Role
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall, PhoneDial
from tests.bot_harness import Harness, running_app
from tests.calls_helpers import SANNE, advance_to, claimed_case, local, tick
from tests.http_helpers import serve

ANNA = FakeUser(id=5002, first_name="Anna")
MIA_NUMBER = "+31612345678"  # complete_intake's 0612345678


class FakeProvider:
    """A click-to-dial endpoint: records each request, answers ``status``."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, Any], str]] = []
        self.status = 201

    async def clicktodial(self, request: HttpRequest) -> JSONResponse:
        body = json.loads(await request.body())
        self.requests.append((body, request.headers.get("authorization", "")))
        return JSONResponse({"callid": f"c2d-{len(self.requests)}"}, self.status)


@asynccontextmanager
async def provider() -> AsyncIterator[tuple[FakeProvider, str]]:
    fake = FakeProvider()
    app = Starlette(routes=[Route("/api/clicktodial/", fake.clicktodial, methods=["POST"])])
    async with serve(app) as base:
        yield fake, f"{base}/api/clicktodial/"


async def with_extension(h: Harness, user: FakeUser, extension: str | None) -> None:
    async with h.services.db.session() as session:
        row = await repo.get_staff(session=session, telegram_user_id=user.id)
        assert row is not None and row.id is not None
        await set_phone_extension(session=session, staff_id=row.id, extension=extension)


def outbound(h: Harness, kind: CallEventKind, cause: str | None = None) -> CallEvent:
    return CallEvent(
        provider="cti",
        call_id="out-1",
        event=kind,
        from_number=None,  # the staff member's extension: no phone number
        to_number=MIA_NUMBER,
        direction="outbound",
        at=h.clock(),
        cause=cause,
    )


async def rows(h: Harness, model: Any) -> list[Any]:
    async with h.services.db.session() as session:
        return list(await session.scalars(select(model)))


def answer(h: Harness) -> str:
    return str(h.telegram.callback_answers()[-1].get("text", ""))


async def test_bel_nu_rings_the_extension_and_the_call_logs_one_contact(
    db: Database, tmp_path: Path
) -> None:
    async with provider() as (fake, url), running_app(db, tmp_path) as h:
        h.services.settings.dial_url = url
        h.services.settings.dial_token = SecretStr("sanne@line:api-key")
        sanne, request_id = await claimed_case(h)
        await with_extension(h, SANNE, "201")
        await sanne.say("/mijn")
        await sanne.press("Bel nu")
        assert fake.requests == [
            (
                {"a_number": "201", "b_number": MIA_NUMBER, "b_cli": "default_number"},
                "Token sanne@line:api-key",
            )
        ]
        assert "Uw toestel (201) gaat zo over" in answer(h) and "Mia" in answer(h)
        [dial] = await rows(h, PhoneDial)
        assert dial.request_id == request_id and not dial.failed
        # The exchange reports the call it placed: out, answered by Mia, hung up.
        h.clock.advance(seconds=20)
        for kind, cause in (
            (CallEventKind.ringing, None),
            (CallEventKind.answered, None),
            (CallEventKind.ended, "normalClearing"),
            (CallEventKind.ended, "normalClearing"),  # delivered twice
        ):
            await handle_call_event(h.services, outbound(h, kind, cause))
        contacts = [c for c in await rows(h, Contact) if c.event == "call"]
        assert len(contacts) == 1
        [contact] = contacts
        assert (contact.channel, contact.direction, contact.kind) == (
            "phone",
            "outbound",
            "follow_up",
        )
        assert (contact.request_id, contact.outcome) == (request_id, "reached")
        [dial] = await rows(h, PhoneDial)
        [call] = await rows(h, PhoneCall)
        assert dial.contact_id == contact.id and dial.phone_call_id == call.id
        assert call.direction == "outbound" and call.state == "ended"
        await tick(h)
        assert not [m for m in h.telegram.sent(SANNE.id) if "Inkomend" in m.get("text", "")]


async def test_gebeld_after_bel_nu_sets_the_outcome_on_the_same_contact(
    db: Database, tmp_path: Path
) -> None:
    async with provider() as (_, url), running_app(db, tmp_path) as h:
        h.services.settings.dial_url = url
        sanne, _ = await claimed_case(h)
        await with_extension(h, SANNE, "201")
        await sanne.say("/plan HH-2026-00001 vandaag 11:00")
        await sanne.press("Inplannen")
        await advance_to(h, local(2026, 5, 4, 11, 0))
        await sanne.say("/mijn")
        await sanne.press("Bel nu")
        for kind, cause in ((CallEventKind.ringing, None), (CallEventKind.ended, "noAnswer")):
            await handle_call_event(h.services, outbound(h, kind, cause))
        [logged] = [c for c in await rows(h, Contact) if c.event == "call"]
        assert logged.outcome == "no_answer"
        await tick(h)
        await sanne.press("Gebeld")  # she reached Mia on a second try from her own phone
        [contact] = [c for c in await rows(h, Contact) if c.event == "call"]
        assert contact.id == logged.id and contact.outcome == "reached"


async def test_bel_nu_refusals(db: Database, tmp_path: Path) -> None:
    async with provider() as (fake, url), running_app(db, tmp_path) as h:
        sanne, request_id = await claimed_case(h)
        await sanne.say("/mijn")
        mine = h.telegram.last_sent(SANNE.id)
        markup = json.dumps(mine.get("reply_markup"), ensure_ascii=False)
        assert "Schrijven" in markup and "Bel nu" not in markup  # not set up: no button
        await sanne.feed(h.telegram.press(SANNE, mine, f"case:dial:{request_id}", queue=False))
        assert "niet ingesteld" in answer(h)
        h.services.settings.dial_url = url
        await sanne.say("/mijn")
        await sanne.press("Bel nu")
        assert "geen toestelnummer" in answer(h)
        await with_extension(h, SANNE, "201")
        fake.status = 500
        await sanne.press("Bel nu")
        assert "Bellen lukt nu niet" in answer(h)
        [dial] = await rows(h, PhoneDial)
        assert dial.failed  # a call out to Mia now is not this dial's
        # Anna is staff but does not hold the case: the database's holder decides.
        anna = await h.add_staff(ANNA, "wijkteam_drunen")
        await with_extension(h, ANNA, "202")
        await anna.say("/mijn")
        message, _ = find_button(h.telegram, SANNE.id, "Bel nu")
        await anna.feed(h.telegram.press(ANNA, message, f"case:dial:{request_id}", queue=False))
        assert answer(h) == "U heeft deze vraag niet (meer) opgepakt."
        assert len(fake.requests) == 1
        assert len(await rows(h, PhoneDial)) == 1


async def test_a_volunteer_holder_gets_no_button_and_a_forged_press_is_refused(
    db: Database, tmp_path: Path
) -> None:
    async with provider() as (fake, url), running_app(db, tmp_path) as h:
        h.services.settings.dial_url = url
        volunteer, request_id = await claimed_case(h, role=Role.volunteer)
        await with_extension(h, SANNE, "209")
        await volunteer.say("/mijn")
        mine = h.telegram.last_sent(SANNE.id)
        assert "Bel nu" not in json.dumps(mine.get("reply_markup"), ensure_ascii=False)
        await volunteer.feed(h.telegram.press(SANNE, mine, f"case:dial:{request_id}", queue=False))
        assert "niet voor vrijwilligers" in answer(h)
        assert fake.requests == [] and await rows(h, PhoneDial) == []
