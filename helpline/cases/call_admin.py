"""A caller's own call settings and overview: availability (``/beschikbaar``), the agenda
(``/agenda``) and a resident's contact person for the telefooncirkel (``/contactpersoon``).

Each function takes the staff member the edge found in the same transaction and returns
the text to reply; the agenda shows only a first name and a reference per call.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows.calls.availability import AvailabilityError, Window, parse_availability
from flows.calls.when import parse_reference
from helpline.cases import calls as callwork
from helpline.cases.access import Actor
from helpline.cases.core import Services
from storage import repository as repo

CLEAR_WORDS = ("wis", "clear", "geen", "none")
AGENDA_DAYS = 7
OVERDUE_DAYS = 30  # calls left open this long ago still belong on today's list
MAX_AVAILABILITY = 500  # characters of a typed availability that are read
MAX_CONTACT_NAME = 120


async def availability(session: AsyncSession, services: Services, actor: Actor, typed: str) -> str:
    """Stores the windows ``typed`` after ``/beschikbaar`` as ``actor``'s availability.

    A clear word empties it; no text shows the current windows with the usage; text
    that cannot be read gets its error with the usage, and nothing is stored.
    """
    t, lang = services.texts, services.staff_language
    days = t("weekday_names", lang).split(",")
    if typed.casefold() in CLEAR_WORDS:
        await repo.set_availability(session=session, staff_id=actor.id, windows=[])
        return t("avail_cleared", lang)
    if not typed:
        rows = await repo.get_availability(session=session, staff_id=actor.id)
        current = [Window(r.weekday, r.start_minute, r.end_minute).label(days) for r in rows]
        head = t("avail_current", lang, lines="\n".join(current)) if current else None
        return (head or t("avail_none", lang)) + "\n\n" + t("avail_usage", lang)
    try:
        windows = parse_availability(typed[:MAX_AVAILABILITY])
    except AvailabilityError as exc:
        return t(exc.key, lang, detail=exc.detail) + "\n\n" + t("avail_usage", lang)
    await repo.set_availability(
        session=session,
        staff_id=actor.id,
        windows=[(w.weekday, w.start, w.end) for w in windows],
    )
    return t("avail_saved", lang, lines="\n".join(w.label(days) for w in windows))


async def agenda(session: AsyncSession, services: Services, actor: Actor) -> str:
    """``actor``'s scheduled calls today (with earlier ones still open, marked overdue)
    and in the coming ``AGENDA_DAYS`` days, or the text saying there are none."""
    t, lang = services.texts, services.staff_language
    zone, now = callwork.zone(services), services.clock()
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=AGENDA_DAYS + 1), time(0), tzinfo=zone)
    calls = await repo.calls_for_assignee(
        session=session, staff_id=actor.id, start=start - timedelta(days=OVERDUE_DAYS), end=end
    )
    if not calls:
        return t("agenda_empty", lang)
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
    return "\n".join(lines)


async def contact_person(
    session: AsyncSession, services: Services, actor: Actor, words: list[str]
) -> str:
    """Sets (or, with a clear word, removes) the contact person of a request's resident.

    ``words`` are those after ``/contactpersoon``: a reference, a name and optionally
    the contact's Telegram id. Allowed to whoever may plan calls for that request.
    """
    t, lang = services.texts, services.staff_language
    reference = parse_reference(words[0]) if words else None
    if reference is None or len(words) < 2:
        return t("contact_usage", lang)
    request = await repo.get_request_by_reference(session=session, reference=reference)
    if request is None or not actor.may("plan_call", request) or not request.resident_id:
        key = "plan_unknown_reference" if request is None else "not_allowed"
        return t(key, lang, reference=reference)
    rest = words[1:]
    if len(rest) == 1 and rest[0].casefold() in CLEAR_WORDS:
        await repo.set_contact_person(
            session=session, resident_id=request.resident_id, name=None, chat_id=None
        )
        return t("contact_cleared", lang, reference=reference)
    chat_id = int(rest.pop()) if rest[-1].isdigit() and 5 <= len(rest[-1]) <= 15 else None
    name = " ".join(rest)[:MAX_CONTACT_NAME].strip()
    if not name:
        return t("contact_usage", lang)
    await repo.set_contact_person(
        session=session, resident_id=request.resident_id, name=name, chat_id=chat_id
    )
    chat = t("contact_chat_yes" if chat_id else "contact_chat_no", lang)
    return t("contact_saved", lang, reference=reference, name=name, chat=chat)
