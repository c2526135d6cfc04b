"""The phone line: a call event from the exchange, handled in one transaction.

Ringing: the bekendheidscheck and a screen pop to each staff member who takes calls (those
on duty by the rota, else the members of TELEPHONY_QUEUE; in their private chats, never
a group). Answered: the pops
say who answered. Ended after an answer: a phone contact is logged and the one who
answered gets 📝 Nieuwe vraag / ℹ️ Alleen informatie. Ended without an answer: a
📞 Terugbellen request in TELEPHONY_QUEUE, or the caller's open one joined.

Pops go out through the outbox; a pop already sent is changed by the edge
(``CallOutcome.edits``), one still waiting is rewritten in the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from flows import call_pop
from flows.call_pop import CallerView, OpenCaseView
from flows.permissions import allowed
from flows.submission import FALLBACK_CATEGORY
from flows.telephony import CallEvent, CallEventKind
from helpline.cases.call_outcome import CallOutcome, PopEdit, record_event
from helpline.cases.cards import annotate_card, post_card
from helpline.cases.core import Services
from helpline.cases.dial import handle_outbound
from helpline.cases.phone_follow_up import after_call_markup
from helpline.cases.rota import call_takers
from storage import repository as repo
from storage.models import Channel, Direction, OutboxStatus, Request, Resident
from storage.repository import telephony as calls
from storage.telephony_models import PhoneCall, PhoneCallState

POP_PURPOSE = "phone_pop"
AFTER_CALL_PURPOSE = "phone_after_call"
UNKNOWN_END = "unknown"  # the cause of a call closed because no hangup ever came
CALLBACK_CONSENT = "missed_call"  # no consent asked: the caller asked us, by calling


async def handle_call_event(services: Services, event: CallEvent) -> CallOutcome:
    """Records one call event and what follows from it, in one transaction."""
    if event.direction != "inbound":
        return await handle_outbound(services, event)  # 📞 Bel nu and other calls out
    async with services.db.session() as session:
        call, new, resident = await record_event(session, event)
        if event.event is CallEventKind.ringing:
            pops = await _send_pops(session, services, call, resident) if new else 0
            return CallOutcome(changed=new, pops=pops)
        # An exchange that reports the answer only with the hangup: normalClearing (a call
        # that was talked and then ended), or who answered with no cause at all.
        answered_on_hangup = event.cause == "normalClearing" or (
            bool(event.answered_by) and event.cause is None
        )
        if event.event is CallEventKind.answered or answered_on_hangup:
            outcome = await _answer(session, services, call, event)
            if event.event is CallEventKind.answered:
                return outcome
        if call.state == PhoneCallState.answered:
            return await _end_answered(session, services, call, event)
        return await _miss(session, services, call, event)


async def caller_view(
    session: AsyncSession, services: Services, call: PhoneCall, resident: Resident | None
) -> CallerView:
    """The bekendheidscheck of a call: the resident with its number, their open requests."""
    if resident is None or resident.id is None:
        return CallerView(phone=call.caller_phone)
    cases = await calls.open_cases(session=session, resident_id=resident.id)
    last = await calls.last_contact_at(session=session, resident_id=resident.id)
    return CallerView(
        phone=call.caller_phone,
        known=True,
        first_name=resident.first_name,
        village=resident.village,
        open_cases=tuple(OpenCaseView(c.reference, c.queue, c.holder) for c in cases),
        last_contact=last.astimezone(services.settings.zone).date() if last else None,
    )


async def _send_pops(
    session: AsyncSession, services: Services, call: PhoneCall, resident: Resident | None
) -> int:
    """A pop in the private chat of each one on duty (the rota), else of the telephony queue."""
    lang = services.staff_language
    text = call_pop.pop_text(
        services.config, services.texts, lang, await caller_view(session, services, call, resident)
    )
    takers = await call_takers(session, services, call.ringing_at)
    if not takers:
        return 0  # outside opening hours with nobody on duty: a missed call becomes a callback
    rows = [
        (
            member,
            await repo.enqueue(
                session=session,
                now=services.clock(),
                chat_id=member.telegram_user_id,  # the private chat: a user's id is its chat's id
                text=text,
                purpose=POP_PURPOSE,
            ),
        )
        for member in takers
    ]
    await session.flush()  # the outbox ids, for the pops
    for member, outbox in rows:
        assert member.id is not None and outbox.id is not None
        calls.add_pop(
            session=session,
            call=call,
            staff_id=member.id,
            chat_id=member.telegram_user_id,
            outbox_id=outbox.id,
        )
    return len(rows)


async def change_pops(session: AsyncSession, call: PhoneCall, line: str) -> list[PopEdit]:
    """Adds ``line`` to every pop of the call: in the outbox if unsent, else as an edit."""
    edits = []
    for pop, outbox in await calls.call_pops(session=session, call=call):
        text = call_pop.with_line(outbox.text, line)
        if outbox.status == OutboxStatus.pending and await calls.rewrite_unsent(
            session=session, outbox_id=outbox.id or 0, text=text
        ):
            continue
        if outbox.status in (OutboxStatus.sent, OutboxStatus.sending):
            edits.append(PopEdit(pop.chat_id, outbox.message_id, text, outbox.id or 0))
    return edits


async def _answer(
    session: AsyncSession, services: Services, call: PhoneCall, event: CallEvent
) -> CallOutcome:
    staff = await calls.staff_by_extension(session=session, extension=event.answered_by)
    answered = await calls.answer_call(
        session=session,
        call=call,
        staff_id=staff.id if staff else None,
        extension=event.answered_by,
        at=event.at,
    )
    if not answered:
        return CallOutcome()
    lang = services.staff_language
    line = (
        services.texts("tel_answered_by", lang, name=staff.name)
        if staff
        else services.texts("tel_answered", lang)
    )
    return CallOutcome(changed=True, edits=await change_pops(session, call, line))


async def _end_answered(
    session: AsyncSession, services: Services, call: PhoneCall, event: CallEvent
) -> CallOutcome:
    if not await calls.end_answered_call(
        session=session, call=call, cause=event.cause, at=event.at
    ):
        return CallOutcome()
    known = await repo.familiarity(session=session, telegram_user_id=None, phone=call.caller_phone)
    resident = await calls.resident_by_phone(session=session, phone=call.caller_phone)
    contact = await repo.log_contact(
        session=session,
        occurred_at=call.answered_at or event.at,
        channel=Channel.phone,
        direction=Direction.inbound,
        kind="informatie",  # until the one who answered says it was a request
        event="call",
        village=resident.village if resident else None,
        queue=services.settings.telephony_queue,
        new_or_known=known.label,
        resident_id=call.resident_id,
        staff_id=call.answered_by,
    )
    await session.flush()
    await calls.link_call(session=session, call=call, contact_id=contact.id)
    answerer = None
    if call.answered_by is not None:
        answerer = await repo.get_staff_by_id(session=session, staff_id=call.answered_by)
    if answerer is not None and answerer.active and allowed(str(answerer.role), "call_follow_up"):
        lang = services.staff_language
        assert call.id is not None
        number = call_pop.caller_label(services.texts, lang, call.caller_phone)
        # Closed by the upkeep job (no hangup ever came): its length is not known.
        text = (
            services.texts("tel_ended_unknown", lang, number=number)
            if event.cause == UNKNOWN_END
            else services.texts(
                "tel_ended",
                lang,
                number=number,
                minutes=call_pop.minutes(call.answered_at, call.ended_at),
            )
        )
        await repo.enqueue(
            session=session,
            now=services.clock(),
            chat_id=answerer.telegram_user_id,
            text=text,
            reply_markup=await after_call_markup(session, services, call),
            purpose=AFTER_CALL_PURPOSE,
        )
    return CallOutcome(changed=True)


async def _miss(
    session: AsyncSession, services: Services, call: PhoneCall, event: CallEvent
) -> CallOutcome:
    if not await calls.miss_call(session=session, call=call, cause=event.cause, at=event.at):
        return CallOutcome()
    lang, texts = services.staff_language, services.texts
    if call.caller_phone is None:
        line = texts("tel_missed_withheld", lang)
        return CallOutcome(changed=True, edits=await change_pops(session, call, line))
    local = event.at.astimezone(services.settings.zone)
    existing = await calls.open_callback(session=session, caller_phone=call.caller_phone)
    if existing is not None:
        await calls.link_call(session=session, call=call, callback_request_id=existing.id)
        await annotate_card(
            session, services, existing, texts("tel_callback_again", lang, time=_hm(local))
        )
        line = texts("tel_missed_joined", lang, reference=existing.reference)
        return CallOutcome(changed=True, edits=await change_pops(session, call, line))
    request = await _open_callback(session, services, call, local)
    line = texts("tel_missed", lang, reference=request.reference)
    return CallOutcome(changed=True, edits=await change_pops(session, call, line))


def _hm(local: datetime) -> str:
    return local.strftime("%H:%M")


async def _open_callback(
    session: AsyncSession, services: Services, call: PhoneCall, local: datetime
) -> Request:
    """A 📞 Terugbellen request in the telephony queue, with its card and claim button."""
    lang, texts = services.staff_language, services.texts
    known = await repo.familiarity(session=session, telegram_user_id=None, phone=call.caller_phone)
    resident = await repo.find_or_add_resident(
        session=session, phone=call.caller_phone, first_name=None, village=None, language=lang
    )
    request = await repo.create_request(
        session=session,
        prefix=services.config.organisation.reference_prefix,
        resident_id=resident.id,
        channel=Channel.phone,
        kind="hulpvraag",
        category=FALLBACK_CATEGORY,
        urgency="normal",
        village=resident.village,
        queue=services.settings.telephony_queue,
        summary=texts("tel_callback_summary", lang, when=local.strftime("%d-%m-%Y %H:%M")),
        contact_preference="phone",
        language=resident.language,
        new_or_known=known.label,
        consent_version=CALLBACK_CONSENT,
        created_at=services.clock(),
    )
    await calls.link_call(session=session, call=call, callback_request_id=request.id)
    extra = texts("tel_callback_card", lang, time=_hm(local))
    await post_card(session, services, request, extra=extra, known=known, new=True)
    return request
