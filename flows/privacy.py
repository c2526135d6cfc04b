"""Residents' data rights, pure: retention limits, who a REF names, the readable export.

Nothing here touches the database or Telegram. The repository collects the rows
(``storage.repository.privacy``); this module decides how long data is kept, parses
what a coordinator types to name a resident, and turns an export into plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.errors import RefError
from flows.phone import display_phone, normalise_phone
from flows.texts import Texts

EXPORT_FORMAT = "helpline-privacy-export/1"
MAX_REF_CHARS = 120
# Telegram takes 4096 characters per message; leave room for a heading.
MESSAGE_CHARS = 3800
MAX_MESSAGES = 6
_PHONE_LIKE = re.compile(r"[+()\d][\d\s().+-]{4,}")
_RESIDENT_ID = re.compile(r"(?:id:|#)(\d{1,12})")
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- Retention ---------------------------------------------------------------------


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of data is kept (from the settings)."""

    free_text_months: int = 12  # questions, notes, remarks of closed requests; names, numbers
    contact_years: int = 7  # contact metadata, for the yearly tallies
    draft_days: int = 14  # intakes that were started and never sent
    run_hour: int = 3  # local hour of the daily run


@dataclass(frozen=True)
class Cutoffs:
    """Data older than these moments is anonymised (free text) or deleted (drafts, contacts)."""

    free_text: datetime
    contacts: datetime
    drafts: datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (31 March - 1 → 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def cutoffs(policy: RetentionPolicy, now: datetime) -> Cutoffs:
    """The moments before which each kind of data has expired."""
    return Cutoffs(
        free_text=months_before(now, policy.free_text_months),
        contacts=months_before(now, policy.contact_years * 12),
        drafts=now - timedelta(days=policy.draft_days),
    )


def retention_due(last_run: datetime | None, now: datetime, zone: ZoneInfo, hour: int) -> bool:
    """True when the daily run has not yet happened since the latest ``hour`` o'clock.

    Keyed on the stored time of the last run: a process that was down at that hour
    runs as soon as it is back (nothing is skipped), and a restart right after a run
    does not run again (nothing is repeated).
    """
    local = now.astimezone(zone)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot -= timedelta(days=1)
    return last_run is None or last_run < slot


# --- Naming a resident (REF) ---------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """What a REF may mean; the repository looks up every reading and combines them.

    ``external_ref`` is always tried (import references may look like anything);
    ``request_reference`` when it has the shape ``HH-2026-00042``; ``phone`` when it
    reads as a valid phone number; ``email`` (lower case) when it reads as an email
    address; ``resident_id`` for ``id:17`` (shown when a REF is ambiguous).
    ``malformed_phone`` marks text that looks like a number but is not a valid one, so
    "not found" can say why.
    """

    raw: str
    external_ref: str | None = None
    request_reference: str | None = None
    phone: str | None = None
    email: str | None = None
    resident_id: int | None = None
    malformed_phone: bool = False


def parse_ref(raw: str, reference_prefix: str) -> Ref:
    """Reads a REF: an import reference, a phone number in any Dutch form, a request
    number, an email address.

    Raises:
        RefError: when the text is empty or too long to be any of these.
    """
    text = raw.strip()
    if not text:
        raise RefError(
            "give a resident: an import reference, a phone number, a request number "
            "or an email address"
        )
    if len(text) > MAX_REF_CHARS:
        raise RefError(f"a resident reference has at most {MAX_REF_CHARS} characters")
    by_id = _RESIDENT_ID.fullmatch(text)
    if by_id:
        return Ref(raw=text, resident_id=int(by_id.group(1)))
    pattern = rf"{re.escape(reference_prefix)}-\d{{4}}-\d{{5}}"
    if re.fullmatch(pattern, text, flags=re.IGNORECASE):
        return Ref(raw=text, external_ref=text, request_reference=text.upper())
    if _EMAIL_LIKE.fullmatch(text):
        return Ref(raw=text, external_ref=text, email=text.lower())
    phone = normalise_phone(text)
    looks_like_phone = bool(_PHONE_LIKE.fullmatch(text))
    return Ref(
        raw=text,
        external_ref=text,
        phone=phone,
        malformed_phone=looks_like_phone and phone is None,
    )


# --- The export --------------------------------------------------------------------


def to_json(export: dict[str, Any]) -> str:
    """The export as an indented JSON document (times as ISO 8601)."""
    return json.dumps(export, ensure_ascii=False, indent=2, default=_json_value) + "\n"


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _when(value: object, zone: ZoneInfo) -> str:
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(moment, datetime):
        return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")
    return "-"


def _section(t: Texts, lang: str, key: str, lines: list[str]) -> list[str]:
    return [f"\n{t(key, lang)}", *lines] if lines else []


def export_lines(
    export: dict[str, Any],
    t: Texts,
    lang: str,
    zone: ZoneInfo,
    category: Callable[[str], str] = str,
    village: Callable[[str], str] = str,
) -> list[str]:
    """The export as readable lines: details, consent, requests, messages, contacts, rest.

    Args:
        category: the label of a category key in ``lang``.
        village: the name of a village key.
    """
    tables: dict[str, list[dict[str, Any]]] = export["tables"]
    lines = [t("pv_export_title", lang, when=_when(export["created_at"], zone))]
    for person in tables.get("resident", []):
        details = [
            (t("pv_name", lang), person.get("first_name")),
            (t("pv_phone", lang), display_phone(person["phone"]) if person.get("phone") else None),
            (t("pv_village", lang), village(person["village"]) if person.get("village") else None),
            (t("pv_language", lang), person.get("language")),
            (t("pv_telegram", lang), person.get("telegram_user_id")),
            (t("pv_import_ref", lang), person.get("external_ref")),
            (t("pv_contact_person", lang), person.get("contact_person_name")),
            (t("pv_since", lang), _when(person.get("created_at"), zone)),
        ]
        lines += _section(t, lang, "pv_head_details", [f"{k}: {v}" for k, v in details if v])
    requests = []
    for row in tables.get("request", []):
        consent = (
            t(
                "pv_consent",
                lang,
                when=_when(row.get("consent_at"), zone),
                version=row.get("consent_version") or "-",
            )
            if row.get("consent_at")
            else t("pv_consent_none", lang)
        )
        requests.append(
            t(
                "pv_request_line",
                lang,
                reference=row["reference"],
                when=_when(row.get("created_at"), zone),
                category=category(row.get("category") or "overig"),
                village=village(row["village"]) if row.get("village") else "-",
                status=t(f"pv_status_{row.get('status')}", lang),
            )
        )
        requests.append(f"  {consent}")
        if row.get("summary"):
            requests.append(f"  {t('pv_question', lang)}: {row['summary']}")
    lines += _section(t, lang, "pv_head_requests", requests)
    notes = [
        f"• {_when(n.get('created_at'), zone)} ({n.get('author')}): {n.get('text')}"
        for n in tables.get("request_note", [])
    ]
    lines += _section(t, lang, "pv_head_notes", notes)
    contacts = tables.get("contact", [])
    if contacts:
        counted = t("pv_contacts_count", lang, count=len(contacts))
        lines += _section(t, lang, "pv_head_contacts", [counted])
    grades = [
        f"• {_when(g.get('answered_at'), zone)}: {g.get('grade') or '-'} {g.get('remark') or ''}"
        for g in tables.get("satisfaction", [])
    ]
    lines += _section(t, lang, "pv_head_grades", grades)
    shown = {"resident", "request", "request_note", "contact", "satisfaction"}
    others = [
        t("pv_other_rows", lang, table=name, count=len(rows))
        for name, rows in sorted(tables.items())
        if name not in shown and rows
    ]
    lines += _section(t, lang, "pv_head_other", others)
    lines.append(f"\n{t('pv_export_footer', lang)}")
    return lines


def chunk_lines(lines: list[str], limit: int = MESSAGE_CHARS) -> list[str]:
    """Joins lines into messages of at most ``limit`` characters (long lines are cut)."""
    messages: list[str] = []
    current = ""
    for line in lines:
        line = line if len(line) <= limit else line[: limit - 1] + "…"
        if current and len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = line.lstrip("\n")
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        messages.append(current)
    return messages
