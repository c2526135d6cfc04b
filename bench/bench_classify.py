"""Measures the triage classifier on the labelled corpus (held-out part by default).

Usage::

    .venv/bin/python bench/bench_classify.py                 # the held-out part
    .venv/bin/python bench/bench_classify.py --part tune --errors

Prints top-1/top-3 accuracy, per-category precision/recall, crisis recall and
false-positive rate, urgency and kind accuracy, and single-core throughput.
Not a test: the floors that CI enforces live in tests/test_triage_corpus.py.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from flows.config import load_config
from flows.triage import Classification, Classifier

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def load(part: str) -> list[dict[str, str]]:
    """Reads one part of the corpus (tune or heldout)."""
    path = DATA / f"triage_corpus_{part}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def throughput(clf: Classifier, texts: list[str], seconds: float = 2.0) -> tuple[float, float]:
    """Messages per second: the first (cold-cache) pass, and repeated passes (warm cache)."""
    cold = Classifier(clf._config)  # a fresh classifier: nothing cached yet
    start = time.perf_counter()
    for text in texts:
        cold.classify(text)
    cold_rate = len(texts) / (time.perf_counter() - start)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            clf.classify(text)
        done += len(texts)
    return cold_rate, done / (time.perf_counter() - start)


def report(rows: list[dict[str, str]], results: list[Classification]) -> dict[str, float]:
    """Prints the accuracy figures and returns the headline ones."""
    n = len(rows)
    top1 = sum(r.category == row["category"] for row, r in zip(rows, results, strict=True))
    top3 = sum(
        row["category"] in [a.category for a in r.alternatives[:3]]
        for row, r in zip(rows, results, strict=True)
    )
    crisis = [r.urgency == "crisis" for r in results]
    gold_crisis = [row["urgency"] == "crisis" for row in rows]
    gold_flag = [row["urgency"] != "normal" for row in rows]
    flagged = [r.urgency != "normal" for r in results]
    caught = sum(c for c, g in zip(crisis, gold_crisis, strict=True) if g)
    false_pos = sum(c for c, g in zip(crisis, gold_crisis, strict=True) if not g)
    flag_caught = sum(f for f, g in zip(flagged, gold_flag, strict=True) if g)
    urgency = sum(r.urgency == row["urgency"] for row, r in zip(rows, results, strict=True))
    kind = sum(r.kind == row["kind"] for row, r in zip(rows, results, strict=True))
    figures = {
        "messages": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "crisis_recall": caught / max(1, sum(gold_crisis)),
        "crisis_fp_rate": false_pos / max(1, n - sum(gold_crisis)),
        "urgent_or_crisis_recall": flag_caught / max(1, sum(gold_flag)),
        "urgency_accuracy": urgency / n,
        "kind_accuracy": kind / n,
    }
    print(f"messages                 {n}")
    print(f"top-1 accuracy           {top1 / n:.3f}  ({top1}/{n})")
    print(f"top-3 accuracy           {top3 / n:.3f}  ({top3}/{n})")
    print(f"crisis recall            {figures['crisis_recall']:.3f}  ({caught}/{sum(gold_crisis)})")
    print(
        f"crisis false positives   {figures['crisis_fp_rate']:.3f}  "
        f"({false_pos}/{n - sum(gold_crisis)} non-crisis messages)"
    )
    print(
        f"urgent+crisis recall     {figures['urgent_or_crisis_recall']:.3f}  "
        f"({flag_caught}/{sum(gold_flag)}; urgent counts if flagged urgent or crisis)"
    )
    print(f"urgency accuracy         {urgency / n:.3f}")
    print(f"kind accuracy            {kind / n:.3f}")
    print("\ncategory            precision  recall  support")
    gold = Counter(row["category"] for row in rows)
    predicted = Counter(r.category for r in results)
    hits = Counter(
        r.category for row, r in zip(rows, results, strict=True) if r.category == row["category"]
    )
    for category in sorted(gold | predicted):
        precision = hits[category] / predicted[category] if predicted[category] else 0.0
        recall = hits[category] / gold[category] if gold[category] else 0.0
        print(f"{category:<20}{precision:>9.2f}{recall:>8.2f}{gold[category]:>9}")
    return figures


def main() -> None:
    """Runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("heldout", "tune"), default="heldout")
    parser.add_argument("--errors", action="store_true", help="list mistakes (tune part only)")
    args = parser.parse_args()
    config = load_config()
    start = time.perf_counter()
    clf = Classifier(config)
    build = time.perf_counter() - start
    rows = load(args.part)
    results = [clf.classify(row["text"]) for row in rows]
    print(f"part: {args.part}    classifier build: {build * 1000:.0f} ms\n")
    report(rows, results)
    cold, warm = throughput(clf, [row["text"] for row in rows])
    print(f"\nthroughput (one core)    {warm:,.0f} msg/s warm cache, {cold:,.0f} msg/s first pass")
    if args.errors:
        if args.part != "tune":
            parser.error("--errors lists held-out messages; tune on the tune part only")
        for row, r in zip(rows, results, strict=True):
            wrong = [
                f"{name} {row[name]}→{getattr(r, name)}"
                for name in ("category", "urgency", "kind")
                if row[name] != getattr(r, name)
            ]
            if wrong:
                alts = ", ".join(f"{a.category}:{a.score}" for a in r.alternatives)
                print(f"- {'; '.join(wrong)} [{alts}] {r.rules} :: {row['text']}")


if __name__ == "__main__":
    main()
