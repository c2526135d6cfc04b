"""The resident intake's state: its steps, the draft, one step's outcome and the context.

Kept apart from the steps themselves so that the prompts and the transitions can
both build on it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from flows.config import FlowConfig
from flows.conversation import Reply
from flows.texts import Texts

if TYPE_CHECKING:
    from flows.triage import Classification

# The preferred times to be called back, in the order of their buttons.
TIMES = ("morning", "afternoon", "evening", "any")


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
