"""The casework use cases behind ``/wachtrij``, ``/mijn``, ``/log``, the case buttons and
a warm handover's presses, called directly: no bot, only the database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from helpline.cases import casework, contact_log, handover, handover_draft, intake, queue_view
from helpline.cases.access import Actor
from helpline.cases.answers import Popup
from helpline.cases.core import Services
from storage import repository as repo
from storage.db import Database
from storage.models import AuditAction, AuditEntry, Contact, Handover, Request, RequestStatus, Role
from tests.test_cases_direct import CHAT, actor, confirmed, outbox, services_for, stored_draft

HOLDER, COLLEAGUE, RECEIVER = 9201, 9202, 9203
TARGET = "aanbod"


@dataclass(frozen=True)
class Team:
    """Truus's request, claimed by the holder; a colleague in its queue who does not hold
    it; a receiver in the ``TARGET`` queue."""

    request_id: int
    reference: str
    holder: Actor
    colleague: Actor
    receiver: Actor


async def team(db: Database, services: Services) -> Team:
    draft = confirmed("Kan iemand boodschappen voor mij doen?", "boodschappen")
    await stored_draft(db, services, draft)
    async with db.session() as session:
        row = await repo.get_draft(session=session, chat_id=CHAT)
        assert row is not None
        request = await intake.submit_intake(session, services, row=row, draft=draft)
        assert request.id is not None and request.queue != TARGET
        staff = ((HOLDER, "Sanne", request.queue), (COLLEAGUE, "Anna", request.queue))
        for user_id, name, queue in (*staff, (RECEIVER, "Bram", TARGET)):
            await repo.add_staff(
                session=session, telegram_user_id=user_id, name=name, role=Role.staff,
                queues=[queue],
            )  # fmt: skip
    found = Team(
        request.id,
        request.reference,
        *[await actor(db, user_id) for user_id in (HOLDER, COLLEAGUE, RECEIVER)],
    )
    await claim(db, services, found)
    return found


async def claim(db: Database, services: Services, found: Team) -> None:
    async with db.session() as session:
        assert await repo.claim_request(
            session=session,
            request_id=found.request_id,
            staff_id=found.holder.id,
            now=services.clock(),
        )


async def release(db: Database, found: Team) -> None:
    async with db.session() as session:
        assert await repo.release_request(
            session=session, request_id=found.request_id, staff_id=found.holder.id
        )


async def audits(db: Database, action: AuditAction) -> list[AuditEntry]:
    async with db.session() as session:
        query = select(AuditEntry).where(AuditEntry.action == action)  # type: ignore[arg-type]
        return list(await session.scalars(query))


async def stored(db: Database, request_id: int) -> Request:
    async with db.session() as session:
        found = await repo.get_request(session=session, request_id=request_id)
    assert found is not None
    return found


async def test_the_queue_lists_open_requests_and_mine_lists_what_i_hold_audited(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    t, lang = services.texts, services.staff_language
    us = await team(db, services)
    async with db.session() as session:
        waiting = await queue_view.waiting(session, services, us.colleague)
    assert waiting == (t("queue_empty", lang), ()), "a claimed request no longer waits"
    await release(db, us)
    async with db.session() as session:
        text, buttons = await queue_view.waiting(session, services, us.colleague)
    assert us.reference in text
    assert [b.data for row in buttons for b in row] == [f"req:claim:{us.request_id}"]
    await claim(db, services, us)
    async with db.session() as session:
        none_held = await queue_view.held(session, services, us.colleague)
    assert none_held == [(t("mine_empty", lang), ())]
    assert await audits(db, AuditAction.view_details) == []
    async with db.session() as session:
        header, card = await queue_view.held(session, services, us.holder)
    assert header == (t("mine_header", lang, count=1), ())
    assert "Truus" in card[0]
    assert f"case:write:{us.request_id}" in [b.data for row in card[1] for b in row]
    [seen] = await audits(db, AuditAction.view_details)
    assert seen.detail == "via=mine"


async def test_log_is_refused_to_all_but_the_holder_and_counts_one_follow_up(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    t, lang = services.texts, services.staff_language
    us = await team(db, services)
    rid = us.request_id
    for user_id in (COLLEAGUE, 4242):  # a colleague who does not hold it; not staff at all
        async with db.session() as session:
            refused = await contact_log.log_press(session, services, user_id, rid, "pick")
        assert refused == Popup(t("not_allowed", lang))
    async with db.session() as session:
        kinds = await contact_log.log_press(session, services, HOLDER, rid, "pick")
        odd = await contact_log.log_press(session, services, HOLDER, rid, "visit_mars")
    assert not isinstance(kinds, Popup) and us.reference in kinds[0]
    assert len(kinds[1]) == len(contact_log.KINDS)
    assert odd == Popup(t("claim_gone", lang))
    async with db.session() as session:
        before = len(list(await session.scalars(select(Contact))))
        saved = await contact_log.log_press(session, services, HOLDER, rid, "call_missed")
    what = t("log_call_missed", lang)
    assert saved == (t("log_saved", lang, reference=us.reference, what=what), ())
    async with db.session() as session:
        contacts = list(await session.scalars(select(Contact).order_by(Contact.id)))  # type: ignore[arg-type]
    assert len(contacts) == before + 1
    last = contacts[-1]
    assert (last.event, last.outcome, last.kind) == ("call", "no_answer", "follow_up")


async def test_only_the_holder_releases_and_the_card_goes_back_to_the_queue(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    t, lang = services.texts, services.staff_language
    us = await team(db, services)
    async with db.session() as session:
        refused = await casework.case_press(
            session, services, us.colleague, us.request_id, "rel_no_time"
        )
        gone = await casework.case_press(session, services, us.holder, us.request_id, "fly_away")
    assert refused == Popup(t("not_holder", lang)) and gone == Popup(t("claim_gone", lang))
    cards_before = [m for m in await outbox(db) if m.purpose == "card"]
    async with db.session() as session:
        answer = await casework.case_press(
            session, services, us.holder, us.request_id, "rel_no_time"
        )
    assert answer == (t("released", lang, reference=us.reference), ())
    assert (await stored(db, us.request_id)).status == RequestStatus.open
    cards_after = [m for m in await outbox(db) if m.purpose == "card"]
    assert len(cards_after) == len(cards_before) + 1
    assert t("release_no_time", lang) in cards_after[-1].text


async def test_the_number_is_shown_only_to_the_holder_and_audited(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    us = await team(db, services)
    async with db.session() as session:
        refused = await casework.case_press(session, services, us.colleague, us.request_id, "phone")
    assert isinstance(refused, Popup) and "612345678" not in refused.text
    assert await audits(db, AuditAction.view_phone) == []
    async with db.session() as session:
        shown = await casework.case_press(session, services, us.holder, us.request_id, "phone")
    assert isinstance(shown, Popup) and "Truus" in shown.text
    [seen] = await audits(db, AuditAction.view_phone)
    assert seen.detail == "via=button"


async def draft_of(db: Database, services: Services, us: Team) -> int:
    """The holder's draft handover of the request to ``TARGET``, from the case button."""
    async with db.session() as session:
        answer = await casework.case_press(
            session, services, us.holder, us.request_id, f"ho_{TARGET}"
        )
    assert not isinstance(answer, (Popup, casework.Ring))
    async with db.session() as session:
        draft = await repo.draft_handover(session=session, from_staff_id=us.holder.id)
    assert draft is not None and draft.id is not None
    return draft.id


async def test_a_handover_needs_a_basis_then_goes_out_and_is_decided_once(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    t, lang = services.texts, services.staff_language
    us = await team(db, services)
    draft = await draft_of(db, services, us)
    async with db.session() as session:
        stranger = await handover_draft.draft_press(session, services, COLLEAGUE, draft, "to_any")
        early = await handover_draft.draft_press(session, services, HOLDER, draft, "nonote")
    assert stranger == Popup(t("not_allowed", lang))
    assert not isinstance(early, Popup)
    assert early[0].startswith(t("handover_consent_first", lang)), "no sending without a basis"
    for step in ("to_any", "consent"):
        async with db.session() as session:
            await handover_draft.draft_press(session, services, HOLDER, draft, step)
    async with db.session() as session:
        sent = await handover_draft.draft_press(session, services, HOLDER, draft, "nonote")
    label = services.config.queue_label(TARGET, lang)
    assert sent == (t("handover_asked", lang, reference=us.reference, queue=label), ())
    async with db.session() as session:
        row = await session.get(Handover, draft)
        assert row is not None and (row.status, row.consent_basis) == ("pending", "consent")
    async with db.session() as session:
        outsider = await handover.decide(session, services, us.colleague, draft, accept=True)
    assert outsider == Popup(t("claim_not_your_queue", lang))
    async with db.session() as session:
        accepted = await handover.decide(session, services, us.receiver, draft, accept=True)
    assert accepted == handover.Decision(t("handover_done_card", lang, staff="Bram"))
    assert accepted.decided
    async with db.session() as session:
        again = await handover.decide(session, services, us.receiver, draft, accept=False)
    assert again == Popup(t("handover_gone", lang)), "the first decision wins"
    assert len(await audits(db, AuditAction.handover_decided)) == 1
    moved = await stored(db, us.request_id)
    assert (moved.queue, moved.claimed_by) == (TARGET, us.receiver.id)


async def test_a_handover_whose_request_was_released_is_voided_at_the_decision(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    t, lang = services.texts, services.staff_language
    us = await team(db, services)
    draft = await draft_of(db, services, us)
    for step in ("to_any", "consent", "nonote"):
        async with db.session() as session:
            await handover_draft.draft_press(session, services, HOLDER, draft, step)
    await release(db, us)
    async with db.session() as session:
        voided = await handover.decide(session, services, us.receiver, draft, accept=True)
    stale = t("handover_stale", lang)
    assert voided == handover.Decision("\n\n" + stale, stale) and not voided.decided
    assert await audits(db, AuditAction.handover_decided) == []
