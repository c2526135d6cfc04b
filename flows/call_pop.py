"""What staff read about a phone call: the screen pop, its later lines, the after-call buttons.

Pure: the caller's facts come in as plain values, texts come from ``texts.toml``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flows.config import FlowConfig
from flows.conversation import Button, callback
from flows.phone import display_phone
from flows.texts import Texts

POP_NAMESPACE = "tel"
FOLLOW_UPS = ("new", "info")
LINK_PREFIX = "link_"  # tel:link_<request id>:<call id>: 🔗 Bij HH-…
TOPIC_PREFIX = "cat_"  # tel:cat_<category key>:<call id>: the topic of an information call


@dataclass(frozen=True)
class OpenCaseView:
    """A caller's open request as the pop names it."""

    reference: str
    queue: str
    holder: str | None


@dataclass(frozen=True)
class CallerView:
    """The bekendheidscheck: who is calling, as far as the line knows."""

    phone: str | None  # E.164; None: withheld
    known: bool = False
    first_name: str | None = None
    village: str | None = None  # a configured village key
    open_cases: tuple[OpenCaseView, ...] = ()
    last_contact: date | None = None  # the local date of their latest contact


def caller_label(texts: Texts, lang: str, phone: str | None) -> str:
    """Who called, inside a sentence: ``06 12345678``, or "iemand met een afgeschermd nummer"."""
    return display_phone(phone) if phone else texts("tel_withheld_caller", lang)


def pop_text(config: FlowConfig, texts: Texts, lang: str, caller: CallerView) -> str:
    """📞 Inkomend gesprek — 06 1234 5678 — bekend: Mia (Drunen), HH-… open bij … (Sanne)."""
    if caller.phone is None:
        return texts("tel_pop_withheld", lang)
    if caller.known:
        village = config.villages.get(caller.village or "")
        known = texts(
            "tel_known",
            lang,
            name=caller.first_name or texts("tel_no_name", lang),
            village=f" ({village.name})" if village else "",
        )
        for case in caller.open_cases:
            known += ", " + texts(
                "tel_open_case",
                lang,
                reference=case.reference,
                queue=config.queue_label(case.queue, lang),
                holder=f" ({case.holder})" if case.holder else "",
            )
        if caller.last_contact is not None:
            known += ", " + texts(
                "tel_last_contact", lang, date=caller.last_contact.strftime("%d-%m-%Y")
            )
    else:
        known = texts("tel_unknown", lang)
    return texts("tel_pop", lang, number=display_phone(caller.phone), known=known)


def with_line(text: str, line: str) -> str:
    """A pop with one more line (who answered, or that it was missed)."""
    return f"{text}\n{line}"


def minutes(answered_at: datetime | None, ended_at: datetime | None) -> int:
    """The call's length in whole minutes, rounded up (a 20-second call is 1 minute)."""
    if answered_at is None or ended_at is None or ended_at <= answered_at:
        return 0
    return math.ceil((ended_at - answered_at).total_seconds() / 60)


def follow_up_buttons(
    texts: Texts, lang: str, phone_call_id: int, cases: Sequence[tuple[int, str]] = ()
) -> tuple[tuple[Button, ...], ...]:
    """📝 Nieuwe vraag, 🔗 Bij HH-… per open request of the caller (id, reference), and
    ℹ️ Alleen informatie, for the one who answered."""
    new, info = (
        (Button(texts(f"btn_tel_{choice}", lang), callback(POP_NAMESPACE, choice, phone_call_id)),)
        for choice in FOLLOW_UPS
    )
    links = tuple(
        (
            Button(
                texts("btn_tel_link", lang, reference=reference),
                callback(POP_NAMESPACE, f"{LINK_PREFIX}{request_id}", phone_call_id),
            ),
        )
        for request_id, reference in cases
    )
    return (new, *links, info)


def topic_buttons(
    config: FlowConfig, lang: str, phone_call_id: int, per_row: int = 2
) -> tuple[tuple[Button, ...], ...]:
    """After ℹ️ Alleen informatie: one button per category, so the report knows what the
    information was about (two to a row, in the configuration's order)."""
    buttons = [
        Button(category.label(lang), callback(POP_NAMESPACE, f"{TOPIC_PREFIX}{key}", phone_call_id))
        for key, category in config.categories.items()
    ]
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
