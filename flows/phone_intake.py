"""Intake by staff on a resident's behalf: phone call, walk-in or email (``/nieuw``).

Steps: channel → (walk-in location) → first name → phone number → village →
question (same classifier) → category → summary. Pure, like the resident intake;
callback data is ``pi:<step>:<value>``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from flows.conversation import (
    Button,
    ButtonIn,
    CommandIn,
    Input,
    Reply,
    TextIn,
    callback,
    has_words,
    parse_callback,
    rows,
)
from flows.intake import IntakeContext, match_village
from flows.phone import display_phone, normalise_phone

CHANNELS = ("phone", "walk_in", "email")
NO_PHONE = {"geen", "nee", "-", "none", "no"}
MAX_NAME = 60
MAX_QUESTION = 1500


class StaffStep(StrEnum):
    CHANNEL = "pi_channel"
    LOCATION = "pi_location"
    NAME = "pi_name"
    PHONE = "pi_phone"
    VILLAGE = "pi_village"
    QUESTION = "pi_question"
    CATEGORY = "pi_category"
    SUMMARY = "pi_summary"


@dataclass(frozen=True)
class StaffDraft:
    """What the staff member has entered so far."""

    step: StaffStep
    channel: str | None = None
    location: str | None = None
    first_name: str | None = None
    phone: str | None = None
    village: str | None = None
    question: str | None = None
    category: str | None = None
    kind: str = "hulpvraag"
    urgency: str = "normal"


@dataclass(frozen=True)
class StaffOutcome:
    """The result of one step; ``done`` submits, ``cancelled`` forgets the draft."""

    draft: StaffDraft
    replies: tuple[Reply, ...]
    done: bool = False
    cancelled: bool = False


def begin(ctx: IntakeContext, lang: str) -> StaffOutcome:
    """Starts a staff intake: which channel did the resident use?"""
    draft = StaffDraft(StaffStep.CHANNEL)
    return StaffOutcome(draft, ask(ctx, draft, lang))


def ask(ctx: IntakeContext, draft: StaffDraft, lang: str) -> tuple[Reply, ...]:
    """The question of the current step."""
    t, config = ctx.texts, ctx.config
    step = draft.step
    if step is StaffStep.CHANNEL:
        buttons = [Button(t(f"channel_{c}", lang), callback("pi", "channel", c)) for c in CHANNELS]
        return (Reply(t("pi_ask_channel", lang), rows(buttons, 1)),)
    if step is StaffStep.LOCATION:
        places = [Button(p.name, callback("pi", "loc", p.key)) for p in config.locations.values()]
        return (Reply(t("pi_ask_location", lang), rows(places, 1)),)
    if step is StaffStep.NAME:
        return (Reply(t("pi_ask_name", lang)),)
    if step is StaffStep.PHONE:
        return (Reply(t("pi_ask_phone", lang)),)
    if step is StaffStep.VILLAGE:
        places = [Button(v.name, callback("pi", "vil", v.key)) for v in config.villages.values()]
        places.append(Button(t("btn_other_village", lang), "pi:vil:other"))
        return (Reply(t("ask_village", lang), rows(places, 2)),)
    if step is StaffStep.QUESTION:
        return (Reply(t("pi_ask_question", lang)),)
    if step is StaffStep.CATEGORY:
        menu = [
            Button(c.label(lang), callback("pi", "cat", c.key)) for c in config.categories.values()
        ]
        proposed = config.categories.get(draft.category or "overig")
        label = proposed.label(lang) if proposed else "?"
        return (Reply(t("pi_confirm_category", lang, category=label), rows(menu, 2)),)
    summary = t(
        "pi_summary",
        lang,
        channel=t(f"channel_{draft.channel}", lang),
        first_name=draft.first_name or "-",
        phone=display_phone(draft.phone) if draft.phone else "-",
        village=config.villages[draft.village].name
        if draft.village in config.villages
        else t("village_other", lang),
        category=config.categories[draft.category or "overig"].label(lang),
        question=draft.question or "",
    )
    send_or_stop = (
        (Button(t("btn_send", lang), "pi:sum:send"), Button(t("btn_stop", lang), "pi:sum:stop")),
    )
    return (Reply(summary, send_or_stop),)


def step(ctx: IntakeContext, draft: StaffDraft, event: Input, lang: str) -> StaffOutcome:
    """Handles one input of the staff member."""
    t = ctx.texts
    if isinstance(event, CommandIn) and event.name in ("stop", "annuleer"):
        return StaffOutcome(draft, (Reply(t("pi_cancelled", lang)),), cancelled=True)
    nxt = _next(ctx, draft, event, lang)
    if nxt is None:
        return StaffOutcome(draft, (Reply(t("use_buttons_or_text", lang)), *ask(ctx, draft, lang)))
    if isinstance(nxt, StaffOutcome):
        return nxt
    return StaffOutcome(nxt, ask(ctx, nxt, lang))


def _next(
    ctx: IntakeContext, draft: StaffDraft, event: Input, lang: str
) -> StaffDraft | StaffOutcome | None:
    config, s = ctx.config, draft.step
    if isinstance(event, ButtonIn):
        parsed = parse_callback(event.data)
        if parsed is None or parsed[0] != "pi":
            return None
        _, action, value = parsed
        if action == "channel" and s is StaffStep.CHANNEL and value in CHANNELS:
            after = (
                StaffStep.LOCATION if value == "walk_in" and config.locations else StaffStep.NAME
            )
            return replace(draft, channel=value, step=after)
        if action == "loc" and s is StaffStep.LOCATION and value in config.locations:
            return replace(draft, location=value, step=StaffStep.NAME)
        if (
            action == "vil"
            and s is StaffStep.VILLAGE
            and (value in config.villages or value == "other")
        ):
            return replace(draft, village=value, step=StaffStep.QUESTION)
        if action == "cat" and s is StaffStep.CATEGORY and value in config.categories:
            return replace(
                draft, category=value, kind=config.categories[value].kind, step=StaffStep.SUMMARY
            )
        if action == "sum" and s is StaffStep.SUMMARY and value in ("send", "stop"):
            if value == "send":
                return StaffOutcome(draft, (), done=True)
            return StaffOutcome(draft, (Reply(ctx.texts("pi_cancelled", lang)),), cancelled=True)
        return None
    if not isinstance(event, TextIn):
        return None
    text = event.text.strip()
    if s is StaffStep.NAME and has_words(text) and len(text) <= MAX_NAME:
        return replace(draft, first_name=text, step=StaffStep.PHONE)
    if s is StaffStep.PHONE:
        if text.casefold() in NO_PHONE:
            return replace(draft, phone=None, step=StaffStep.VILLAGE)
        phone = normalise_phone(text)
        return replace(draft, phone=phone, step=StaffStep.VILLAGE) if phone else None
    if s is StaffStep.VILLAGE:
        village = match_village(config, text)
        return replace(draft, village=village, step=StaffStep.QUESTION) if village else None
    if s is StaffStep.QUESTION and has_words(text) and len(text) <= MAX_QUESTION:
        result = ctx.classify(text)
        return replace(
            draft,
            question=text,
            category=result.category,
            kind=result.kind,
            urgency=result.urgency,
            step=StaffStep.CATEGORY,
        )
    return None
