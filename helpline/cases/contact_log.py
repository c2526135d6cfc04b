"""Recording a contact on a held request in two taps (``/log``): a call made, a visit, an email.

The first tap picks the request, the second the kind of contact, counted at once as a
follow-up. Who may log on a request is checked at each tap, in its transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, rows
from helpline.cases.access import Actor, actor_for
from helpline.cases.answers import Answer, Popup
from helpline.cases.contacts import count_contact
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Channel, Direction

MAX_LISTED = 20

# The common contacts: key → (channel, direction, event, outcome).
KINDS: dict[str, tuple[Channel, Direction, str, str | None]] = {
    "call_reached": (Channel.phone, Direction.outbound, "call", "reached"),
    "call_missed": (Channel.phone, Direction.outbound, "call", "no_answer"),
    "called_us": (Channel.phone, Direction.inbound, "call", None),
    "walk_in": (Channel.walk_in, Direction.inbound, "visit", None),
    "email": (Channel.email, Direction.outbound, "email", None),
}


async def pick_request(session: AsyncSession, services: Services, actor: Actor) -> Answer:
    """The requests ``actor`` holds as buttons to log a contact on; or the text that
    there are none."""
    t, lang = services.texts, services.staff_language
    held = await repo.held_requests(session=session, staff_id=actor.id)
    if not held:
        return t("mine_empty", lang), ()
    buttons = [Button(r.reference, callback("log", "pick", r.id)) for r in held[:MAX_LISTED]]
    return t("log_pick", lang), rows(buttons, 2)


async def log_press(
    session: AsyncSession, services: Services, user_id: int, request_id: int, kind: str
) -> Answer | Popup:
    """A tap of Telegram user ``user_id`` on ``/log``'s buttons for request ``request_id``.

    ``pick`` asks what kind of contact it was; a kind of ``KINDS`` counts that contact.
    Returns what the pressed message becomes, or the refusal as a popup (not staff, no
    such request, not allowed to log on it, an unknown kind).
    """
    t, lang = services.texts, services.staff_language
    actor = await actor_for(session, user_id)
    request = await repo.get_request(session=session, request_id=request_id)
    if actor is None or request is None or not actor.may("log", request):
        return Popup(t("not_allowed", lang))
    if kind == "pick":
        buttons = [Button(t(f"log_{k}", lang), callback("log", k, request.id)) for k in KINDS]
        return t("log_kind", lang, reference=request.reference), rows(buttons, 1)
    if kind not in KINDS:
        return Popup(t("claim_gone", lang))
    channel, direction, event, outcome = KINDS[kind]
    await count_contact(
        session,
        request,
        services.clock(),
        channel,
        direction,
        event,
        actor.id,
        outcome=outcome,
        kind="follow_up",
    )
    return t("log_saved", lang, reference=request.reference, what=t(f"log_{kind}", lang)), ()
