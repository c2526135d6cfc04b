"""What the line writes back to an email, and what it reads from one: pure functions.

The auto-reply is Dutch first with English below; a crisis puts the safety numbers
at the very top. The village is read from the text when it names one; else the reply
asks for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.config import FlowConfig
from flows.texts import Texts

LANGUAGES = ("nl", "en")  # Dutch first, English below


def _fold(text: str) -> str:
    # Dutch writes "ij" and "y" interchangeably (Vlijmen, Vlymen).
    return text.casefold().replace("ij", "y")


def village_in_text(config: FlowConfig, text: str) -> str | None:
    """The configured village a text names (the first one it mentions), or None."""
    folded = _fold(text)
    found: list[tuple[int, str]] = []
    for village in config.villages.values():
        match = re.search(rf"(?<!\w){re.escape(_fold(village.name))}(?!\w)", folded)
        if match:
            found.append((match.start(), village.key))
    return min(found)[1] if found else None


def first_name(display_name: str | None) -> str | None:
    """The first word of a sender's display name ("Mia de Vries" → "Mia"), if it is a name."""
    if not display_name:
        return None
    word = display_name.strip().strip("\"'").split()[0] if display_name.strip() else ""
    return word[:120] if word.isalpha() else None


@dataclass(frozen=True)
class AutoReply:
    """What goes into the auto-reply (per language where it differs)."""

    reference: str
    name: str | None
    queue: dict[str, str]  # the queue's name per language
    safety: dict[str, str] | None = None  # the safety text per language (crisis, danger)
    ask_village: bool = False
    attachment: bool = False
    joined: bool = False  # a reply added to the request: only a short receipt


def reply_subject(t: Texts, reference: str) -> str:
    """The subject of every mail about a request: the reference in it, so replies find it."""
    return t("email_reply_subject", "nl", reference=reference)


def reply_body(t: Texts, reply: AutoReply) -> str:
    """The auto-reply's text: safety numbers first, Dutch, then English."""
    parts: list[str] = []
    for lang in LANGUAGES:
        name = reply.name or t("email_reply_name", lang)
        block: list[str] = []
        if reply.safety is not None:
            block.append(reply.safety[lang])
        if reply.joined:
            block.append(t("email_reply_joined", lang, name=name, reference=reply.reference))
        else:
            body = t(
                "email_reply_body",
                lang,
                name=name,
                reference=reply.reference,
                queue=reply.queue[lang],
            )
            extra = []
            if reply.ask_village:
                extra.append(t("email_reply_ask_village", lang))
            if reply.attachment:
                extra.append(t("email_reply_attachment", lang))
            if extra:  # before the greeting: "Met vriendelijke groet" stays last
                head, _, greeting = body.rpartition("\n\n")
                body = "\n\n".join([head, *extra, greeting])
            block.append(body)
        parts.append("\n\n".join(block))
    return f"\n\n{t('email_reply_english', 'nl')}\n\n".join(parts)
