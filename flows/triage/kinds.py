"""The kind of a contact: a request, an offer, a question, a concern or a follow-up."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KindDetector:
    """Marker phrases (pattern ids) for each kind; the category's own kind is the default."""

    follow_up: frozenset[int]
    signaal: frozenset[int]
    others: frozenset[int]
    others_within: int
    self_words: frozenset[int]
    informatie: frozenset[int]
    requests: frozenset[int]
    reference: re.Pattern[str]

    def kind(self, text: str, found: dict[int, tuple[int, int]], default: str) -> str:
        """Returns the kind of a message.

        Args:
            text: the raw message (for the reference number "HH-2026-00412").
            found: pattern id → (first, last) word of every phrase found.
            default: the kind of the chosen category ("aanbod" for offers of help).
        """
        if default != "hulpvraag":
            return default
        if not self.follow_up.isdisjoint(found) or self.reference.search(text):
            return "follow_up"
        requests = not self.requests.isdisjoint(found)
        # Someone else is the subject ("mijn buurman reageert niet") and the writer
        # asks nothing for themselves: a concern about another person.
        about_other = any(found[p][0] < self.others_within for p in self.others.intersection(found))
        if not self.signaal.isdisjoint(found) or (
            about_other and not requests and self.self_words.isdisjoint(found)
        ):
            return "signaal"
        if not self.informatie.isdisjoint(found) and not requests:
            return "informatie"
        return default
