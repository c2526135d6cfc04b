"""Which words of a message are negated ("geen boodschappen nodig", "I'm not lonely").

Dutch "geen" and "niet" often express the need itself: "ik heb geen eten meer",
"ik kan niet meer koken". So a negator only cancels what follows it when its
clause says that something is *not needed or not the case*: a need word
("nodig", "need", "hoef"), a state before it ("ik ben niet eenzaam"), or a
target after it ("niet voor de medicijnen"); and never when the clause speaks of
inability ("kan", "meer", "zelf"), which is a request, not a denial.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.triage.rules import Negation


def negated_positions(
    words: Sequence[str], clauses: Sequence[int], rules: Negation
) -> frozenset[int]:
    """Returns the positions of the words that a negator cancels.

    Args:
        words: the folded words of the message.
        clauses: the clause number of each word.
        rules: the negation settings from triage.toml.
    """
    negators = [i for i, word in enumerate(words) if word in rules.negators]
    if not negators:
        return frozenset()
    spans: dict[int, list[int]] = {}
    for position, clause in enumerate(clauses):
        spans.setdefault(clause, []).append(position)
    negated: set[int] = set()
    for i in negators:
        span = spans[clauses[i]]
        clause_words = {words[j] for j in span}
        if not clause_words.isdisjoint(rules.blockers):
            continue
        after = i + 1 <= span[-1] and words[i + 1] in rules.followers
        before = any(words[j] in rules.state_words for j in (i - 1, i - 2) if j >= span[0])
        if after or before or not clause_words.isdisjoint(rules.need_words):
            negated.update(range(i + 1, min(span[-1], i + rules.window) + 1))
    return frozenset(negated)
