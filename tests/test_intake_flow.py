"""The pure intake: every step, every wrong input, without Telegram or a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flows.conversation import ButtonIn, CommandIn, ContactIn, OtherIn, TextIn
from flows.intake import Action, Draft, Step, advance, start
from tests.flow_helpers import context, fixed_classifier

CTX = context(fixed_classifier("boodschappen", "maaltijd", "vervoer"))


def at(step: Step, **fields: object) -> Draft:
    base = Draft(
        step=Step.CONSENT,
        language="nl",
        first_name="Mia",
        consented=True,
        question="Ik heb boodschappen nodig",
        category="boodschappen",
        alternatives=("maaltijd", "vervoer"),
        village="drunen",
    )
    return replace(base, step=step, **fields)  # type: ignore[arg-type]


def buttons(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.data for reply in outcome.replies for row in reply.buttons for b in row]


def test_start_greets_with_privacy_notice_and_consent_buttons() -> None:
    outcome = start(CTX, first_name="Mia", language="nl")
    assert outcome.draft.step is Step.CONSENT
    assert "Mia" in outcome.replies[0].text and "bewaren" in outcome.replies[0].text
    assert buttons(outcome) == ["in:consent:yes", "in:consent:no", "in:lang:en"]


def test_happy_path_reaches_submit() -> None:
    draft = start(CTX, first_name="Mia", language="nl").draft
    steps = [
        ButtonIn("in:consent:yes"),
        TextIn("ik heb hulp nodig met boodschappen"),
        ButtonIn("in:cat:yes"),
        ButtonIn("in:vil:vlijmen"),
        ContactIn("06-12345678", own=True),
        ButtonIn("in:time:morning"),
    ]
    for event in steps:
        outcome = advance(CTX, draft, event)
        assert outcome.action is Action.CONTINUE
        draft = outcome.draft
    assert draft.step is Step.SUMMARY
    assert (draft.category, draft.village, draft.phone, draft.preferred_time) == (
        "boodschappen",
        "vlijmen",
        "+31612345678",
        "morning",
    )
    assert "Vlijmen" in outcome.replies[0].text
    assert advance(CTX, draft, ButtonIn("in:sum:send")).action is Action.SUBMIT


def test_language_switch_to_english() -> None:
    draft = start(CTX, first_name=None, language="nl").draft
    outcome = advance(CTX, draft, ButtonIn("in:lang:en"))
    assert outcome.draft.language == "en"
    assert "Do you agree?" in outcome.replies[0].text


def test_declining_consent_gives_numbers_and_stores_nothing() -> None:
    outcome = advance(CTX, at(Step.CONSENT, consented=False), ButtonIn("in:consent:no"))
    assert outcome.action is Action.DECLINE
    assert "112" in outcome.replies[0].text and "0800-2000" in outcome.replies[0].text


def test_something_else_offers_alternatives_then_full_menu() -> None:
    outcome = advance(CTX, at(Step.CONFIRM_CATEGORY), ButtonIn("in:cat:other"))
    assert outcome.draft.step is Step.PICK_ALTERNATIVE
    assert buttons(outcome) == ["in:pick:maaltijd", "in:pick:vervoer", "in:cat:more"]
    outcome = advance(CTX, outcome.draft, ButtonIn("in:cat:more"))
    assert outcome.draft.step is Step.PICK_CATEGORY
    assert len(buttons(outcome)) == len(CTX.config.categories)
    outcome = advance(CTX, outcome.draft, ButtonIn("in:pick:geldzaken"))
    assert (outcome.draft.category, outcome.draft.step) == ("geldzaken", Step.VILLAGE)


def test_unclassifiable_question_goes_straight_to_menu() -> None:
    ctx = context(fixed_classifier("overig"))
    outcome = advance(ctx, at(Step.QUESTION), TextIn("hmm"))
    assert outcome.draft.step is Step.PICK_CATEGORY


def test_offer_of_help_keeps_kind_from_category() -> None:
    outcome = advance(CTX, at(Step.PICK_CATEGORY), ButtonIn("in:pick:hulpaanbod"))
    assert outcome.draft.kind == "aanbod"


def test_typed_village_with_typo_is_understood() -> None:
    outcome = advance(CTX, at(Step.VILLAGE), TextIn("vlymen"))
    assert outcome.draft.village == "vlijmen"


def test_typed_phone_variants_and_chat_only() -> None:
    for raw in ("06-12345678", "+31 6 1234 5678", "0031612345678"):
        assert advance(CTX, at(Step.CONTACT), TextIn(raw)).draft.phone == "+31612345678"
    chat = advance(CTX, at(Step.CONTACT), TextIn("💬 Alleen via de chat"))
    assert (chat.draft.contact_preference, chat.draft.step) == ("chat", Step.TIME)
    assert chat.replies[0].remove_keyboard


@pytest.mark.parametrize(
    "typed", ["alleen via de chat", "Chat only", "chat only!", "  ALLEEN VIA DE CHAT "]
)
def test_chat_only_typed_without_the_emoji_is_understood(typed: str) -> None:
    chat = advance(CTX, at(Step.CONTACT), TextIn(typed))
    assert (chat.draft.contact_preference, chat.draft.step) == ("chat", Step.TIME)


@pytest.mark.parametrize(("typed", "key"), [("morning", "morning"), ("Avond.", "evening")])
def test_time_of_day_typed_in_either_language(typed: str, key: str) -> None:
    outcome = advance(CTX, at(Step.TIME), TextIn(typed))
    assert (outcome.draft.preferred_time, outcome.draft.step) == (key, Step.SUMMARY)


def test_someone_elses_contact_is_refused() -> None:
    outcome = advance(CTX, at(Step.CONTACT), ContactIn("+31612345678", own=False))
    assert outcome.draft.step is Step.CONTACT
    assert "iemand anders" in outcome.replies[0].text


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize(
    "event",
    [
        OtherIn("photo"),
        OtherIn("sticker"),
        OtherIn("voice"),
        TextIn("😀😀😀"),
        TextIn("x" * 4000),
        CommandIn("queue"),
        ButtonIn("in:vil:atlantis"),
        ButtonIn("req:claim:1"),
        ButtonIn("garbage" * 20),
        ButtonIn("in:sum:send"),
        ContactIn("+31612345678", own=False),
    ],
    ids=repr,
)
def test_unexpected_input_reprompts_and_keeps_the_step(step: Step, event: object) -> None:
    draft = at(step)
    if step is Step.SUMMARY and event == ButtonIn("in:sum:send"):
        pytest.skip("that is the expected input here")
    outcome = advance(CTX, draft, event)  # type: ignore[arg-type]
    assert outcome.action is Action.CONTINUE
    assert outcome.draft == draft, "wrong input must not change the draft"
    assert outcome.replies, "never silence"
    assert all(r.text for r in outcome.replies)


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("event", [CommandIn("stop"), TextIn("stoppen"), TextIn(" Stop ")])
def test_stop_cancels_at_every_step(step: Step, event: object) -> None:
    outcome = advance(CTX, at(step), event)  # type: ignore[arg-type]
    assert outcome.action is Action.CANCEL
    assert "niet bewaard" in outcome.replies[0].text


def test_long_question_is_refused_but_normal_one_accepted() -> None:
    assert advance(CTX, at(Step.QUESTION), TextIn("a" * 4000)).draft.step is Step.QUESTION
    assert advance(CTX, at(Step.QUESTION), TextIn("a " * 200)).draft.step is Step.CONFIRM_CATEGORY


def test_crisis_urgency_from_classifier_is_kept() -> None:
    ctx = context(fixed_classifier("psychisch", urgency="crisis"))
    outcome = advance(ctx, at(Step.QUESTION), TextIn("ik wil niet meer leven"))
    assert outcome.draft.urgency == "crisis"


def test_restart_from_summary_keeps_consent_and_language() -> None:
    outcome = advance(CTX, at(Step.SUMMARY, language="en"), ButtonIn("in:sum:restart"))
    assert outcome.draft.step is Step.QUESTION
    assert outcome.draft.consented and outcome.draft.language == "en"
    assert outcome.draft.question is None


@pytest.mark.parametrize(
    ("step", "typed", "expected_step", "action"),
    [
        (Step.CONSENT, "ja", Step.QUESTION, Action.CONTINUE),
        (Step.CONFIRM_CATEGORY, "Ja", Step.VILLAGE, Action.CONTINUE),
        (Step.CONFIRM_CATEGORY, "yes", Step.VILLAGE, Action.CONTINUE),
        (Step.CONFIRM_CATEGORY, "iets anders", Step.PICK_ALTERNATIVE, Action.CONTINUE),
        (Step.PICK_ALTERNATIVE, "maaltijd", Step.VILLAGE, Action.CONTINUE),
        (Step.PICK_CATEGORY, "Vervoer", Step.VILLAGE, Action.CONTINUE),
        (Step.PICK_CATEGORY, "transport", Step.VILLAGE, Action.CONTINUE),
        (Step.SUMMARY, "versturen", Step.SUMMARY, Action.SUBMIT),
        (Step.SUMMARY, "ok", Step.SUMMARY, Action.SUBMIT),
    ],
)
def test_typing_a_buttons_label_works_like_pressing_it(
    step: Step, typed: str, expected_step: Step, action: Action
) -> None:
    outcome = advance(CTX, at(step), TextIn(typed))
    assert (outcome.draft.step, outcome.action) == (expected_step, action)


def test_typed_category_name_is_stored_as_chosen() -> None:
    outcome = advance(CTX, at(Step.PICK_CATEGORY), TextIn("Vervoer"))
    assert (outcome.draft.category, outcome.draft.kind) == ("vervoer", "hulpvraag")


def test_a_foreign_number_is_shown_with_its_country_code() -> None:
    outcome = advance(CTX, at(Step.CONTACT), TextIn("+44 20 7946 0958"))
    assert outcome.draft.phone == "+442079460958"
    summary = advance(CTX, outcome.draft, ButtonIn("in:time:any")).replies[-1].text
    assert "+44 20 7946 0958" in summary
    dutch = advance(CTX, at(Step.CONTACT), TextIn("0612345678")).draft
    assert "06 12345678" in advance(CTX, dutch, ButtonIn("in:time:any")).replies[-1].text
