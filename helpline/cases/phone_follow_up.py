"""After an answered call: the one who answered says what it was (📝 or ℹ️).

📝 Nieuwe vraag starts the staff phone intake (``/nieuw``) in their private chat with
the channel and the caller's number already filled in, and for a known caller their
first name and village too. ℹ️ Alleen informatie leaves the logged contact as it is.
Either choice is made once per call: a conditional update on the call row.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows import phone_intake as pi
from flows.conversation import Reply
from flows.phone_intake import StaffDraft, StaffStep
from helpline.cases.access import Actor
from helpline.cases.core import Services
from helpline.cases.drafts import store_staff_draft
from storage import repository as repo
from storage.models import IntakeDraft
from storage.repository import telephony as calls

STAFF_FLOW = "staff"  # as helpline.handlers.staff_intake: the draft /nieuw continues


async def info_only(
    session: AsyncSession, services: Services, *, actor: Actor, phone_call_id: int
) -> str:
    """ℹ️ Alleen informatie: the contact stays an information contact; the answer to show."""
    lang = services.staff_language
    call = await calls.choose_follow_up(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, choice="info"
    )
    return services.texts("tel_info_logged" if call else "tel_follow_up_done", lang)


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
    call = await calls.choose_follow_up(
        session=session, phone_call_id=phone_call_id, staff_id=actor.id, choice="intake"
    )
    if call is None:
        return (Reply(services.texts("tel_follow_up_done", lang)),)
    if call.contact_id is not None:  # the call was about a request after all
        await calls.set_contact_kind(session=session, contact_id=call.contact_id, kind="hulpvraag")
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
