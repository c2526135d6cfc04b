"""The triage classifier: category, urgency, kind and safety line of a resident message.

Explainable rules, not a model: every category is a list of weighted words and
phrases in triage.toml, crisis patterns are named rules, and a coordinator can
read why a message went where it went. Everything is compiled once in
``Classifier(config)``; ``classify`` is cheap enough to run on every message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from flows.config import FlowConfig
from flows.triage.kinds import KindDetector
from flows.triage.lexicon import Lexicon
from flows.triage.matcher import Matcher, Pattern
from flows.triage.negation import negated_positions
from flows.triage.normalise import tokenize
from flows.triage.result import Classification, Scored
from flows.triage.rules import Rule, load_rules, split_term

logger = logging.getLogger(__name__)

FALLBACK = "overig"
Found = dict[int, tuple[int, int]]
SEVERITY = {"normal": 0, "urgent": 1, "crisis": 2}


class Classifier:
    """Classifies resident messages with the rules of one flows configuration.

    Build once and reuse: construction compiles every word and phrase; a call to
    ``classify`` then costs tens of microseconds.
    """

    def __init__(self, config: FlowConfig) -> None:
        """Compiles the triage rules of ``config``.

        Raises:
            flows.config.ConfigError: triage.toml is missing or names an unknown
                category, safety line or urgency.
        """
        self._config = config
        self._rules = load_rules(config)
        self._lexicon = Lexicon()
        self._patterns: list[Pattern] = []
        self._ids: dict[str, int] = {}
        self._weights: dict[int, list[tuple[str, float]]] = {}
        for term in self._rules.terms:
            self._weights.setdefault(self._compile(term.text), []).append(
                (term.category, term.weight)
            )
        self._crisis_rules: list[tuple[Rule, list[frozenset[int]], frozenset[int]]] = [
            (rule, [self._compile_all(g) for g in rule.groups], self._compile_all(rule.unless))
            for rule in self._rules.rules
        ]
        self._rule_groups = {rule.name: groups for rule, groups, _ in self._crisis_rules}
        self._rule_words = frozenset().union(*(g for _, gs, _ in self._crisis_rules for g in gs))
        self._emphasis = self._compile_all(self._rules.emphasis)
        markers = self._rules.kinds
        self._kinds = KindDetector(
            follow_up=self._compile_all(markers.follow_up),
            signaal=self._compile_all(markers.signaal),
            others=self._compile_all(markers.others),
            others_within=markers.others_within,
            self_words=self._compile_all(markers.self_words),
            informatie=self._compile_all(markers.informatie),
            requests=self._compile_all(markers.requests),
            reference=re.compile(
                rf"\b{re.escape(config.organisation.reference_prefix)}-\d{{4}}-\d{{5}}\b",
                re.IGNORECASE,
            ),
        )
        self._lexicon.freeze()
        self._matcher = Matcher(self._patterns, self._rules.max_gap)
        self._order = {key: index for index, key in enumerate(config.categories)}

    def _compile(self, text: str) -> int:
        if text in self._ids:
            return self._ids[text]
        words, anywhere = split_term(text)
        elements = tuple(self._lexicon.element(word) for word in words)
        self._patterns.append(Pattern(elements, ordered=not anywhere))
        self._ids[text] = len(self._patterns) - 1
        return self._ids[text]

    def _compile_all(self, texts: Iterable[str]) -> frozenset[int]:
        return frozenset(self._compile(text) for text in texts)

    def classify(self, text: str) -> Classification:
        """Proposes category, urgency, kind, queue and safety line for one message.

        Never raises: any input (empty, emoji, 4,096 characters, control characters)
        gives a valid result, ``overig`` at worst.
        """
        try:
            return self._classify(text if isinstance(text, str) else "")
        except Exception as exc:  # a resident must always get an answer
            logger.error("classifier failed (%s); falling back", type(exc).__name__)
            return self._result(FALLBACK, {}, [])

    def _classify(self, text: str) -> Classification:
        tokens = tokenize(text, self._rules.negation.breakers)
        found = self._matcher.find(self._lexicon.keys_of(tokens.words))
        negated = negated_positions(tokens.words, tokens.clauses, self._rules.negation)
        scores = self._score(found, negated, self._emphasised(found, tokens.clauses))
        fired = [rule for rule in self._candidates(found) if self._fires(rule, found, negated)]
        for rule in fired:
            best = max(rule.categories, key=lambda c: (scores.get(c, 0.0), -self._order[c]))
            scores[best] = scores.get(best, 0.0) + rule.boost
        ranked = sorted(
            (c for c, s in scores.items() if s > 0), key=lambda c: (-scores[c], self._order[c])
        )
        category = ranked[0] if ranked and scores[ranked[0]] >= self._rules.min_score else FALLBACK
        result = self._result(category, scores, fired)
        kind = self._kinds.kind(text, found, self._config.categories[category].kind)
        return Classification(
            result.category,
            result.urgency,
            kind,
            result.queue,
            self._alternatives(category, ranked, scores),
            result.crisis,
            result.rules,
            result.lines,
        )

    def explain(self, text: str) -> list[tuple[str, str, float]]:
        """Lists which rule words and phrases were found, for a coordinator tuning rules.

        Returns:
            (term as written in triage.toml, category or "rule:<name>", weight) triples;
            a negated term has weight 0.
        """
        tokens = tokenize(text, self._rules.negation.breakers)
        found = self._matcher.find(self._lexicon.keys_of(tokens.words))
        negated = negated_positions(tokens.words, tokens.clauses, self._rules.negation)
        texts = {pid: term for term, pid in self._ids.items()}
        lines = [
            (texts[pid], category, 0.0 if found[pid][0] in negated and weight > 0 else weight)
            for pid in sorted(found, key=found.__getitem__)
            for category, weight in self._weights.get(pid, ())
        ]
        for rule, groups, _unless in self._crisis_rules:
            for group in groups:
                lines += [(texts[pid], f"rule:{rule.name}", 0.0) for pid in group if pid in found]
        return lines

    def _candidates(self, found: Found) -> list[Rule]:
        """The rules all of whose groups have a match (most messages: none at all)."""
        if self._rule_words.isdisjoint(found):
            return []
        return [
            rule
            for rule, groups, unless in self._crisis_rules
            if not any(g.isdisjoint(found) for g in groups)
            and not self._vetoed(rule, groups, unless, found)
        ]

    @staticmethod
    def _vetoed(
        rule: Rule, groups: list[frozenset[int]], unless: frozenset[int], found: Found
    ) -> bool:
        """True when an ``unless`` phrase sits close enough to the words that fired the rule."""
        vetoes = [found[pid] for pid in unless.intersection(found)]
        if not vetoes or rule.unless_within <= 0:
            return bool(vetoes)
        near = rule.unless_within
        fired = [found[pid] for g in groups for pid in g.intersection(found)]
        return any(
            v_start - near <= f_end and f_start - near <= v_end
            for v_start, v_end in vetoes
            for f_start, f_end in fired
        )

    def _fires(self, rule: Rule, found: Found, negated: frozenset[int]) -> bool:
        """A negatable rule needs, in every group, a match that is not negated."""
        if not rule.negatable or not negated:
            return True
        groups = self._rule_groups[rule.name]
        return all(any(pid in found and found[pid][0] not in negated for pid in g) for g in groups)

    def _score(
        self, found: Found, negated: frozenset[int], emphasised: frozenset[int]
    ) -> dict[str, float]:
        """Adds up the weights per category.

        Longer phrases count first; a word or phrase inside an already counted phrase
        of the same category ("alleen" in "voel me zo alleen") does not count again.
        """
        hits = sorted(
            (start - end, -weight, category, start, end)
            for pid, (start, end) in found.items()
            for category, weight in self._weights.get(pid, ())
        )
        counted: dict[str, list[tuple[int, int]]] = {}
        scores: dict[str, float] = {}
        for _length, minus_weight, category, start, end in hits:
            weight = -minus_weight
            if weight > 0:
                spans = counted.setdefault(category, [])
                if start in negated or any(s <= start and end <= e for s, e in spans):
                    continue
                spans.append((start, end))
                if start in emphasised:
                    weight += self._rules.emphasis_bonus
            scores[category] = scores.get(category, 0.0) + weight
        return scores

    def _emphasised(self, found: Found, clauses: tuple[int, ...]) -> frozenset[int]:
        """Positions near "vooral", "mostly": the resident's main need in a long message."""
        window = self._rules.emphasis_window
        near: set[int] = set()
        for pid in self._emphasis.intersection(found):
            at = found[pid][0]
            near.update(
                p
                for p in range(max(0, at - window), min(len(clauses), at + window + 1))
                if clauses[p] == clauses[at]
            )
        return frozenset(near)

    def _result(self, category: str, scores: dict[str, float], fired: list[Rule]) -> Classification:
        """Urgency and safety line: the most severe of the rules and the category default."""
        chosen = self._config.categories[category]
        urgency = max([chosen.urgency, *(r.urgency for r in fired)], key=SEVERITY.__getitem__)
        lines: list[str] = []
        if urgency != "normal":
            found = [r.line for r in sorted(fired, key=lambda r: -SEVERITY[r.urgency]) if r.line]
            # The category's own line (Veilig Thuis for domestic violence) applies too.
            found.append(self._rules.category_lines.get(category) or "")
            lines = [line for line in dict.fromkeys(found) if line]
        return Classification(
            category=category,
            urgency=urgency,
            kind=chosen.kind,
            queue=chosen.queue,
            alternatives=(Scored(category, 1.0),),
            crisis=lines[0] if lines else None,
            rules=tuple(r.name for r in fired),
            lines=tuple(lines),
        )

    def _alternatives(
        self, category: str, ranked: list[str], scores: dict[str, float]
    ) -> tuple[Scored, ...]:
        """The chosen category first, then the runners-up, as shares of all evidence."""
        if category == FALLBACK:
            # Too little evidence: "overig" leads with the threshold as its weight.
            scores = {**scores, FALLBACK: self._rules.min_score}
            ranked = [FALLBACK, *ranked]
        total = sum(scores[c] for c in ranked) or 1.0
        return tuple(Scored(c, round(scores[c] / total, 3)) for c in ranked[:3])
