"""After an answered call: the one who answered says what it was (📝, 🔗 or ℹ️).

🔗 Bij HH-… files the call's contact under one of the known caller's open requests
(as a follow-up contact of that request). 📝 Nieuwe vraag starts the staff phone
intake (``/nieuw``) in their private chat with the channel and the caller's number
already filled in, and for a known caller their first name and village too. ℹ️ Alleen
informatie leaves the logged contact an information contact and offers the categories,
so the report knows what it was about. One choice per call (and one topic): conditional
updates on the call and contact rows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows import call_pop
from flows import phone_intake as pi
from flows.conversation import Reply, markup_json
from flows.phone_intake import StaffDraft, StaffStep
from helpline.cases.access import Actor
from helpline.cases.core import Services
from helpline.cases.drafts import store_staff_draft
from helpline.cases.staff_intake import STAFF_FLOW  # the draft /nieuw continues
from storage import repository as repo
from storage.models import IntakeDraft
from storage.repository import call_follow_up as follow_ups
from storage.repository import telephony as calls
from storage.telephony_models import PhoneCall


async def after_call_markup(session: AsyncSession, services: Services, call: PhoneCall) -> str:
    """The buttons under an ended call: 📝, a 🔗 per open request of a known caller, ℹ️."""
    assert call.id is not None
    cases: list[tuple[int, str]] = []
    if call.resident_id is not None:
        found = await calls.open_cases(session=session, resident_id=call.resident_id)
        cases = [(case.request_id, case.reference) for case in found]
    buttons = call_pop.follow_up_buttons(services.texts, services.staff_language, call.id, cases)
    return markup_json(buttons)


async def link_to_request(
    session: AsyncSession, services: Services, *, actor: Actor, phone_call_id: int, request_id: int
) -> str:
    """🔗 Bij HH-…: the call's contact joins that open request of the caller; the answer."""
    lang, texts = services.staff_language, services.texts
    request = await repo.get_request(session=session, request_id=request_id)
    call = await calls.get_phone_call(session=session, phone_call_id=phone_call_id)
    if request is None or call is None or request.resident_id != call.resident_id:
        return texts("tel_follow_up_done", lang)
    if request.status not in calls.OPEN:
        return texts("tel_link_closed", lang, reference=request.reference)
    chosen = await follow_ups.choose_follow_up(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, choice="link"
    )
    if chosen is None or not await follow_ups.attach_contact(
        session=session, call=chosen, request=request
    ):
        return texts("tel_follow_up_done", lang)
    return texts("tel_linked", lang, reference=request.reference)


async def info_only(
    session: AsyncSession, services: Services, *, actor: Actor, phone_call_id: int
) -> Reply:
    """ℹ️ Alleen informatie: the contact stays an information contact; the answer, with
    the categories to say what it was about."""
    lang = services.staff_language
    call = await follow_ups.choose_follow_up(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, choice="info"
    )
    if call is None:
        return Reply(services.texts("tel_follow_up_done", lang))
    return Reply(
        services.texts("tel_info_logged", lang),
        call_pop.topic_buttons(services.config, lang, phone_call_id),
    )


async def info_topic(
    session: AsyncSession,
    services: Services,
    *,
    actor: Actor,
    phone_call_id: int,
    category: str,
) -> str:
    """The topic of an information call (a category), once; the answer to show."""
    lang, texts = services.staff_language, services.texts
    known = services.config.categories.get(category)
    if known is None or not await follow_ups.set_info_topic(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, category=category
    ):
        return texts("tel_follow_up_done", lang)
    return texts("tel_topic_logged", lang, category=known.label(lang))


async def new_request(
    session: AsyncSession,
    services: Services,
    *,
    actor: Actor,
    phone_call_id: int,
    chat_id: int,
) -> tuple[Reply, ...]:
    """📝 Nieuwe vraag: the staff intake, prefilled from the call; its first question."""
    lang = services.staff_language
    call = await follow_ups.choose_follow_up(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, choice="intake"
    )
    if call is None:
        return (Reply(services.texts("tel_follow_up_done", lang)),)
    if call.contact_id is not None:  # the call was about a request after all
        await follow_ups.set_contact_kind(
            session=session, contact_id=call.contact_id, kind="hulpvraag"
        )
    resident = await calls.resident_by_phone(session=session, phone=call.caller_phone)
    draft = StaffDraft(step=StaffStep.NAME, channel="phone", phone=call.caller_phone)
    if resident is not None and resident.first_name and resident.village:
        draft = StaffDraft(
            step=StaffStep.QUESTION,
            channel="phone",
            phone=call.caller_phone,
            first_name=resident.first_name,
            village=resident.village,
        )
    await repo.delete_draft(session=session, chat_id=chat_id)
    row = IntakeDraft(
        chat_id=chat_id,
        user_id=actor.staff.telegram_user_id,
        flow=STAFF_FLOW,
        step="",
        language=lang,
        created_at=services.clock(),
    )
    store_staff_draft(services, row, draft)
    session.add(row)
    return pi.ask(services.intake, draft, lang)
