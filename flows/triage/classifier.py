"""The triage classifier: category, urgency, kind, risk and safety line of a message.

Two parts that check each other. Explainable rules: every category is a list of
weighted words and phrases in triage.toml, crisis patterns are named rules, and a
coordinator can read why a message went where it went. A learned model
(``triage_model.npz`` beside triage.toml, see ``flows.triage.model``) covers the
phrasing the rules do not know, and sees what the rules found (crisis rules, indirect
signs of danger from [risk] in triage.toml); the category is a blend of both. Safety is
a layer of its own, tuned for recall: a crisis rule or a confident model gives risk
``high``; a less confident model or an indirect sign gives ``possible``, and the resident
is asked (the decisions themselves: ``flows.triage.verdict``; the rules' category scores:
``flows.triage.scoring``; the answer they add up to: ``flows.triage.answer``). Everything
is compiled once in ``Classifier(config)``; ``classify`` is cheap enough to run on every
message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Literal

from flows.config import ConfigError, FlowConfig
from flows.triage.answer import answer
from flows.triage.evidence import RuleEvidence, rule_markers
from flows.triage.kinds import KindDetector
from flows.triage.lexicon import Lexicon
from flows.triage.matcher import Matcher, Pattern
from flows.triage.model import MODEL_FILE, TextModel, shipped_model
from flows.triage.negation import negated_positions
from flows.triage.normalise import tokenize
from flows.triage.result import Classification
from flows.triage.rules import Rule, load_rules, split_term
from flows.triage.scoring import Found, category_scores, emphasised_positions
from flows.triage.verdict import FALLBACK, blend, rules_category, safety

logger = logging.getLogger(__name__)

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
            return answer(self._config, self._rules.category_lines, FALLBACK, [])

    def _evidence(self, text: str) -> tuple[Found, dict[str, float], list[Rule], tuple[str, ...]]:
        """What the rules find: matched terms, category scores, the rules that fired and
        the message's folded words (the model reads the same words)."""
        tokens = tokenize(text, self._rules.negation.breakers)
        found = self._matcher.find(self._lexicon.keys_of(tokens.words))
        negated = negated_positions(tokens.words, tokens.clauses, self._rules.negation)
        emphasised = emphasised_positions(
            found, tokens.clauses, self._emphasis, self._rules.emphasis_window
        )
        scores = category_scores(
            found, negated, emphasised, self._weights, self._rules.emphasis_bonus
        )
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
        return answer(
            self._config,
            self._rules.category_lines,
            category,
            fired,
            risk,
            line,
            kind,
            alternatives,
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
