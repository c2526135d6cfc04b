"""``/log``: record a contact on a request in two taps (a call made, a visit, an email)."""

from __future__ import annotations

from flows.conversation import Button, Callback, callback, rows
from helpline.cases.access import actor_for
from helpline.cases.contacts import count_contact
from helpline.handlers.turn import ButtonTurn, CommandTurn, on_button, on_command
from helpline.render import inline_markup
from helpline.safe_send import answer_query, edit_pressed
from helpline.services import HelplineContext
from storage import repository as repo
from storage.models import Channel, Direction

LOG_PATTERN = r"^log:[a-z_]{1,16}:\d{1,12}$"
# The common contacts: (key, channel, direction, event, outcome).
KINDS: dict[str, tuple[Channel, Direction, str, str | None]] = {
    "call_reached": (Channel.phone, Direction.outbound, "call", "reached"),
    "call_missed": (Channel.phone, Direction.outbound, "call", "no_answer"),
    "called_us": (Channel.phone, Direction.inbound, "call", None),
    "walk_in": (Channel.walk_in, Direction.inbound, "visit", None),
    "email": (Channel.email, Direction.outbound, "email", None),
}


@on_command
async def log_command(turn: CommandTurn, context: HelplineContext) -> None:
    """Shows the requests I hold as buttons, to record a contact on one."""
    t, lang, message = turn.t, turn.lang, turn.message
    async with turn.services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        held = await repo.held_requests(session=session, staff_id=actor.id)
    if not held:
        await turn.reply("mine_empty")
        return
    buttons = [Button(r.reference, callback("log", "pick", r.id)) for r in held[:20]]
    await message.reply_text(t("log_pick", lang), reply_markup=inline_markup(rows(buttons, 2)))


@on_button()
async def log_button(turn: ButtonTurn, press: Callback, context: HelplineContext) -> None:
    """First tap: which request; second tap: what kind of contact (stored at once)."""
    _, kind, raw_id = press
    services, t, lang, query = turn.services, turn.t, turn.lang, turn.query
    async with services.db.session() as session:
        actor = await actor_for(session, turn.user.id)
        request = await repo.get_request(session=session, request_id=int(raw_id))
        if actor is None or request is None or not actor.may("log", request):
            await turn.popup("not_allowed")
            return
        if kind == "pick":
            await answer_query(query)
            buttons = [Button(t(f"log_{k}", lang), callback("log", k, request.id)) for k in KINDS]
            await edit_pressed(  # a second press of the same button changes nothing
                query,
                t("log_kind", lang, reference=request.reference),
                inline_markup(rows(buttons, 1)),
            )
            return
        if kind not in KINDS:
            await turn.popup("claim_gone")
            return
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
    await answer_query(query)
    await edit_pressed(
        query, t("log_saved", lang, reference=request.reference, what=t(f"log_{kind}", lang))
    )
