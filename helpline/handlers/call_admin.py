"""``/beschikbaar``, ``/agenda``, ``/contactpersoon``, and the typed answers to a call
prompt (a date/time, a closing note).

Typed answers: a press that asks for text stores a ``staff_prompt`` row; the next plain
message of that person answers it (handled before the relay, group -1). A command
drops the prompt; anything but text gets the question again.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from flows.calls.availability import AvailabilityError, Window, parse_availability
from flows.calls.recurrence import RepeatError
from flows.calls.when import WhenError, parse_reference
from flows.conversation import Button
from helpline.cases import calls as callwork
from helpline.cases.access import Actor, actor_for
from helpline.cases.call_drafts import create_draft, draft_answer
from helpline.cases.call_times import read_typed, typed_error
from helpline.cases.calls import may_work
from helpline.cases.circle import close_alert
from helpline.cases.core import Services
from helpline.handlers.turn import CommandTurn, on_command
from helpline.render import inline_markup
from helpline.services import HelplineContext
from storage import repository as repo

AVAILABILITY_COMMANDS = ["beschikbaar"]
AGENDA_COMMANDS = ["agenda"]
CONTACT_COMMANDS = ["contactpersoon"]
CLEAR_WORDS = ("wis", "clear", "geen", "none")
MAX_NOTE = 1000
AGENDA_DAYS = 7
# A question left unanswered this long no longer catches the next message (which may be
# meant for the resident, through the relay).
PROMPT_TTL = timedelta(minutes=15)


@on_command
async def availability_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/beschikbaar ma 10-12, wo 14-16``: stores when I can call; without text shows it."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    typed = (message.text or "").partition(" ")[2].strip()
    days = t("weekday_names", lang).split(",")
    async with services.db.session() as session:
        actor = await turn.actor(session, "set_availability", refusal="not_staff_command")
        if actor is None:
            return
        if typed.casefold() in CLEAR_WORDS:
            await repo.set_availability(session=session, staff_id=actor.id, windows=[])
            await turn.reply("avail_cleared")
            return
        if not typed:
            rows = await repo.get_availability(session=session, staff_id=actor.id)
            current = [Window(r.weekday, r.start_minute, r.end_minute).label(days) for r in rows]
            head = t("avail_current", lang, lines="\n".join(current)) if current else None
            await message.reply_text(
                (head or t("avail_none", lang)) + "\n\n" + t("avail_usage", lang)
            )
            return
        try:
            windows = parse_availability(typed[:500])
        except AvailabilityError as exc:
            await message.reply_text(
                t(exc.key, lang, detail=exc.detail) + "\n\n" + t("avail_usage", lang)
            )
            return
        await repo.set_availability(
            session=session,
            staff_id=actor.id,
            windows=[(w.weekday, w.start, w.end) for w in windows],
        )
    await message.reply_text(
        t("avail_saved", lang, lines="\n".join(w.label(days) for w in windows))
    )


@on_command
async def agenda_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/agenda``: my scheduled calls today and in the coming days."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    zone, now = callwork.zone(services), services.clock()
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=AGENDA_DAYS + 1), time(0), tzinfo=zone)
    async with services.db.session() as session:
        actor = await turn.actor(session, "view_agenda", refusal="not_staff_command")
        if actor is None:
            return
        # Calls still open from earlier days belong on today's list too.
        calls = await repo.calls_for_assignee(
            session=session, staff_id=actor.id, start=start - timedelta(days=30), end=end
        )
    if not calls:
        await turn.reply("agenda_empty")
        return
    lines, header_week = [t("agenda_header", lang), t("agenda_today", lang)], False
    for call, request, resident in calls:
        if call.due_at >= tomorrow and not header_week:
            lines.append(t("agenda_week", lang))
            header_week = True
        line = t(
            "agenda_line",
            lang,
            when=callwork.when(services, call.due_at),
            first_name=(resident.first_name if resident else None) or t("unknown", lang),
            reference=request.reference,
        )
        lines.append(line + (t("agenda_overdue", lang) if call.due_at < now else ""))
    await message.reply_text("\n".join(lines))


@on_command
async def contact_command(turn: CommandTurn, context: HelplineContext) -> None:
    """``/contactpersoon HH-2026-00042 Naam [telegram-id]``: the telefooncirkel's contact."""
    services, t, lang, message = turn.services, turn.t, turn.lang, turn.message
    words = (message.text or "").split()[1:]
    async with services.db.session() as session:
        actor = await turn.actor(session)
        if actor is None:
            return
        reference = parse_reference(words[0]) if words else None
        if reference is None or len(words) < 2:
            await turn.reply("contact_usage")
            return
        request = await repo.get_request_by_reference(session=session, reference=reference)
        if request is None or not actor.may("plan_call", request) or not request.resident_id:
            key = "plan_unknown_reference" if request is None else "not_allowed"
            await message.reply_text(t(key, lang, reference=reference))
            return
        rest = words[1:]
        if len(rest) == 1 and rest[0].casefold() in CLEAR_WORDS:
            await repo.set_contact_person(
                session=session, resident_id=request.resident_id, name=None, chat_id=None
            )
            await turn.reply("contact_cleared", reference=reference)
            return
        chat_id = int(rest.pop()) if rest[-1].isdigit() and 5 <= len(rest[-1]) <= 15 else None
        name = " ".join(rest)[:120].strip()
        if not name:
            await turn.reply("contact_usage")
            return
        await repo.set_contact_person(
            session=session, resident_id=request.resident_id, name=name, chat_id=chat_id
        )
    chat = t("contact_chat_yes" if chat_id else "contact_chat_no", lang)
    await turn.reply("contact_saved", reference=reference, name=name, chat=chat)


async def prompt_input(update: Update, context: HelplineContext) -> None:
    """A staff member's next message after a call prompt: a date/time or a closing note.

    Raises ``ApplicationHandlerStop`` when it used the message, so the relay never sees it.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await context.sender_is_staff(user.id):
        return  # residents: no prompt to answer (the lookup is shared with the relay)
    services = context.services
    async with services.db.session() as session:
        staff = await repo.get_staff(session=session, telegram_user_id=user.id)
        prompt = (
            await repo.get_prompt(session=session, staff_id=staff.id)
            if staff and staff.id
            else None
        )
        if prompt is None or staff is None:
            return
        text = message.text or ""
        stale = services.clock() - prompt.created_at > PROMPT_TTL
        if text.startswith("/") or stale:  # the person moved on: the message is not an answer
            await repo.clear_prompt(session=session, staff_id=prompt.staff_id)
            return
        actor = await actor_for(session, user.id)
        assert actor is not None
        reply, buttons = await _answer_prompt(
            session, services, actor, prompt.kind, prompt.target_id, text
        )
    await message.reply_text(reply, reply_markup=inline_markup(buttons) if buttons else None)
    services.dispatcher.kick(context.application)
    raise ApplicationHandlerStop


async def _answer_prompt(
    session: AsyncSession, services: Services, actor: Actor, kind: str, target: int, text: str
) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    t, lang = services.texts, services.staff_language
    if not text.strip():
        key = "circle_ask_note" if kind == "alert_note" else "call_ask_typed"
        return t(key, lang, action="…"), ()
    if kind == "alert_note":
        return await close_alert(session, services, actor, target, text), ()
    try:
        moment, repeat = read_typed(services, text)
    except (WhenError, RepeatError) as exc:
        return typed_error(services, exc), ()
    if kind == "plan_time":
        request = await repo.get_request(session=session, request_id=target)
        await repo.clear_prompt(session=session, staff_id=actor.id)
        if request is None or not actor.may("plan_call", request):
            return t("not_allowed", lang), ()
        draft = await create_draft(session, services, actor, request, moment, repeat)
        return await draft_answer(session, services, draft)
    call = await repo.get_call(session=session, call_id=target)
    await repo.clear_prompt(session=session, staff_id=actor.id)
    request = await repo.get_request(session=session, request_id=call.request_id) if call else None
    if call is None or request is None or not may_work(actor, call):
        return t("call_not_yours", lang), ()
    if not await callwork.reschedule(session, services, call, moment):
        return t("call_already_done", lang), ()
    return t(
        "call_moved", lang, reference=request.reference, when=callwork.when(services, moment)
    ), ()
