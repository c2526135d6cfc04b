"""What the resident intake says at each step: the question, its buttons and the summary.

Every text comes from the flows configuration; nothing here changes the draft.
"""

from __future__ import annotations

from flows.conversation import Button, Reply, callback, rows
from flows.intake_state import TIMES, Draft, IntakeContext, Step
from flows.phone import display_phone

SUMMARY_QUESTION_CHARS = 300


def prompt(ctx: IntakeContext, draft: Draft) -> tuple[Reply, ...]:
    """The question of the current step, with its buttons."""
    t, lang = ctx.texts, draft.language
    if draft.step is Step.CONSENT:
        name = f" {draft.first_name}" if draft.first_name else ""
        other = "nl" if lang == "en" else "en"
        buttons = (
            (Button(t("btn_consent_yes", lang), "in:consent:yes"),),
            (Button(t("btn_consent_no", lang), "in:consent:no"),),
            (Button(t("btn_language", lang), callback("in", "lang", other)),),
        )
        return (Reply(t("greeting", lang, name=name), buttons),)
    if draft.step is Step.QUESTION:
        return (Reply(t("ask_question", lang)),)
    if draft.step is Step.CONFIRM_CATEGORY:
        label = _category_label(ctx, draft.category, lang)
        confirm = (
            (Button(t("btn_yes", lang), "in:cat:yes"),),
            (Button(t("btn_something_else", lang), "in:cat:other"),),
        )
        return (Reply(t("propose_category", lang, category=label), confirm),)
    if draft.step is Step.PICK_ALTERNATIVE:
        alts = [
            Button(_category_label(ctx, k, lang), callback("in", "pick", k))
            for k in draft.alternatives
        ]
        alts.append(Button(t("btn_more_choices", lang), "in:cat:more"))
        return (Reply(t("pick_alternative", lang), rows(alts, 1)),)
    if draft.step is Step.PICK_CATEGORY:
        menu = [
            Button(c.label(lang), callback("in", "pick", c.key))
            for c in ctx.config.categories.values()
        ]
        return (Reply(t("pick_category", lang), rows(menu, 2)),)
    if draft.step is Step.VILLAGE:
        places = [
            Button(v.name, callback("in", "vil", v.key)) for v in ctx.config.villages.values()
        ]
        places.append(Button(t("btn_other_village", lang), "in:vil:other"))
        return (Reply(t("ask_village", lang), rows(places, 2)),)
    if draft.step is Step.CONTACT:
        keyboard = (t("btn_share_phone", lang), t("btn_chat_only", lang))
        return (Reply(t("ask_contact", lang), contact_keyboard=keyboard),)
    if draft.step is Step.TIME:
        times = [Button(t(f"time_{key}", lang), callback("in", "time", key)) for key in TIMES]
        return (Reply(t("ask_time", lang), rows(times, 2)),)
    return (Reply(summary_text(ctx, draft), _summary_buttons(ctx, lang)),)


def _category_label(ctx: IntakeContext, key: str | None, lang: str) -> str:
    category = ctx.config.categories.get(key or "overig") or ctx.config.categories["overig"]
    return category.label(lang)


def _summary_buttons(ctx: IntakeContext, lang: str) -> tuple[tuple[Button, ...], ...]:
    t = ctx.texts
    return (
        (Button(t("btn_send", lang), "in:sum:send"),),
        (
            Button(t("btn_restart", lang), "in:sum:restart"),
            Button(t("btn_stop", lang), "in:sum:stop"),
        ),
    )


def summary_text(ctx: IntakeContext, draft: Draft) -> str:
    """The 'is this right?' overview shown before sending."""
    t, lang = ctx.texts, draft.language
    question = draft.question or ""
    if len(question) > SUMMARY_QUESTION_CHARS:
        question = question[:SUMMARY_QUESTION_CHARS].rstrip() + "…"
    return t(
        "summary",
        lang,
        question=question,
        category=_category_label(ctx, draft.category, lang),
        village=village_name(ctx, draft.village, lang),
        contact=(
            t("contact_phone", lang, phone=display_phone(draft.phone))
            if draft.phone
            else t("contact_chat", lang)
        ),
        time=t(f"time_{draft.preferred_time or 'any'}", lang),
    )


def village_name(ctx: IntakeContext, key: str | None, lang: str) -> str:
    """The village's name, or 'andere plaats' / 'onbekend'."""
    village = ctx.config.villages.get(key or "")
    if village is not None:
        return village.name
    return ctx.texts("village_other" if key == "other" else "unknown", lang)
