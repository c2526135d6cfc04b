"""The labelled corpus: its shape, crisis recall on every message, held-out accuracy floors.

The held-out part was written before any rule and rules were tuned on the tune part
only; the floors below sit just under what bench/bench_classify.py measures.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import simplemma

from flows.config import load_config
from flows.triage import Classifier

DATA = Path(__file__).parent / "data"
CONFIG = load_config()
PARTS = ("tune", "heldout")

HELDOUT_TOP1_FLOOR = 0.96
HELDOUT_TOP3_FLOOR = 0.98
CRISIS_FALSE_POSITIVE_CEILING = 0.02


@cache
def classifier() -> Classifier:
    return Classifier(CONFIG)


@cache
def corpus(part: str) -> tuple[dict[str, str], ...]:
    lines = (DATA / f"triage_corpus_{part}.jsonl").read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def test_corpus_shape() -> None:
    rows = [row for part in PARTS for row in corpus(part)]
    assert len(rows) >= 400
    assert 0.3 <= len(corpus("heldout")) / len(rows) <= 0.45
    for row in rows:
        assert set(row) == {"text", "category", "urgency", "kind"}
        assert row["category"] in CONFIG.categories
        assert row["urgency"] in ("normal", "urgent", "crisis")
        assert row["kind"] in ("hulpvraag", "aanbod", "informatie", "signaal", "follow_up")
    assert sum(row["urgency"] != "normal" for row in rows) >= 40
    texts = [row["text"] for row in rows]
    assert len(set(texts)) == len(texts), "duplicate messages"
    english = sum(simplemma.langdetect(t, lang=("nl", "en"))[0][0] == "en" for t in texts)
    assert english / len(texts) >= 0.15


def test_every_category_occurs_in_both_parts() -> None:
    for part in PARTS:
        assert {row["category"] for row in corpus(part)} == set(CONFIG.categories)


@pytest.mark.parametrize("part", PARTS)
def test_every_crisis_message_is_detected(part: str) -> None:
    missed = [
        row["text"]
        for row in corpus(part)
        if row["urgency"] == "crisis" and classifier().classify(row["text"]).urgency != "crisis"
    ]
    assert missed == []


@pytest.mark.parametrize("part", PARTS)
def test_every_urgent_message_is_flagged(part: str) -> None:
    missed = [
        row["text"]
        for row in corpus(part)
        if row["urgency"] == "urgent" and classifier().classify(row["text"]).urgency == "normal"
    ]
    assert missed == []


@pytest.mark.parametrize("part", PARTS)
def test_crisis_false_positives_stay_rare(part: str) -> None:
    calm = [row for row in corpus(part) if row["urgency"] != "crisis"]
    alarms = sum(classifier().classify(row["text"]).urgency == "crisis" for row in calm)
    assert alarms / len(calm) <= CRISIS_FALSE_POSITIVE_CEILING


def test_heldout_accuracy_floors() -> None:
    rows = corpus("heldout")
    results = [classifier().classify(row["text"]) for row in rows]
    top1 = sum(r.category == row["category"] for row, r in zip(rows, results, strict=True))
    top3 = sum(
        row["category"] in {a.category for a in r.alternatives}
        for row, r in zip(rows, results, strict=True)
    )
    assert top1 / len(rows) >= HELDOUT_TOP1_FLOOR
    assert top3 / len(rows) >= HELDOUT_TOP3_FLOOR


def test_every_category_can_win() -> None:
    winners = {classifier().classify(row["text"]).category for row in corpus("tune")}
    assert winners == set(CONFIG.categories)
