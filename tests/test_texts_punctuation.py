"""No text reads "HeusdenHelpt!.": a value that ends a sentence takes the full stop."""

from __future__ import annotations

import dataclasses
import re
import string
from typing import Any

import pytest

from flows.config import LANGUAGES, FlowConfig, load_config
from flows.labels import load_labels
from flows.texts import Texts

# A sentence mark right after another one: "!.", "?.", "..", ".,", "?,"... An ellipsis
# ("..." or "…") is one mark, not a doubled one.
DOUBLED = re.compile(r"(?<!\.)[.!?…][.,](?!\.)")

# What the placeholders hold in real use. Names of organisations often end in "!" or "?",
# a typed first name or question can end in a sentence mark too.
REALISTIC: dict[str, Any] = {
    "action": "Familie gebeld",
    "age": "4 uur",
    "assignee": "Anna",
    "attempt": 2,
    "by": "Anna",
    "calls": 3,
    "category": "Boodschappen",
    "channel": "telefoon",
    "chat": " (Telegram)",
    "contact": "06-12345678",
    "count": 3,
    "date": "30-06-2026",
    "day": 4,
    "detail": "ma 10-",
    "first_name": "Jan",
    "icon": "🟡",
    "known": "bekend",
    "limit": 2000,
    "lines": "ma 10:00-12:00",
    "max": 1000,
    "min": 10,
    "misses": 2,
    "month": "mei",
    "n": 4,
    "name": "Piet",
    "note": "Belt liever na de lunch.",
    "open": 1,
    "outcome": "Geholpen",
    "partner": "Voedselbank",
    "period": "2026-Q1",
    "phone": "06-12345678",
    "question": "Wie kan mijn boodschappen doen?",
    "queue": "Wijkteam Drunen",
    "queues": "wijkteam_drunen, coordinatie",
    "reason": "Ziek",
    "reference": "HH-2026-00042",
    "references": "HH-2026-00042, HH-2026-00043",
    "repeat": "elke week",
    "resident": "Jan",
    "role": "staff",
    "shown": 3,
    "skipped": 1,
    "slot": "dinsdag 5 mei om 10:00",
    "staff": "Anna",
    "status": "open",
    "summary": "Boodschappen, Drunen",
    "table": "request",
    "target": "Wijkteam Vlijmen",
    "tel": "tel:+31612345678",
    "telegram_id": 123456789,
    "text": "Dank u wel!",
    "time": "10:00",
    "urgency": "normaal",
    "urgency_icon": "",
    "version": "2026-11",
    "village": "Drunen",
    "weekday": "maandag",
    "what": "telefoongesprek",
    "when": "maandag 4 mei om 09:00",
    "year": 2026,
    "quarter": 2,
    "week": 14,
    "start": "2026-01-01",
    "end": "2026-03-31",
    "example": "coordinatie",
    "fallback": "Coördinatie",
    "total": 120,
    "residents": 80,
}

# Organisation names as a line might be called; each ends differently.
ORG_NAMES = ("HeusdenHelpt!", "Wie Helpt?", "Stichting Bijeen b.v.", "Buurthulp")


def fields(template: str) -> set[str]:
    """The placeholder names of ``template``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def values_for(template: str) -> dict[str, Any]:
    """A realistic value for every placeholder of ``template`` (a plain word for new ones)."""
    return {
        name: REALISTIC.get(name, "Drunen") for name in fields(template) - {"org_name", "org_phone"}
    }


def config_named(name: str) -> FlowConfig:
    """The default configuration with another organisation name."""
    config = load_config()
    return dataclasses.replace(
        config, organisation=dataclasses.replace(config.organisation, name=name)
    )


def doubled_in(text: str) -> list[str]:
    """The doubled sentence marks in ``text``, each with a little context."""
    return [text[max(0, m.start() - 15) : m.end() + 5] for m in DOUBLED.finditer(text)]


@pytest.mark.parametrize("org_name", ORG_NAMES)
def test_no_text_doubles_punctuation_after_a_value(org_name: str) -> None:
    config = config_named(org_name)
    texts = Texts(config)
    found = []
    for key, entry in config.texts.items():
        for lang in LANGUAGES:
            template = entry.get(lang) or entry["nl"]
            rendered = texts(key, lang, **values_for(template))
            found += [f"[{key}] {lang}: {bit!r}" for bit in doubled_in(rendered)]
    assert not found, "\n".join(found)


def test_greeting_reads_as_one_sentence_after_an_exclaiming_name() -> None:
    texts = Texts(config_named("HeusdenHelpt!"))
    assert "Dit is HeusdenHelpt! Wij helpen" in texts("greeting", "nl", name=" Jan")
    assert "This is HeusdenHelpt! We are happy" in texts("greeting", "en", name=" Jan")


def test_no_label_doubles_punctuation_after_a_value() -> None:
    labels = load_labels()
    found = []
    for key, template in {**labels.columns, **labels.period}.items():
        found += [f"{key}: {bit!r}" for bit in doubled_in(template.format(**values_for(template)))]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("Dit is {org}.", {"org": "HeusdenHelpt!"}, "Dit is HeusdenHelpt!"),
        ("Wie is {org}. Wij", {"org": "Wie Helpt?"}, "Wie is Wie Helpt? Wij"),
        ("Van {org}.", {"org": "Bijeen b.v."}, "Van Bijeen b.v."),
        ("Dit is {org}.", {"org": "Buurthulp"}, "Dit is Buurthulp."),
        ("Even {org}...", {"org": "HeusdenHelpt!"}, "Even HeusdenHelpt!..."),
        ("{n:>4}. {x!r}.", {"n": 7, "x": "a!"}, "   7. 'a!'."),
        ("{{org}}. {org}!", {"org": "Hulp!"}, "{org}. Hulp!!"),
    ],
)
def test_fill_drops_only_the_full_stop_after_a_sentence_end(
    template: str, values: dict[str, Any], expected: str
) -> None:
    from flows.texts import fill

    assert fill(template, **values) == expected


def test_fill_still_refuses_a_missing_value() -> None:
    from flows.texts import fill

    with pytest.raises(KeyError):
        fill("Dit is {org}.")
