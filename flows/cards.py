"""What staff see: the queue card (minimum details) and the claimer's full details."""

from __future__ import annotations

from dataclasses import dataclass

from flows.config import FlowConfig
from flows.conversation import Button, callback
from flows.phone import display_phone
from flows.texts import Texts

URGENCY_ICONS = {"normal": "", "urgent": "❗ ", "crisis": "🚨 "}


@dataclass(frozen=True)
class CaseView:
    """The facts of a request that cards show; built by the Telegram edge from the rows."""

    request_id: int
    reference: str
    category: str
    urgency: str
    village: str | None
    first_name: str | None
    known: bool
    earlier_requests: int
    open_queue: str | None
    question: str | None = None
    phone: str | None = None
    preferred_time: str | None = None
    email: str | None = None  # for a resident who wrote by email only (no phone, no chat)


class Cards:
    """Renders staff-facing texts in the staff language."""

    def __init__(self, config: FlowConfig, texts: Texts, language: str) -> None:
        self.config, self.t, self.lang = config, texts, language

    def _common(self, case: CaseView) -> dict[str, str]:
        lang, t = self.lang, self.t
        category = self.config.categories.get(case.category) or self.config.categories["overig"]
        village = self.config.villages.get(case.village or "")
        if case.known:
            open_part = (
                t("known_open", lang, queue=self.config.queue_label(case.open_queue, lang))
                if case.open_queue
                else ""
            )
            key = "known_known_one" if case.earlier_requests == 1 else "known_known"
            known = t(key, lang, count=case.earlier_requests, open=open_part)
        else:
            known = t("known_new", lang)
        return {
            "reference": case.reference,
            "category": category.label(lang),
            "first_name": case.first_name or t("unknown", lang),
            "village": village.name if village else t("unknown", lang),
            "urgency": t(f"urgency_{case.urgency}", lang),
            "urgency_icon": URGENCY_ICONS.get(case.urgency, ""),
            "known": known,
        }

    def card(self, case: CaseView, claimed_by: str | None = None) -> str:
        """The queue group card: first name, village, category, urgency — no more."""
        text = self.t("card", self.lang, **self._common(case))
        if claimed_by:
            text += self.t("card_claimed", self.lang, staff=claimed_by)
        return text

    def claim_buttons(self, case: CaseView) -> tuple[tuple[Button, ...], ...]:
        """The Claim button under an unclaimed card."""
        claim = Button(self.t("btn_claim", self.lang), callback("req", "claim", case.request_id))
        return ((claim,),)

    def crisis_alert(self, case: CaseView) -> str:
        """The alert for the crisis queue."""
        return self.t("crisis_alert", self.lang, **self._common(case))

    def details(self, case: CaseView, *, volunteer: bool = False) -> str:
        """What the claimer needs, for their private chat only.

        Volunteers get the minimum — first name, village, topic, best time — and see
        the phone number only through a button that works while they hold the task.
        """
        lang, t = self.lang, self.t
        if volunteer:
            common = self._common(case)
            return t(
                "claim_details_volunteer",
                lang,
                reference=common["reference"],
                first_name=common["first_name"],
                village=common["village"],
                category=common["category"],
                time=t(f"time_{case.preferred_time or 'any'}", lang),
            )
        return t(
            "claim_details",
            lang,
            **self._common(case),
            phone=self._how_to_reach(case),
            time=t(f"time_{case.preferred_time or 'any'}", lang),
            question=case.question or "",
        )

    def _how_to_reach(self, case: CaseView) -> str:
        if case.phone:
            return display_phone(case.phone)
        if case.email:
            return self.t("contact_email_only", self.lang, address=case.email)
        return self.t("contact_chat", self.lang)


def age_text(seconds: float) -> str:
    """A short waiting time: ``12 min``, ``3 u``, ``2 d`` (same in Dutch and English lists)."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} u"
    return f"{minutes // (24 * 60)} d"


def case_buttons(
    texts: Texts, lang: str, request_id: int, *, volunteer: bool = False, dial: bool = False
) -> tuple[tuple[Button, ...], ...]:
    """The holder's buttons on a case: write, resolve, release, hand over (and the number).

    Volunteers see the number through a button, and no handover (they may not hand over:
    ``flows/permissions.py``), so no button is shown that would only refuse. ``dial``:
    the line has click-to-dial, so staff get 📞 Bel nu (volunteers do not take calls).
    """
    phone = ((Button(texts("btn_show_phone", lang), callback("case", "phone", request_id)),),)
    ring = ((Button(texts("btn_dial", lang), callback("case", "dial", request_id)),),)
    release = Button(texts("btn_release", lang), callback("case", "release", request_id))
    handover = Button(texts("btn_handover", lang), callback("case", "handover", request_id))
    return (phone if volunteer else ring if dial else ()) + (
        (
            Button(texts("btn_write", lang), callback("case", "write", request_id)),
            Button(texts("btn_resolve", lang), callback("case", "resolve", request_id)),
        ),
        (release,) if volunteer else (release, handover),
        # Follow-up calls.
        (Button(texts("btn_plan_call", lang), callback("call", "new", request_id)),),
        (Button(texts("btn_recategorise", lang), callback("case", "cat", request_id)),),
    )
