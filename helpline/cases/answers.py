"""What a use case hands its edge to say, without anything of Telegram.

A text with button rows (``Answer``) becomes a message or the edit of a pressed one; a
``Popup`` answers a press on its own and leaves the pressed message as it is. Only
``helpline.render`` turns buttons into Telegram's markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.conversation import Button

Buttons = tuple[tuple[Button, ...], ...]
Answer = tuple[str, Buttons]


@dataclass(frozen=True)
class Popup:
    """A press answered by a popup only: the pressed message stays as it is."""

    text: str
