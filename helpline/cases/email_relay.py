"""The holder writes to a resident who reached the line by email: the message goes out by
mail from the line's address (never the staff member's), with the reference in the
subject so the resident's answer joins the same request."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.email_reply import reply_subject
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from helpline.cases.email_intake import own_message_id
from storage import repository as repo
from storage.models import Channel, Direction, Request, Resident
from storage.repository import email as mails


async def relay_by_email(
    session: AsyncSession,
    services: Services,
    *,
    request: Request,
    resident: Resident,
    staff_id: int | None,
    text: str,
) -> bool:
    """Queues the holder's message as a mail; False when the resident has no address or
    the line sends no mail (then the caller says so, as for a resident without a chat)."""
    settings = services.settings
    if resident.id is None or not settings.smtp_url or not settings.mail_from:
        return False
    address = await mails.address_of(session=session, resident_id=resident.id)
    if address is None:
        return False
    mails.enqueue_mail(
        session=session,
        now=services.clock(),
        request_id=request.id,
        purpose="relay",
        to_address=address,
        subject=reply_subject(services.texts, request.reference),
        body=services.texts(
            "email_relay_body", resident.language, reference=request.reference, text=text
        ),
        message_id=own_message_id(services, request.reference),
    )
    await repo.add_note(
        session=session, request_id=request.id or 0, author="staff", text=text, staff_id=staff_id
    )
    await count_contact(
        session, request, services.clock(), Channel.email, Direction.outbound, "relay", staff_id
    )
    return True
