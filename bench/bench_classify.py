"""Measures the triage classifier: rules only, model only and both, on a labelled set.

Usage::

    .venv/bin/python bench/bench_classify.py                  # the sealed evaluation set
    .venv/bin/python bench/bench_classify.py --set train --errors

The sealed set (tests/data/triage_sealed/) was written by people who saw only the
category definitions; nobody tunes on it, so this prints figures and confusion counts
per category pair, never a message, and ``--errors`` refuses it. Also prints model
load time and single-core throughput. Not a test: the floors CI enforces live in
tests/test_triage_corpus.py.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from flows.config import load_config
from flows.triage import Classification, Classifier
from flows.triage.corpus import read_all
from flows.triage.model import TextModel, shipped_model
from flows.triage.result import Scored
from flows.triage.training import Figures, evaluate, line_corpus

SEALED = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage_sealed"


def model_only(model: TextModel) -> Callable[[str], Classification]:
    """The model without the rules: its own category and its own crisis thresholds."""

    def classify(text: str) -> Classification:
        predicted = model.predict(text)
        ranked = sorted(predicted.category, key=lambda c: -predicted.category[c])
        crisis = predicted.crisis
        risk = (
            "high"
            if crisis >= model.thresholds["crisis_high"]
            else "possible"
            if crisis >= model.thresholds["crisis_possible"]
            else "none"
        )
        alternatives = tuple(Scored(c, predicted.category[c]) for c in ranked[:3])
        return Classification(ranked[0], "normal", "hulpvraag", None, alternatives, risk=risk)

    return classify


def throughput(classify: Callable[[str], object], texts: list[str], seconds: float) -> float:
    """Messages per second on one core, repeated passes over ``texts``."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            classify(text)
        done += len(texts)
    return done / (time.perf_counter() - start)


def show(columns: dict[str, Figures]) -> None:
    """Prints the headline figures side by side."""
    rows = (
        ("top1", "top-1 accuracy"),
        ("top3", "top-3 accuracy"),
        ("crisis_recall_caught", "crisis caught (high or possible)"),
        ("crisis_recall_high", "crisis at high confidence"),
        ("high_on_normal", "crisis reply on normal messages"),
        ("possible_on_normal", "check question on normal messages"),
    )
    print(f"{'':36}" + "".join(f"{name:>14}" for name in columns))
    for key, label in rows:
        values = [figures.summary()[key] for figures in columns.values()]
        print(f"{label:36}" + "".join(f"{v:>14.3f}" for v in values))
    first = next(iter(columns.values()))
    print(f"\n{first.total} messages: {first.crisis} crisis, {first.normal} normal")
    for name, figures in columns.items():
        print(
            f"  {name}: top-1 {figures.top1}/{figures.total}, top-3 {figures.top3}, "
            f"crisis caught {figures.crisis_caught}/{figures.crisis} "
            f"(high {figures.crisis_high}), normal with crisis reply {figures.normal_high}, "
            f"with check question {figures.normal_possible}"
        )


def main() -> None:
    """Runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("sealed", "train"), default="sealed")
    parser.add_argument("--errors", action="store_true", help="list mistakes (train set only)")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput run length")
    args = parser.parse_args()
    if args.errors and args.set == "sealed":
        parser.error("--errors would show the sealed set's messages: nobody reads them")
    config = load_config()
    start = time.perf_counter()
    model = shipped_model(config)
    load = time.perf_counter() - start
    start = time.perf_counter()
    combined = Classifier(config, model=model)
    build = time.perf_counter() - start
    rules = Classifier(config, model=None)
    if model is None:
        parser.error("no triage_model.npz beside triage.toml")
    if args.set == "sealed":
        examples = read_all([SEALED], config.categories)
    else:
        examples = line_corpus(config)[0]
    print(f"set: {args.set}   model load {load * 1000:.0f} ms, build {build * 1000:.0f} ms")
    print(f"model: {len(model.vocabulary):,} features, thresholds {model.thresholds}\n")
    columns = {
        "rules only": evaluate(rules.classify, examples),
        "model only": evaluate(model_only(model), examples),
        "combined": evaluate(combined.classify, examples),
    }
    show(columns)
    print("\nconfusions of the combined classifier (true -> chosen: count), most frequent first:")
    for (truth, chosen), count in columns["combined"].confusion.most_common(25):
        print(f"  {truth} -> {chosen}: {count}")
    texts = [e.text for e in examples]
    both = throughput(combined.classify, texts, args.seconds)
    alone = throughput(rules.classify, texts, args.seconds)
    print(f"\nthroughput (one core): combined {both:,.0f} msg/s, rules only {alone:,.0f} msg/s")
    if args.errors:
        for example in examples:
            result = combined.classify(example.text)
            if result.category != example.category or (
                example.urgency == "crisis" and result.risk == "none"
            ):
                print(
                    f"- {example.category}->{result.category} {example.urgency}->{result.risk}"
                    f" :: {example.text}"
                )


if __name__ == "__main__":
    main()
