"""The triage corpora: the training corpus's shape, what the classifier does on it, and the
sealed evaluation set, which nobody reads.

The floors on the training corpus guard against a broken build (a model that no longer
fits its own data, a rule change that loses crises); they say nothing about residents
nobody here wrote. The sealed set's figures come from ``bench/bench_classify.py`` only,
and this module never lets one of its messages reach the test output.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import simplemma

from flows.config import load_config
from flows.triage import Classifier
from flows.triage.corpus import CorpusError, Example, read_all
from flows.triage.training import evaluate, line_corpus

CONFIG = load_config()
SEALED = Path(__file__).parent / "data" / "triage_sealed"
KINDS = ("hulpvraag", "aanbod", "informatie", "signaal", "follow_up")


@cache
def classifier() -> Classifier:
    return Classifier(CONFIG)


@cache
def training() -> tuple[Example, ...]:
    return tuple(line_corpus(CONFIG)[0])


@cache
def sealed() -> tuple[Example, ...]:
    return tuple(read_all([SEALED], CONFIG.categories))


def test_training_corpus_shape() -> None:
    rows = training()
    assert len(rows) >= 3_500
    texts = [row.text for row in rows]
    assert len(set(texts)) >= len(texts) - 5, "duplicate messages"
    counts = Counter(row.category for row in rows)
    assert set(counts) == set(CONFIG.categories)
    assert min(counts.values()) >= 50
    assert all(row.kind in KINDS for row in rows)
    assert sum(row.urgency == "crisis" for row in rows) >= 500
    english = sum(simplemma.langdetect(t, lang=("nl", "en"))[0][0] == "en" for t in texts)
    assert english / len(texts) >= 0.15


def test_sealed_set_shape_and_independence() -> None:
    rows = sealed()
    assert len(rows) >= 600
    assert sum(row.urgency == "crisis" for row in rows) >= 60
    assert sum(row.urgency == "urgent" for row in rows) >= 30
    assert {row.category for row in rows} == set(CONFIG.categories)
    seen = {row.text.strip().casefold() for row in training()}
    overlap = sum(row.text.strip().casefold() in seen for row in rows)
    assert overlap == 0, f"{overlap} sealed messages also in the training corpus"


def test_the_model_fits_its_training_corpus() -> None:
    figures = evaluate(classifier().classify, training()).summary()
    assert figures["top1"] >= 0.95
    assert figures["crisis_recall_caught"] >= 0.99
    assert figures["high_on_normal"] <= 0.02
    assert figures["possible_on_normal"] <= 0.05


def test_every_category_can_win() -> None:
    winners = {classifier().classify(row.text).category for row in training()}
    assert winners == set(CONFIG.categories)


def test_sealed_messages_never_reach_test_output(capsys) -> None:  # type: ignore[no-untyped-def]
    # The only use tests make of the sealed set: counts, never texts (the bench prints
    # figures and confusion counts only, and refuses --errors for it).
    figures = evaluate(classifier().classify, sealed())
    printed = json.dumps(figures.summary()) + repr(sorted(figures.confusion.items()))
    print(printed)
    out = capsys.readouterr().out
    assert not any(row.text in out for row in sealed() if len(row.text) > 12)


def test_only_this_module_and_the_bench_open_the_sealed_set() -> None:
    root = Path(__file__).resolve().parents[1]
    users = sorted(
        str(path.relative_to(root))
        for folder in ("tests", "bench", "helpline", "flows", "storage")
        for path in (root / folder).rglob("*.py")
        if "triage_sealed" in path.read_text(encoding="utf-8")
    )
    assert users == [
        "bench/bench_classify.py",
        "helpline/commands/triage.py",
        "tests/test_triage_corpus.py",
    ]


def test_the_files_written_to_sound_alarming_are_not_everyday_traffic() -> None:
    corpus = line_corpus(CONFIG)
    assert len(corpus.everyday) == len(corpus.examples) == len(corpus.unseen)
    normal = [e for e, usual in zip(corpus.examples, corpus.everyday, strict=True) if usual]
    assert 0 < sum(not usual for usual in corpus.everyday) < len(corpus.examples) / 3
    assert sum(e.urgency == "normal" for e in normal) >= 3_000


def _flows_with_corpus(tmp_path: Path, notes: str) -> Path:
    directory = tmp_path / "flows"
    shutil.copytree(CONFIG.directory, directory, ignore=shutil.ignore_patterns("*.jsonl"))
    row = {"text": "kan iemand mijn hond uitlaten", "category": "huisdier", "urgency": "normal"}
    for name in ("writers_1", "writers_2"):
        (directory / "triage_data" / f"{name}.jsonl").write_text(json.dumps(row) + "\n")
    (directory / "triage_data" / "corpus.toml").write_text(notes)
    return directory


def test_corpus_notes_name_the_alarming_files(tmp_path: Path) -> None:
    directory = _flows_with_corpus(tmp_path, 'alarming_normals = ["writers_2"]\n')
    assert line_corpus(load_config(directory)).everyday == [True, False]


@pytest.mark.parametrize("notes", ["alarming_normals = [", "alarming_normals = 3\n"])
def test_malformed_corpus_notes_are_one_clear_error(tmp_path: Path, notes: str) -> None:
    directory = _flows_with_corpus(tmp_path, notes)
    with pytest.raises(CorpusError, match=r"corpus\.toml"):
        line_corpus(load_config(directory))
