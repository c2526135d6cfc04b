"""The resident intake as a pure state machine: (draft, input) → (draft', replies, action).

Steps: consent → question → confirm the proposed category (or pick an alternative,
or from the full menu) → village → how to reach them → preferred time → summary.
The Telegram edge stores the draft after every step, so a restart resumes here.
See ``intake.mmd`` for the diagram. The state lives in ``intake_state`` and what each
step says in ``intake_prompts``; their public names are importable from here too.
"""

from __future__ import annotations

from dataclasses import replace

from rapidfuzz import fuzz, process

from flows.config import FlowConfig
from flows.conversation import (
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
)
from flows.intake_prompts import SUMMARY_QUESTION_CHARS, prompt, summary_text, village_name
from flows.intake_state import TIMES, Action, Draft, IntakeContext, Outcome, Step
from flows.phone import normalise_phone
from flows.urgency import most_urgent

__all__ = [
    "MAX_QUESTION_CHARS",
    "STOP_WORDS",
    "SUMMARY_QUESTION_CHARS",
    "TIMES",
    "YES_BUTTONS",
    "YES_WORDS",
    "Action",
    "Draft",
    "IntakeContext",
    "Outcome",
    "Step",
    "advance",
    "match_village",
    "prompt",
    "start",
    "summary_text",
    "village_name",
]

MAX_QUESTION_CHARS = 1500
STOP_WORDS = {"stop", "stoppen", "/stop", "stoppen a.u.b.", "cancel"}
# A typed yes at a step with a yes button (consent, the proposed category, the summary).
YES_WORDS = {"ja", "yes", "jawel", "klopt", "ok", "oke", "oké", "goed", "akkoord", "agree"}
YES_BUTTONS = {"in:consent:yes", "in:cat:yes", "in:sum:send"}


def start(ctx: IntakeContext, *, first_name: str | None, language: str) -> Outcome:
    """Begins an intake: greeting, privacy notice and the consent buttons."""
    draft = Draft(step=Step.CONSENT, language=language, first_name=first_name)
    return Outcome(draft, prompt(ctx, draft))


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
                return callback("in", "pick", category.key)
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
