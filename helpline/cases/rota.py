"""The rota in use: /rooster's answers, who gets a screen pop, the weekly list of gaps.

The decisions are ``flows.rota``'s; this module reads and writes the rows
(``storage.repository.rota``) and words the answers with ``texts.toml``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from flows import rota as rf
from flows.permissions import allowed
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import Staff
from storage.repository import retention as job_runs
from storage.repository import rota as rota_repo

logger = logging.getLogger(__name__)

WEEK_JOB = "rota_week"
WEEK_PURPOSE = "rota_week"


async def call_takers(session: AsyncSession, services: Services, at: datetime) -> list[Staff]:
    """Who gets the pop of a call ringing at ``at``: those on duty (also outside opening
    hours: an evening shift, an extra on a closing day), else the telephony queue's
    members during opening hours, else nobody.

    Only staff who may take calls (not volunteers: the pop shows the number).
    """
    local_day = at.astimezone(services.settings.zone).date()
    rota = await rota_repo.load_rota(session=session, from_day=local_day)
    ids = rf.on_duty(rota, services.hours, at)
    takers = [
        s
        for s in await rota_repo.on_duty_staff(session=session, ids=ids)
        if allowed(str(s.role), "take_calls")
    ]
    if takers or not services.hours.is_open(at):
        return takers
    members = await repo.queue_members(session=session, queue=services.settings.telephony_queue)
    return [m for m in members if m.id is not None and allowed(str(m.role), "take_calls")]


def _day_names(services: Services, lang: str) -> list[str]:
    return services.texts("rota_weekdays", lang).split()


def _date_label(services: Services, lang: str, day: date) -> str:
    return f"{_day_names(services, lang)[day.weekday()]} {day.strftime('%d-%m')}"


def gaps_text(services: Services, lang: str, gaps: list[tuple[date, rf.Span]]) -> str:
    """One line per uncovered stretch: ``di 12-05 12:00–17:00``."""
    return "\n".join(f"{_date_label(services, lang, day)} {span.label()}" for day, span in gaps)


async def show(session: AsyncSession, services: Services, lang: str, now: datetime) -> str:
    """The rota: weekly shifts per day, coming exceptions, this week's uncovered hours."""
    texts = services.texts
    today = now.astimezone(services.settings.zone).date()
    rota = await rota_repo.load_rota(session=session, from_day=today)
    names = await rota_repo.staff_names(
        session=session,
        ids={s.staff_id for s in rota.shifts} | {e.staff_id for e in rota.exceptions},
    )
    days = _day_names(services, lang)
    lines = [texts("rota_title", lang)]
    by_slot: dict[tuple[int, rf.Span], list[str]] = {}
    for shift in rota.shifts:
        by_slot.setdefault((shift.weekday, shift.span), []).append(names.get(shift.staff_id, "?"))
    for (weekday, span), who in sorted(by_slot.items()):
        lines.append(f"{days[weekday]} {span.label()}: {', '.join(who)}")
    if not by_slot:
        lines.append(texts("rota_empty", lang))
    if rota.exceptions:
        lines += ["", texts("rota_exceptions_title", lang)]
        for item in rota.exceptions[:20]:
            when = texts("rota_whole_day", lang) if item.span == rf.WHOLE_DAY else item.span.label()
            key = "rota_extra_line" if item.on_duty else "rota_off_line"
            lines.append(
                texts(
                    key,
                    lang,
                    day=_date_label(services, lang, item.day),
                    name=names.get(item.staff_id, "?"),
                    span=when,
                )
            )
    monday = today - timedelta(days=today.weekday())
    gaps = [g for g in rf.uncovered(rota, services.hours, monday) if g[0] >= today]
    lines += [""]
    if gaps:
        lines += [texts("rota_gaps_title", lang), gaps_text(services, lang, gaps)]
    else:
        lines.append(texts("rota_no_gaps", lang))
    lines += ["", texts("rota_help", lang)]
    return "\n".join(lines)


async def change(
    session: AsyncSession, services: Services, lang: str, command: rf.RotaCommand, now: datetime
) -> str:
    """Carries out a change typed to /rooster; the one-line answer."""
    texts = services.texts
    found = await rota_repo.staff_named(session=session, name=command.name)
    if not found:
        return texts("rota_unknown_staff", lang, name=command.name)
    if len(found) > 1:
        names = ", ".join(s.name for s in found[:5])
        return texts("rota_ambiguous_staff", lang, name=command.name, names=names)
    [staff] = found
    assert staff.id is not None
    if command.action in (rf.RotaAction.add, rf.RotaAction.extra) and not allowed(
        str(staff.role), "take_calls"
    ):
        return texts("rota_no_calls", lang, name=staff.name)
    facts = {"name": staff.name, "span": command.span.label()}
    if command.weekday is not None:
        facts["day"] = _day_names(services, lang)[command.weekday]
        if command.action is rf.RotaAction.add:
            done = await rota_repo.add_shift(
                session=session,
                staff_id=staff.id,
                weekday=command.weekday,
                span=command.span,
                now=now,
            )
            return texts("rota_added" if done else "rota_exists", lang, **facts)
        done = await rota_repo.remove_shift(
            session=session, staff_id=staff.id, weekday=command.weekday, span=command.span
        )
        return texts("rota_removed" if done else "rota_not_found", lang, **facts)
    assert command.day is not None
    facts["day"] = _date_label(services, lang, command.day)
    if command.span == rf.WHOLE_DAY:
        facts["span"] = texts("rota_whole_day", lang)
    if command.action is rf.RotaAction.remove:
        count = await rota_repo.remove_exceptions(
            session=session, staff_id=staff.id, day=command.day
        )
        return texts("rota_exceptions_removed" if count else "rota_no_exceptions", lang, **facts)
    on_duty = command.action is rf.RotaAction.extra
    done = await rota_repo.add_exception(
        session=session,
        staff_id=staff.id,
        day=command.day,
        span=command.span,
        on_duty=on_duty,
        now=now,
    )
    if not done:
        return texts("rota_exists", lang, **facts)
    return texts("rota_extra_added" if on_duty else "rota_off_added", lang, **facts)


async def run_week_report(services: Services) -> int:
    """From Friday 12:00, once a week: the coming week's uncovered hours to the leads.

    Returns the number of messages queued (none when every opening hour is covered).
    The run is recorded with a conditional update, so two instances send it once.
    """
    now = services.clock()
    async with services.db.session() as session:
        last = await job_runs.last_run(session=session, name=WEEK_JOB)
        if not rf.week_report_due(last, now, services.hours):
            return 0
        if not await job_runs.record_run(session=session, name=WEEK_JOB, previous=last, now=now):
            return 0
        monday = rf.next_monday(now, services.hours)
        rota = await rota_repo.load_rota(session=session, from_day=monday)
        gaps = rf.uncovered(rota, services.hours, monday)
        if not gaps:
            return 0
        lang = services.staff_language
        text = services.texts(
            "rota_week_report",
            lang,
            week=monday.strftime("%d-%m"),
            gaps=gaps_text(services, lang, gaps),
        )
        leads = await rota_repo.leads(session=session)
        for lead in leads:
            await repo.enqueue(
                session=session,
                now=now,
                chat_id=lead.telegram_user_id,  # their private chat
                text=text,
                purpose=WEEK_PURPOSE,
            )
    logger.info("rota: %d uncovered stretches next week, sent to %d leads", len(gaps), len(leads))
    return len(leads)
