"""triage.toml validation: every mistake is one ConfigError line naming the table and key."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from flows.config import ConfigError, load_config
from flows.triage import Classifier

CONFIG = load_config()


def with_triage(change: Any) -> Classifier:
    """Builds a rules-only classifier on a changed copy of the default triage.toml (these
    tests are about the rules a coordinator edits, not the learned model)."""
    triage = copy.deepcopy(CONFIG.triage)
    change(triage)
    return Classifier(replace(CONFIG, triage=triage), model=None)


def first_rule(triage: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = triage["rules"][0]
    return rule


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t["categories"].__setitem__("boodschapen", {"strong": ["x"]}),
            "triage.toml: [categories.boodschapen]: unknown category 'boodschapen'",
        ),
        (
            lambda t: t["categories"]["boodschappen"].__setitem__("strnog", ["x"]),
            "triage.toml: [categories.boodschappen]: unknown key 'strnog'",
        ),
        (
            lambda t: t["categories"]["boodschappen"].__setitem__("strong", "supermarkt"),
            "triage.toml: categories.boodschappen.strong must be a list",
        ),
        (
            lambda t: t["categories"]["boodschappen"].__setitem__("strong", ["", "a"]),
            "triage.toml: categories.boodschappen.strong: '' is not a word or phrase",
        ),
        (
            lambda t: t["categories"]["boodschappen"].__setitem__("weak", ["a + b c"]),
            "is not a word or phrase",
        ),
        (
            lambda t: t["categories"]["boodschappen"].__setitem__("weak", ["help?"]),
            "'help?' is not a word or phrase",
        ),
        (
            lambda t: t["categories"]["huiselijk_geweld"].__setitem__("line", "politie"),
            "unknown safety line 'politie'",
        ),
        (lambda t: t["weights"].__setitem__("strong", "veel"), "weights.strong must be a number"),
        (lambda t: first_rule(t).__setitem__("category", "zelfmoord"), "unknown category"),
        (lambda t: first_rule(t).__setitem__("line", "114"), "unknown safety line '114'"),
        (lambda t: first_rule(t).__setitem__("urgency", "high"), "urgency must be one of"),
        (lambda t: first_rule(t).pop("name"), "[[rules]] #1: missing name"),
        (lambda t: first_rule(t).pop("any"), "needs any = [...] or all = [[...], ...]"),
        (lambda t: first_rule(t).__setitem__("all", "x"), "all must be a list of lists"),
        (lambda t: t["negation"].__setitem__("negators", ["niet meer"]), "single plain word"),
        (lambda t: t.__setitem__("rules", {"a": 1}), "rules must be written as [[rules]]"),
        (lambda t: t.clear(), "triage.toml: missing or empty"),
    ],
)
def test_mistake_is_one_clear_line(change: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        with_triage(change)
    message = str(caught.value)
    assert expected in message
    assert message.startswith("triage.toml")
    assert "\n" not in message


def test_a_coordinator_can_add_a_word() -> None:
    text = "wie kan mijn aquarium verschonen"

    def add(t: dict[str, Any]) -> None:
        t["categories"]["huisdier"]["strong"].append("aquarium")

    assert Classifier(CONFIG, model=None).classify(text).category == "overig"
    assert with_triage(add).classify(text).category == "huisdier"


def test_a_category_without_terms_is_allowed_but_never_proposed() -> None:
    def drop(t: dict[str, Any]) -> None:
        del t["categories"]["praatje"]

    assert with_triage(drop).classify("zin in een praatje").category != "praatje"
