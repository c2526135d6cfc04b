"""Reads and checks the triage rules (``triage.toml``) against the flows configuration.

The file is edited by coordinators, so every mistake becomes one ``ConfigError``
line that names the table and the key, never a traceback at the first message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.config import ConfigError, FlowConfig
from flows.triage.normalise import fold

LEVELS = ("decisive", "strong", "medium", "weak", "against")
RULE_URGENCIES = ("urgent", "crisis")
_WORD = re.compile(r"^=?\*?[^\W_]+\*?$")
_WHERE = "triage.toml"


@dataclass(frozen=True)
class Term:
    """One weighted word or phrase of a category (as written in the file)."""

    text: str
    category: str
    weight: float


@dataclass(frozen=True)
class Rule:
    """A crisis or urgent pattern: every group must match (any phrase of it).

    An ``unless`` phrase cancels the rule only within ``unless_within`` words of what
    fired it (0: anywhere), so "sinds mijn beroerte" cancels the stroke rule but an
    unrelated word elsewhere in a long message cannot hide a crisis.
    """

    name: str
    urgency: str
    line: str | None
    categories: tuple[str, ...]
    boost: float
    groups: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...]
    unless_within: int
    negatable: bool
    # Its phrases also occur in calm messages ("ik wil niet dood, alleen minder pijn"):
    # when the learned model finds the message very unlikely a crisis, the resident is
    # asked instead of the alarm being raised.
    ask_when_doubted: bool = False


@dataclass(frozen=True)
class Negation:
    """When "geen", "niet", "not" cancel the category words that follow them."""

    negators: frozenset[str]
    window: int
    breakers: frozenset[str]
    need_words: frozenset[str]
    state_words: frozenset[str]
    followers: frozenset[str]
    blockers: frozenset[str]


@dataclass(frozen=True)
class KindMarkers:
    """Phrases that tell a follow-up, a concern about someone else or a plain question."""

    follow_up: tuple[str, ...]
    signaal: tuple[str, ...]
    others: tuple[str, ...]
    others_within: int
    self_words: tuple[str, ...]
    informatie: tuple[str, ...]
    requests: tuple[str, ...]


@dataclass(frozen=True)
class TriageRules:
    """The whole validated ``triage.toml``."""

    min_score: float
    max_gap: int
    terms: tuple[Term, ...]
    category_lines: dict[str, str]
    rules: tuple[Rule, ...]
    negation: Negation
    emphasis: tuple[str, ...]
    emphasis_bonus: float
    emphasis_window: int
    kinds: KindMarkers
    # Indirect signs per safety line: enough to ask the resident, not to sound the alarm.
    possible: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _table(where: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{_WHERE}: {where} must be a table")
    return value


def _terms(where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{_WHERE}: {where} must be a list of words or phrases")
    for item in value:
        words = split_term(item)[0] if isinstance(item, str) else []
        if not words or not all(map(_WORD.match, words)):
            raise ConfigError(f"{_WHERE}: {where}: {item!r} is not a word or phrase")
    return tuple(item.strip() for item in value)


def split_term(text: str) -> tuple[list[str], bool]:
    """Splits a term into its folded words; True when they may appear in any order.

    "hond uitlaten" is a phrase (in this order, a few words may sit between);
    "hond + uitlaten" needs both words anywhere in the message.
    """
    folded = fold(text).replace("-", " ")
    if "+" in folded:
        return [part.strip() for part in folded.split("+")], True
    return folded.split(), False


def _words(where: str, value: Any) -> frozenset[str]:
    words = set()
    for term in _terms(where, value):
        parts, _ = split_term(term)
        if len(parts) != 1 or "*" in parts[0] or "=" in parts[0]:
            raise ConfigError(f"{_WHERE}: {where}: {term!r} must be a single plain word")
        words.add(parts[0])
    return frozenset(words)


def _number(where: str, value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{_WHERE}: {where} must be a number")
    return float(value)


def _category(where: str, key: Any, config: FlowConfig) -> str:
    if key not in config.categories:
        raise ConfigError(f"{_WHERE}: {where}: unknown category {key!r}")
    return str(key)


def _line(where: str, line: Any, config: FlowConfig) -> str:
    if line not in config.organisation.safety:
        known = ", ".join(sorted(config.organisation.safety))
        raise ConfigError(f"{_WHERE}: {where}: unknown safety line {line!r} (known: {known})")
    return str(line)


def _rule(index: int, raw: Any, config: FlowConfig) -> Rule:
    where = f"[[rules]] #{index}"
    table = _table(where, raw)
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{_WHERE}: {where}: missing name")
    where = f"rule {name!r}"
    urgency = table.get("urgency", "crisis")
    if urgency not in RULE_URGENCIES:
        raise ConfigError(f"{_WHERE}: {where}: urgency must be one of {RULE_URGENCIES}")
    line = table.get("line")
    raw_cats = table.get("categories", [table["category"]] if "category" in table else [])
    if not isinstance(raw_cats, list) or not raw_cats:
        raise ConfigError(f"{_WHERE}: {where}: needs a category (or categories)")
    groups = [_terms(f"{where}.any", table.get("any"))]
    raw_all = table.get("all", [])
    if not isinstance(raw_all, list):
        raise ConfigError(f"{_WHERE}: {where}.all must be a list of lists")
    groups += [_terms(f"{where}.all", group) for group in raw_all]
    groups = [group for group in groups if group]
    if not groups:
        raise ConfigError(f"{_WHERE}: {where}: needs any = [...] or all = [[...], ...]")
    return Rule(
        name=name,
        urgency=urgency,
        line=_line(where, line, config) if line is not None else None,
        categories=tuple(_category(where, c, config) for c in raw_cats),
        boost=_number(f"{where}.boost", table.get("boost"), 10.0 if urgency == "crisis" else 5.0),
        groups=tuple(groups),
        unless=_terms(f"{where}.unless", table.get("unless")),
        unless_within=int(_number(f"{where}.unless_within", table.get("unless_within"), 5)),
        negatable=bool(table.get("negatable", False)),
        ask_when_doubted=bool(table.get("ask_when_doubted", False)),
    )


def load_rules(config: FlowConfig) -> TriageRules:
    """Validates ``config.triage`` (the parsed triage.toml) against the categories.

    Raises:
        ConfigError: one line naming the table and key that is wrong.
    """
    raw = config.triage
    if not raw:
        raise ConfigError(f"{_WHERE}: missing or empty in {config.directory}")
    settings = _table("[settings]", raw.get("settings"))
    weights = _table("[weights]", raw.get("weights"))
    level_weight = {
        level: _number(f"weights.{level}", weights.get(level), default)
        for level, default in zip(LEVELS, (5.0, 3.0, 2.0, 1.0, -3.0), strict=True)
    }
    terms: list[Term] = []
    lines: dict[str, str] = {}
    for key, table in _table("[categories]", raw.get("categories")).items():
        where = f"categories.{key}"
        category = _category(f"[{where}]", key, config)
        table = _table(f"[{where}]", table)
        for name in table:
            if name not in (*LEVELS, "line"):
                raise ConfigError(f"{_WHERE}: [{where}]: unknown key {name!r}")
        if "line" in table:
            lines[category] = _line(f"[{where}]", table["line"], config)
        for level in LEVELS:
            for text in _terms(f"{where}.{level}", table.get(level)):
                terms.append(Term(text, category, level_weight[level]))
    neg = _table("[negation]", raw.get("negation"))
    negation = Negation(
        negators=_words("negation.negators", neg.get("negators")),
        window=int(_number("negation.window", neg.get("window"), 4)),
        breakers=_words("negation.breakers", neg.get("breakers")),
        need_words=_words("negation.need_words", neg.get("need_words")),
        state_words=_words("negation.state_words", neg.get("state_words")),
        followers=_words("negation.followers", neg.get("followers")),
        blockers=_words("negation.blockers", neg.get("blockers")),
    )
    emphasis = _table("[emphasis]", raw.get("emphasis"))
    kinds = _table("[kinds]", raw.get("kinds"))
    risk = _table("[risk]", raw.get("risk"))
    possible = {
        _line("[risk]", line, config): _terms(f"risk.{line}", terms) for line, terms in risk.items()
    }
    raw_rules = raw.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ConfigError(f"{_WHERE}: rules must be written as [[rules]] tables")
    return TriageRules(
        min_score=_number("settings.min_score", settings.get("min_score"), 1.0),
        max_gap=int(_number("settings.max_gap", settings.get("max_gap"), 2)),
        terms=tuple(terms),
        category_lines=lines,
        rules=tuple(_rule(i, r, config) for i, r in enumerate(raw_rules, start=1)),
        negation=negation,
        emphasis=_terms("emphasis.markers", emphasis.get("markers")),
        emphasis_bonus=_number("emphasis.bonus", emphasis.get("bonus"), 2.0),
        emphasis_window=int(_number("emphasis.window", emphasis.get("window"), 4)),
        kinds=KindMarkers(
            follow_up=_terms("kinds.follow_up", kinds.get("follow_up")),
            signaal=_terms("kinds.signaal", kinds.get("signaal")),
            others=_terms("kinds.others", kinds.get("others")),
            others_within=int(_number("kinds.others_within", kinds.get("others_within"), 3)),
            self_words=_terms("kinds.self_words", kinds.get("self_words")),
            informatie=_terms("kinds.informatie", kinds.get("informatie")),
            requests=_terms("kinds.requests", kinds.get("requests")),
        ),
        possible=possible,
    )
