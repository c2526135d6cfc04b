"""📞 Bel nu and outbound calls: the provider rings the staff member's phone, then the
resident; the outbound call's events log one outbound contact under the request.

``start_dial`` decides, at the press, whether this staff member may ring this resident
now (holder, not a volunteer, an extension, a number) and records the dial, committed
before the provider is asked, so events that come quickly find it. ``handle_outbound``
takes an outbound call's events: the first event of a call to a resident takes the
newest waiting dial to them (``DIAL_WINDOW``), and the end logs the contact once, with
the outcome reached or no_answer. A Gebeld pressed afterwards on a planned call sets
that contact's outcome instead of logging the call twice (``helpline.cases.circle``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.permissions import allowed
from flows.telephony import CallEvent, CallEventKind
from helpline.cases import audit
from helpline.cases.access import Actor
from helpline.cases.call_outcome import CallOutcome, record_event
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Channel, Direction, Request, Resident
from storage.repository import dials
from storage.repository import telephony as calls
from storage.telephony_models import PhoneCallState

DIAL_WINDOW = timedelta(minutes=15)  # an outbound call to the resident this soon is the dial's


@dataclass(frozen=True)
class DialStart:
    """A dial recorded: what the edge asks the provider for, and what it tells the staff."""

    dial_id: int
    extension: str
    number: str
    first_name: str
    reference: str


async def start_dial(
    session: AsyncSession, services: Services, actor: Actor, request: Request
) -> DialStart | str:
    """Records a Bel nu, or says (the text to show) why it cannot be done now."""
    t, lang = services.texts, services.staff_language
    if not services.settings.dial_url:
        return t("dial_not_set_up", lang)
    if not allowed(str(actor.staff.role), "take_calls"):
        return t("not_for_volunteers", lang)
    if not actor.staff.phone_extension:
        return t("dial_no_extension", lang)
    resident = await session.get(Resident, request.resident_id) if request.resident_id else None
    if resident is None or resident.id is None or not resident.phone:
        return t("dial_no_number", lang)
    assert request.id is not None
    dial = await dials.add_dial(
        session=session,
        request_id=request.id,
        staff_id=actor.id,
        resident_id=resident.id,
        at=services.clock(),
    )
    # The number goes to the provider and shows on the staff's phone.
    await audit.record(session, services, actor.id, AuditAction.view_phone, request, "via=dial")
    assert dial.id is not None
    return DialStart(
        dial_id=dial.id,
        extension=actor.staff.phone_extension,
        number=resident.phone,
        first_name=resident.first_name or "?",
        reference=request.reference,
    )


async def dial_failed(services: Services, dial_id: int) -> None:
    """The provider refused or could not be reached: the dial takes no call."""
    async with services.db.session() as session:
        await dials.fail_dial(session=session, dial_id=dial_id)


async def handle_outbound(services: Services, event: CallEvent) -> CallOutcome:
    """Records one event of an outbound call; its end logs an outbound contact once."""
    async with services.db.session() as session:
        call, new, resident = await record_event(session, event)
        assert call.id is not None
        if new and resident is not None and resident.id is not None:
            dial = await dials.claim_dial(
                session=session,
                resident_id=resident.id,
                phone_call_id=call.id,
                since=event.at - DIAL_WINDOW,
            )
        else:
            dial = await dials.dial_of_call(session=session, phone_call_id=call.id)
        if event.event is CallEventKind.ringing:
            return CallOutcome(changed=new)
        talked = event.event is CallEventKind.answered or event.cause == "normalClearing"
        if talked:
            await calls.answer_call(
                session=session,
                call=call,
                staff_id=dial.staff_id if dial else None,
                extension=event.answered_by,
                at=event.at,
            )
            if event.event is CallEventKind.answered:
                return CallOutcome(changed=True)
        reached = call.state == PhoneCallState.answered  # answered now or by an earlier event
        if reached:
            ended = await calls.end_answered_call(
                session=session, call=call, cause=event.cause, at=event.at
            )
        else:
            ended = await calls.miss_call(
                session=session, call=call, cause=event.cause, at=event.at
            )
        if not ended or resident is None:
            return CallOutcome(changed=ended)  # a number that is no resident: nothing to log
        request = (
            await repo.get_request(session=session, request_id=dial.request_id) if dial else None
        )
        fields = (
            repo.request_contact_fields(request)
            if request
            else {
                "village": resident.village,
                "new_or_known": "bekend",
                "resident_id": resident.id,
            }
        )
        contact = await repo.log_contact(
            session=session,
            occurred_at=call.answered_at or event.at,
            channel=Channel.phone,
            direction=Direction.outbound,
            event="call",
            staff_id=dial.staff_id if dial else None,
            **(fields | {"kind": "follow_up", "outcome": "reached" if reached else "no_answer"}),
        )
        await session.flush()
        await calls.link_call(session=session, call=call, contact_id=contact.id)
        if dial is not None and dial.id is not None and contact.id is not None:
            await dials.set_dial_contact(session=session, dial_id=dial.id, contact_id=contact.id)
        return CallOutcome(changed=True)
