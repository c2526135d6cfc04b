"""The use cases behind ``/plan``, the ``call:`` planning presses and a coordinator's
press on a telefooncirkel alert, called directly: no bot, only the database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from helpline.cases import call_planning, circle_alerts
from helpline.cases import calls as callwork
from helpline.cases.answers import Popup
from helpline.cases.circle_alerts import Notice
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import CallStatus, Request, Role, ScheduledCall
from tests.test_cases_call_admin import HOLDER, OTHER, claimed_request, planned_call
from tests.test_cases_direct import actor, outbox, services_for

COORDINATOR = 9103


async def draft_of(db: Database, services: Services, request: Request) -> int:
    """The holder's draft call for ``request``, made by ``/plan <reference> <time>``."""
    holder = await actor(db, HOLDER)
    async with db.session() as session:
        _, buttons = await call_planning.plan(
            session, services, holder, [request.reference, "morgen 10:00"]
        )
    [call_id] = [int(b.data.split(":")[2]) for row in buttons for b in row if ":ok:" in b.data]
    return call_id


async def test_plan_lists_held_requests_and_refuses_one_not_held(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    t, lang = services.texts, services.staff_language
    holder, other = await actor(db, HOLDER), await actor(db, OTHER)
    async with db.session() as session:
        held = await call_planning.plan(session, services, holder, [])
    assert held[0] == t("plan_usage", lang)
    assert [b.data for row in held[1] for b in row] == [f"call:new:{request.id}"]
    async with db.session() as session:
        none = await call_planning.plan(session, services, other, [])
    assert none == (t("plan_usage_short", lang), ())
    async with db.session() as session:
        refused = await call_planning.plan(
            session, services, other, [request.reference, "morgen 10:00"]
        )
        drafts = list(await session.scalars(select(ScheduledCall)))  # type: ignore[arg-type]
    assert drafts == []
    assert refused == (t("not_allowed", lang, reference=request.reference), ())
    async with db.session() as session:
        bad = await call_planning.plan(session, services, holder, ["HH-x"])
    assert bad == (t("plan_bad_reference", lang, text="HH-x"), ())


async def test_a_draft_is_confirmed_once_and_only_by_its_planner(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    t, lang = services.texts, services.staff_language
    holder, other = await actor(db, HOLDER), await actor(db, OTHER)
    call_id = await draft_of(db, services, request)
    async with db.session() as session:
        other = await call_planning.plan_press(session, services, other, call_id, "ok", "")
    assert other == Popup(t("not_allowed", lang))
    async with db.session() as session:
        planned = await call_planning.plan_press(session, services, holder, call_id, "ok", "")
        call = await repo.get_call(session=session, call_id=call_id)
        assert call is not None and call.status == CallStatus.scheduled
    assert request.reference in planned[0] and planned[1] == ()
    async with db.session() as session:
        again = await call_planning.plan_press(session, services, holder, call_id, "ok", "")
        forged = await call_planning.plan_press(session, services, holder, call_id, "zz", "")
    assert again == Popup(t("call_draft_gone", lang))
    assert forged == Popup(t("claim_gone", lang))


async def test_a_repeat_end_press_makes_a_series_and_bad_data_is_refused(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    holder = await actor(db, HOLDER)
    call_id = await draft_of(db, services, request)
    async with db.session() as session:
        bad = await call_planning.plan_press(session, services, holder, call_id, "end", "yearly_n4")
    assert bad == (services.texts("claim_gone", services.staff_language), ())
    async with db.session() as session:
        await call_planning.plan_press(session, services, holder, call_id, "end", "weekly_n4")
        call = await repo.get_call(session=session, call_id=call_id)
        assert call is not None
        series = await repo.get_series(session=session, series_id=call.series_id)
    assert series is not None and "COUNT=4" in series.rule and series.status == "draft"


async def test_only_a_coordinator_closes_an_alert_and_only_once(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    request = await claimed_request(db, services)
    call_id = await planned_call(db, services, request)
    t, lang = services.texts, services.staff_language
    action = callwork.call_config(services).alert_actions[0]
    async with db.session() as session:
        await repo.add_staff(
            session=session, telegram_user_id=COORDINATOR, name="Cora", role=Role.coordinator,
            queues=["coordinatie"],
        )  # fmt: skip
        alert = await repo.create_alert(
            session=session, call_id=call_id, request_id=request.id, created_at=services.clock()
        )
    assert alert.id is not None
    async with db.session() as session:
        volunteer = await circle_alerts.alert_press(
            session, services, HOLDER, alert.id, "do", action
        )
    assert volunteer == Popup(t("circle_not_coordinator", lang))
    before = len(await outbox(db))
    coordinator = await actor(db, COORDINATOR)
    async with db.session() as session:
        noted = await circle_alerts.alert_press(
            session, services, COORDINATOR, alert.id, "do", action
        )
        prompt = await repo.get_prompt(session=session, staff_id=coordinator.id)
    assert noted == Notice(t("circle_see_private", lang))
    assert prompt is not None and prompt.kind == "alert_note"
    asked = (await outbox(db))[before:]
    assert [m.chat_id for m in asked] == [COORDINATOR]
    assert f"cal:nonote:{alert.id}" in (asked[0].reply_markup or "")
    async with db.session() as session:
        closed = await circle_alerts.alert_press(
            session, services, COORDINATOR, alert.id, "nonote", ""
        )
    assert isinstance(closed, str) and request.reference in closed
    async with db.session() as session:
        again = await circle_alerts.alert_press(
            session, services, COORDINATOR, alert.id, "nonote", ""
        )
        stored = await repo.get_alert(session=session, alert_id=alert.id)
    assert again == Popup(t("circle_already_closed", lang))
    assert stored is not None and stored.status == "closed" and stored.action == action
