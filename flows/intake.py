"""The resident intake as a pure state machine: (draft, input) → (draft', replies, action).

Steps: consent → question → confirm the proposed category (or pick an alternative,
or from the full menu) → village → how to reach them → preferred time → summary.
The Telegram edge stores the draft after every step, so a restart resumes here.
See ``intake.mmd`` for the diagram.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from flows.config import FlowConfig
from flows.conversation import (
    Button,
    ButtonIn,
    CommandIn,
    ContactIn,
    Input,
    OtherIn,
    Reply,
    TextIn,
    callback,
    has_words,
    parse_callback,
    rows,
)
from flows.phone import display_phone, normalise_phone
from flows.texts import Texts
from flows.urgency import most_urgent

if TYPE_CHECKING:
    from flows.triage import Classification

MAX_QUESTION_CHARS = 1500
SUMMARY_QUESTION_CHARS = 300
TIMES = ("morning", "afternoon", "evening", "any")
STOP_WORDS = {"stop", "stoppen", "/stop", "stoppen a.u.b.", "cancel"}
# A typed yes at a step with a yes button (consent, the proposed category, the summary).
YES_WORDS = {"ja", "yes", "jawel", "klopt", "ok", "oke", "oké", "goed", "akkoord", "agree"}
YES_BUTTONS = {"in:consent:yes", "in:cat:yes", "in:sum:send"}


class Step(StrEnum):
    CONSENT = "consent"
    QUESTION = "question"
    CONFIRM_CATEGORY = "confirm_category"
    PICK_ALTERNATIVE = "pick_alternative"
    PICK_CATEGORY = "pick_category"
    VILLAGE = "village"
    CONTACT = "contact"
    TIME = "time"
    SUMMARY = "summary"


class Action(StrEnum):
    CONTINUE = "continue"
    SUBMIT = "submit"
    CANCEL = "cancel"
    DECLINE = "decline"


@dataclass(frozen=True)
class Draft:
    """What the intake knows so far (mirrors the ``intake_draft`` row)."""

    step: Step
    language: str
    first_name: str | None = None
    consented: bool = False
    question: str | None = None
    category: str | None = None
    alternatives: tuple[str, ...] = ()
    urgency: str = "normal"
    kind: str = "hulpvraag"
    village: str | None = None  # a village key, or "other"
    phone: str | None = None  # E.164
    contact_preference: str | None = None  # phone | chat
    preferred_time: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of one step: the new draft and what to say."""

    draft: Draft
    replies: tuple[Reply, ...]
    action: Action = Action.CONTINUE


@dataclass(frozen=True)
class IntakeContext:
    """What the steps need: the configuration, the texts and the classifier."""

    config: FlowConfig
    texts: Texts
    classify: Callable[[str], Classification]


def start(ctx: IntakeContext, *, first_name: str | None, language: str) -> Outcome:
    """Begins an intake: greeting, privacy notice and the consent buttons."""
    draft = Draft(step=Step.CONSENT, language=language, first_name=first_name)
    return Outcome(draft, prompt(ctx, draft))


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


def advance(ctx: IntakeContext, draft: Draft, event: Input) -> Outcome:
    """Handles one resident input at the current step."""
    t, lang = ctx.texts, draft.language
    if isinstance(event, CommandIn):
        if event.name == "stop":
            return Outcome(
                draft, (Reply(t("cancelled", lang), remove_keyboard=True),), Action.CANCEL
            )
        if event.name == "start":
            return Outcome(draft, prompt(ctx, draft))
        return _again(ctx, draft, "command_mid_flow")
    if isinstance(event, TextIn) and event.text.strip().casefold() in STOP_WORDS:
        return Outcome(draft, (Reply(t("cancelled", lang), remove_keyboard=True),), Action.CANCEL)
    if isinstance(event, OtherIn):
        return _again(ctx, draft, "only_text")
    if isinstance(event, ButtonIn):
        return _press(ctx, draft, event.data)
    if isinstance(event, ContactIn):
        if draft.step is not Step.CONTACT:
            return _again(ctx, draft, "use_buttons")
        if not event.own:
            return _again(ctx, draft, "not_own_contact")
        return _contact_given(ctx, draft, event.phone)
    return _typed(ctx, draft, event.text)


def _again(ctx: IntakeContext, draft: Draft, key: str) -> Outcome:
    """Explains what went wrong and asks the current step's question again."""
    return Outcome(draft, (Reply(ctx.texts(key, draft.language)), *prompt(ctx, draft)))


def _moved(ctx: IntakeContext, draft: Draft, *before: Reply) -> Outcome:
    return Outcome(draft, (*before, *prompt(ctx, draft)))


def _press(ctx: IntakeContext, draft: Draft, data: str) -> Outcome:
    parsed = parse_callback(data)
    if parsed is None or parsed[0] != "in":
        return _again(ctx, draft, "stale_button")
    _, action, value = parsed
    step, config = draft.step, ctx.config
    if action == "lang" and step is Step.CONSENT and value in ("nl", "en"):
        return _moved(ctx, replace(draft, language=value))
    if action == "consent" and step is Step.CONSENT:
        if value == "yes":
            return _moved(ctx, replace(draft, consented=True, step=Step.QUESTION))
        if value == "no":
            reply = Reply(ctx.texts("consent_declined", draft.language))
            return Outcome(draft, (reply,), Action.DECLINE)
    if action == "cat" and step is Step.CONFIRM_CATEGORY and value in ("yes", "other"):
        if value == "yes":
            return _moved(ctx, replace(draft, step=Step.VILLAGE))
        next_step = Step.PICK_ALTERNATIVE if draft.alternatives else Step.PICK_CATEGORY
        return _moved(ctx, replace(draft, step=next_step))
    if action == "cat" and value == "more" and step is Step.PICK_ALTERNATIVE:
        return _moved(ctx, replace(draft, step=Step.PICK_CATEGORY))
    if action == "pick" and step in (Step.PICK_ALTERNATIVE, Step.PICK_CATEGORY):
        category = config.categories.get(value)
        if category is not None:
            chosen = replace(draft, category=value, kind=category.kind, step=Step.VILLAGE)
            return _moved(ctx, chosen)
    if action == "vil" and step is Step.VILLAGE and (value in config.villages or value == "other"):
        return _moved(ctx, replace(draft, village=value, step=Step.CONTACT))
    if action == "time" and step is Step.TIME and value in TIMES:
        return _moved(ctx, replace(draft, preferred_time=value, step=Step.SUMMARY))
    if action == "sum" and step is Step.SUMMARY:
        if value == "send":
            return Outcome(draft, (), Action.SUBMIT)
        if value == "stop":
            reply = Reply(ctx.texts("cancelled", draft.language), remove_keyboard=True)
            return Outcome(draft, (reply,), Action.CANCEL)
        if value == "restart":
            return _moved(ctx, Draft(Step.QUESTION, draft.language, draft.first_name, True))
    return _again(ctx, draft, "stale_button")


def _typed(ctx: IntakeContext, draft: Draft, text: str) -> Outcome:
    text = text.strip()
    if draft.step is Step.QUESTION:
        if not has_words(text):
            return _again(ctx, draft, "no_words")
        if len(text) > MAX_QUESTION_CHARS:
            return _again(ctx, draft, "too_long")
        return _moved(ctx, _classified(ctx, draft, text))
    if draft.step is Step.VILLAGE:
        village = match_village(ctx.config, text)
        if village is not None:
            return _moved(ctx, replace(draft, village=village, step=Step.CONTACT))
    if draft.step is Step.CONTACT:
        if _fold(text) in _labels(ctx, "btn_chat_only"):
            chat = replace(draft, contact_preference="chat", phone=None, step=Step.TIME)
            saved = Reply(ctx.texts("chat_only_saved", draft.language), remove_keyboard=True)
            return _moved(ctx, chat, saved)
        if _fold(text) in _labels(ctx, "btn_share_phone"):
            return _again(ctx, draft, "use_buttons")
        phone = normalise_phone(text)
        if phone is None:
            return _again(ctx, draft, "bad_phone")
        return _contact_given(ctx, draft, phone)
    if draft.step is Step.TIME:
        for key in TIMES:
            if _fold(text) in _labels(ctx, f"time_{key}"):
                return _moved(ctx, replace(draft, preferred_time=key, step=Step.SUMMARY))
    data = _typed_button(ctx, draft, text)
    if data is not None:  # not everyone finds the buttons: typing one's label works too
        return _press(ctx, draft, data)
    return _again(ctx, draft, "use_buttons")


def _typed_button(ctx: IntakeContext, draft: Draft, text: str) -> str | None:
    """The data of the current step's button whose label was typed ("ja" for its yes)."""
    typed = _fold(text)
    if not typed:
        return None
    buttons = [b for reply in prompt(ctx, draft) for row in reply.buttons for b in row]
    for button in buttons:
        if _fold(button.label) == typed:
            return button.data
    if draft.step in (Step.PICK_ALTERNATIVE, Step.PICK_CATEGORY):
        for category in ctx.config.categories.values():
            if typed in {_fold(category.label(lang)) for lang in ("nl", "en")}:
                return f"in:pick:{category.key}"
    if typed in YES_WORDS:
        return next((b.data for b in buttons if b.data in YES_BUTTONS), None)
    return None


def _contact_given(ctx: IntakeContext, draft: Draft, raw_phone: str) -> Outcome:
    phone = normalise_phone(raw_phone)
    if phone is None:
        return _again(ctx, draft, "bad_phone")
    saved = replace(draft, phone=phone, contact_preference="phone", step=Step.TIME)
    return _moved(ctx, saved, Reply(ctx.texts("phone_saved", draft.language), remove_keyboard=True))


def _classified(ctx: IntakeContext, draft: Draft, text: str) -> Draft:
    """Stores the question with the classifier's proposal and its alternatives."""
    result = ctx.classify(text)
    others = tuple(s.category for s in result.alternatives if s.category != result.category)[:2]
    has_proposal = result.category != "overig" or bool(others)
    return replace(
        draft,
        question=text,
        category=result.category,
        alternatives=others,
        urgency=most_urgent(draft.urgency, result.urgency),
        kind=result.kind,
        step=Step.CONFIRM_CATEGORY if has_proposal else Step.PICK_CATEGORY,
    )


def match_village(config: FlowConfig, text: str) -> str | None:
    exact = config.village_by_name(text)
    if exact is not None:
        return exact.key

    # Dutch writes "ij" and "y" interchangeably (Vlijmen, Vlymen).
    def fold(name: str) -> str:
        return name.casefold().replace("ij", "y")

    names = {v.key: fold(v.name) for v in config.villages.values()}
    match = process.extractOne(fold(text), names, scorer=fuzz.ratio, score_cutoff=80)
    return match[2] if match else None


def _fold(text: str) -> str:
    """Casefolded words only: a typed "chat only" matches the button "💬 Chat only"."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.casefold()).split())


def _labels(ctx: IntakeContext, key: str) -> set[str]:
    return {_fold(ctx.texts(key, lang)) for lang in ("nl", "en")}


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
