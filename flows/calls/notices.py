"""The texts around a call: reminders, the resident's notice, alerts — built from texts.toml.

Volunteers get the minimum (first name, topic) and see the number only through a
button; staff get the number as a ``tel:`` link and the request's summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.calls.recurrence import Repeat
from flows.phone import display_phone
from flows.texts import Texts, moment_text

MAX_SUMMARY = 600


@dataclass(frozen=True)
class CallView:
    """What a reminder about one call may show; built by the Telegram edge from the rows."""

    call_id: int
    reference: str
    first_name: str | None
    phone: str | None  # E.164
    summary: str | None
    category: str
    due_at: datetime
    assignee: str
    volunteer: bool
    attempt: int = 0


def when_words(texts: Texts, lang: str, at: datetime, *, now: datetime, zone: ZoneInfo) -> str:
    """``vandaag om 10:00``, ``morgen om 10:00`` or ``dinsdag 5 mei om 10:00`` (local time)."""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return texts("call_when_today", lang, time=clock)
    if local.date() == today + timedelta(days=1):
        return texts("call_when_tomorrow", lang, time=clock)
    return moment_text(texts, lang, local)


def capital(text: str) -> str:
    """The sentence with its first letter upper case."""
    return text[:1].upper() + text[1:]


def tel_link(e164: str) -> str:
    """A ``tel:`` link for an E.164 number (Telegram shows it as a tappable number)."""
    return "tel:" + "".join(ch for ch in e164 if ch.isdigit() or ch == "+")


def assignee_reminder(
    texts: Texts,
    lang: str,
    view: CallView,
    *,
    kind: str,
    now: datetime,
    zone: ZoneInfo,
    late_note: bool = False,
) -> str:
    """The reminder in the assignee's private chat: who, when, the number and what it is about."""
    when = when_words(texts, lang, view.due_at, now=now, zone=zone)
    name = view.first_name or texts("unknown", lang)
    key = "call_reminder_lead" if kind == "lead" else "call_reminder_due"
    lines = [texts(key, lang, first_name=name, reference=view.reference, when=when)]
    if view.attempt:
        lines.append(texts("call_retry_line", lang, attempt=view.attempt))
    lines.append(texts("call_topic_line", lang, category=view.category))
    if view.volunteer:
        lines.append(texts("call_phone_button_hint", lang))
    elif view.phone:
        number = display_phone(view.phone)
        lines.append(texts("call_phone_line", lang, phone=number, tel=tel_link(view.phone)))
    else:
        lines.append(texts("call_no_phone", lang))
    if view.summary and not view.volunteer:
        summary = view.summary[:MAX_SUMMARY] + ("…" if len(view.summary) > MAX_SUMMARY else "")
        lines.append(texts("call_summary_line", lang, summary=summary))
    if late_note:
        planned = view.due_at.astimezone(zone).strftime("%H:%M")
        lines.append(texts("call_late_note", lang, time=planned))
    return "\n".join(lines)


def resident_notice(
    texts: Texts,
    lang: str,
    *,
    assignee: str,
    due_at: datetime,
    now: datetime,
    zone: ZoneInfo,
    moved: bool = False,
) -> str:
    """ "Morgen om 10:00 belt Anna van HeusdenHelpt! u." (or the notice that a call moved)."""
    when = when_words(texts, lang, due_at, now=now, zone=zone)
    key = "call_resident_moved" if moved else "call_resident_notice"
    return capital(texts(key, lang, when=when, assignee=assignee))


def repeat_words(texts: Texts, lang: str, rule: str | None, first: datetime, zone: ZoneInfo) -> str:
    """``eenmalig``, ``elke dinsdag, 10 keer``, ``om de 2 weken op dinsdag, tot 30-06-2026``."""
    if not rule:
        return texts("repeat_once", lang)
    repeat = Repeat.from_rule(rule)
    weekday = texts("weekday_names", lang).split(",")[first.astimezone(zone).weekday()]
    if repeat.freq == "daily":
        words = texts("repeat_daily", lang)
    elif repeat.interval == 1:
        words = texts("repeat_weekly", lang, weekday=weekday)
    else:
        words = texts("repeat_weeks", lang, weekday=weekday, n=repeat.interval)
    if repeat.count is not None:
        words += texts("repeat_count", lang, n=repeat.count)
    elif repeat.until is not None:
        words += texts("repeat_until", lang, date=f"{repeat.until:%d-%m-%Y}")
    return words


@dataclass(frozen=True)
class HistoryLine:
    """One earlier call of a series, for the telefooncirkel alert."""

    due_at: datetime
    status: str
    assignee: str


def alert_text(
    texts: Texts,
    lang: str,
    *,
    reference: str,
    first_name: str | None,
    misses: int,
    history: list[HistoryLine],
    contact_person: str | None,
    zone: ZoneInfo,
) -> str:
    """The coordinator's telefooncirkel alert, with the recent history of the check-ins."""
    name = first_name or texts("unknown", lang)
    lines = [texts("circle_alert", lang, first_name=name, reference=reference, misses=misses)]
    for line in history:
        lines.append(
            texts(
                "circle_history_line",
                lang,
                when=moment_text(texts, lang, line.due_at.astimezone(zone)),
                status=texts(f"call_status_{line.status}", lang),
                assignee=line.assignee,
            )
        )
    if contact_person:
        lines.append(texts("circle_contact_told", lang, name=contact_person))
    else:
        lines.append(texts("circle_no_contact", lang))
    return "\n".join(lines)
