"""The triage classifier: category, urgency, kind, risk and safety line of a message.

Two parts that check each other. Explainable rules: every category is a list of
weighted words and phrases in triage.toml, crisis patterns are named rules, and a
coordinator can read why a message went where it went. A learned model
(``triage_model.npz`` beside triage.toml, see ``flows.triage.model``) covers the
phrasing the rules do not know, and sees what the rules found (crisis rules, indirect
signs of danger from [risk] in triage.toml); the category is a blend of both. Safety is
a layer of its own, tuned for recall: a crisis rule or a confident model gives risk
``high``; a less confident model or an indirect sign gives ``possible``, and the resident
is asked (the decisions themselves: ``flows.triage.verdict``). Everything is compiled
once in ``Classifier(config)``; ``classify`` is cheap enough to run on every message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Literal

from flows.config import ConfigError, FlowConfig
from flows.triage.evidence import RuleEvidence, rule_markers
from flows.triage.kinds import KindDetector
from flows.triage.lexicon import Lexicon
from flows.triage.matcher import Matcher, Pattern
from flows.triage.model import MODEL_FILE, TextModel, shipped_model
from flows.triage.negation import negated_positions
from flows.triage.normalise import tokenize
from flows.triage.result import Classification, Scored
from flows.triage.rules import Rule, load_rules, split_term
from flows.triage.verdict import FALLBACK, blend, rules_category, safety
from flows.urgency import severity

logger = logging.getLogger(__name__)

Found = dict[int, tuple[int, int]]
RISK_URGENCY = {"none": "normal", "possible": "urgent", "high": "crisis"}
# Used when a model file carries no tuned value (an organisation's first model).
DEFAULT_THRESHOLDS = {
    "rules_weight": 0.5,
    "crisis_high": 0.8,
    "crisis_possible": 0.35,
    "rule_veto": 0.0,
}


class Classifier:
    """Classifies resident messages with the rules of one flows configuration.

    Build once and reuse: construction compiles every word and phrase and loads the
    model; a call to ``classify`` then costs a quarter of a millisecond.
    """

    def __init__(
        self, config: FlowConfig, model: TextModel | Literal["shipped"] | None = "shipped"
    ) -> None:
        """Compiles the triage rules of ``config`` and takes its model.

        Args:
            config: the flows configuration.
            model: the learned model; by default the one shipped beside triage.toml
                (rules only when there is none); ``None`` for rules only.

        Raises:
            flows.config.ConfigError: triage.toml is missing or names an unknown
                category, safety line or urgency; the model file is unreadable or was
                trained for other categories.
        """
        self._config = config
        self._rules = load_rules(config)
        self.model = shipped_model(config) if isinstance(model, str) else model
        if self.model is not None and set(self.model.categories) != set(config.categories):
            raise ConfigError(f"{MODEL_FILE}: trained for other categories; run retrain")
        self._thresholds = {**DEFAULT_THRESHOLDS, **(self.model.thresholds if self.model else {})}
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
        self._possible = {
            line: self._compile_all(terms) for line, terms in self._rules.possible.items()
        }
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
            return self._result(FALLBACK, [])

    def _evidence(self, text: str) -> tuple[Found, dict[str, float], list[Rule], tuple[str, ...]]:
        """What the rules find: matched terms, category scores, the rules that fired and
        the message's folded words (the model reads the same words)."""
        tokens = tokenize(text, self._rules.negation.breakers)
        found = self._matcher.find(self._lexicon.keys_of(tokens.words))
        negated = negated_positions(tokens.words, tokens.clauses, self._rules.negation)
        scores = self._score(found, negated, self._emphasised(found, tokens.clauses))
        fired = [rule for rule in self._candidates(found) if self._fires(rule, found, negated)]
        for rule in fired:
            best = max(rule.categories, key=lambda c: (scores.get(c, 0.0), -self._order[c]))
            scores[best] = scores.get(best, 0.0) + rule.boost
        return found, scores, fired, tokens.words

    def rule_evidence(self, text: str) -> RuleEvidence:
        """What the rules alone say about a message, for training the model beside them."""
        found, scores, fired, _words = self._evidence(text)
        ruled = [rule for rule in fired if rule.urgency == "crisis"]
        return RuleEvidence(
            shares=self._shares(scores),
            crisis=bool(ruled),
            doubtable=all(rule.ask_when_doubted for rule in ruled),
            markers=rule_markers(fired, self._signs(found)),
        )

    def _signs(self, found: Found) -> list[str]:
        """The safety lines whose indirect signs ([risk] in triage.toml) the message has."""
        return [line for line, terms in self._possible.items() if not terms.isdisjoint(found)]

    def _shares(self, scores: dict[str, float]) -> dict[str, float]:
        positive = {c: s for c, s in scores.items() if s > 0}
        if not positive or max(positive.values()) < self._rules.min_score:
            return {}
        total = sum(positive.values())
        return {c: s / total for c, s in positive.items()}

    def _classify(self, text: str) -> Classification:
        found, scores, fired, words = self._evidence(text)
        signs = self._signs(found)
        predicted = (
            self.model.predict(text, rule_markers(fired, signs), words)
            if self.model is not None
            else None
        )
        if predicted is None:
            category, alternatives = rules_category(scores, self._order, self._rules.min_score)
        else:
            shares = self._shares(scores)
            category, alternatives = blend(
                shares, predicted, self._order, self._thresholds["rules_weight"]
            )
        risk, line = safety(fired, signs, predicted, self._thresholds)
        kind = self._kinds.kind(text, found, self._config.categories[category].kind)
        return self._result(category, fired, risk, line, kind, alternatives)

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

    def _result(
        self,
        category: str,
        fired: list[Rule],
        risk: str = "none",
        line: str | None = None,
        kind: str | None = None,
        alternatives: tuple[Scored, ...] | None = None,
    ) -> Classification:
        """The answer: urgency and safety lines are the most severe of the rules, the risk
        and the category; kind and alternatives default to the category's own."""
        chosen = self._config.categories[category]
        # A crisis rule the model overruled (risk "possible") does not make a crisis.
        counted = [r for r in fired if risk == "high" or r.urgency != "crisis"]
        urgency = max(
            [chosen.urgency, RISK_URGENCY[risk], *(r.urgency for r in counted)],
            key=severity,
        )
        lines: list[str] = []
        if urgency != "normal":
            found = [r.line for r in sorted(counted, key=lambda r: -severity(r.urgency)) if r.line]
            if line is not None:  # the model's or an overruled rule's line: it leads
                found.insert(0, line)
            # The category's own line (Veilig Thuis for domestic violence) applies too.
            found.append(self._rules.category_lines.get(category) or "")
            lines = [line for line in dict.fromkeys(found) if line]
        return Classification(
            category=category,
            urgency=urgency,
            kind=kind or chosen.kind,
            queue=chosen.queue,
            alternatives=alternatives or (Scored(category, 1.0),),
            crisis=lines[0] if lines else None,
            rules=tuple(r.name for r in fired),
            lines=tuple(lines),
            risk=risk,
        )
