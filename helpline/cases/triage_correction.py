"""Staff correct triage from the case: another category, or "this was a crisis".

Button data: ``case:cat:<id>`` (the menu), ``case:setcat_<from>_<to>:<id>`` and
``case:miss_crisis:<id>``. A category travels as one letter, its place in
categories.toml (``a`` is the first), so the button names both the category the menu was
drawn with and the new one within Telegram's 64 bytes. The caller
(``helpline.handlers.casework.case_button``) has checked who may press; each change is
one conditional update on the category the menu showed and keeps the pair as training
data for ``helpline triage retrain``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from flows.conversation import Button, callback, rows
from helpline.cases import audit
from helpline.cases.access import Actor
from helpline.cases.answers import Answer
from helpline.cases.core import Services
from storage import repository as repo
from storage.models import AuditAction, Request

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _code(keys: list[str], key: str) -> str:
    index = keys.index(key) if key in keys else -1
    return LETTERS[index] if 0 <= index < len(LETTERS) else "z"


def _key(keys: list[str], code: str) -> str | None:
    index = LETTERS.find(code) if len(code) == 1 else -1
    return keys[index] if 0 <= index < len(keys) else None


async def correct_triage(
    session: AsyncSession, services: Services, actor: Actor, request: Request, kind: str, value: str
) -> Answer:
    """Shows the category menu, changes the category, or marks a missed crisis."""
    t, lang, config = services.texts, services.staff_language, services.config
    ref, rid = request.reference, request.id
    keys = list(config.categories)
    if kind == "cat":
        current = config.categories.get(request.category)
        shown = _code(keys, request.category)
        options = [
            Button(c.label(lang), callback("case", f"setcat_{shown}_{_code(keys, c.key)}", rid))
            for c in config.categories.values()
            if c.key != request.category
        ]
        if request.urgency != "crisis" and actor.may("mark_crisis", request):
            options.append(
                Button(t("btn_missed_crisis", lang), callback("case", "miss_crisis", rid))
            )
        label = current.label(lang) if current else request.category
        return t("ask_new_category", lang, reference=ref, category=label), rows(options, 2)
    now = services.clock()
    shown, _, chosen = value.partition("_")
    old, new = _key(keys, shown), _key(keys, chosen)
    if kind == "setcat" and old is not None and new is not None and old != new:
        if not await repo.recategorise(
            session=session,
            request=request,
            staff_id=actor.id,
            old_category=old,
            new_category=new,
            now=now,
        ):
            return t("claim_gone", lang), ()
        await audit.record(
            session, services, actor.id, AuditAction.recategorise, request, f"from={old} to={new}"
        )
        label = config.categories[new].label(lang)
        return t("recategorised", lang, reference=ref, category=label), ()
    if kind == "miss" and value == "crisis":
        was = request.urgency
        if not await repo.mark_missed_crisis(
            session=session, request=request, staff_id=actor.id, now=now
        ):
            return t("already_crisis", lang, reference=ref), ()
        await audit.record(
            session, services, actor.id, AuditAction.mark_crisis, request, f"from={was}"
        )
        return t("marked_crisis", lang, reference=ref), ()
    return t("claim_gone", lang), ()
