"""People who keep using the bot while ``helpline run`` is killed and restarted under them.

Residents go through the intake and staff claim the cards, each reacting to what the bot
last said, as a person would: a question that got no answer is asked again after a while.
Used by ``tests/test_crash_safety.py``; everything talks to the fake Bot API on 127.0.0.1.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from helpline.scripted import find_button
from helpline.testing import ApiCall, FakeTelegram, FakeUser

REFERENCE = re.compile(r"HH-\d{4}-\d{5}")
QUESTION = "Ik heb hulp nodig met een formulier van de gemeente"
# What the bot's message asks for → the intake step, most advanced first (a summary
# repeats earlier answers, so it must match before them).
PROMPTS = (
    ("Uw nummer is HH-", "submitted"),
    ("Klopt dit?", "summary"),
    ("best uit", "time"),
    ("bereiken", "contact"),
    ("welke plaats", "village"),
    ("Gaat het over", "confirm_category"),
    ("eigen woorden", "question"),
    ("akkoord", "consent"),
)
STEPS = ("consent", "question", "confirm_category", "village", "contact", "time", "summary")
RETRY_AFTER = 0.6  # seconds the bot was up before a resident asks again
# Staff wait longer: a claim edits the card, and PTB's rate limiter spaces group messages.
CLAIM_RETRY_AFTER = 3.0


def prompt_step(text: str) -> str | None:
    """The intake step a bot message asks for, if it is one of the intake's prompts."""
    for needle, step in PROMPTS:
        if needle in text:
            return step
    return None


@dataclass
class Delivery:
    """One sendMessage Telegram accepted."""

    chat_id: int
    text: str
    at: float = field(default_factory=time.time)  # when Telegram accepted it (epoch seconds)


@dataclass
class Recorder:
    """Records every accepted sendMessage; can SIGKILL the bot right after one is accepted."""

    telegram: FakeTelegram
    deliveries: list[Delivery] = field(default_factory=list)
    # Set by the test: called (once) when an armed delivery is accepted.
    kill: Any = None
    armed_chats: frozenset[int] = frozenset()
    cut: list[Delivery] = field(default_factory=list)  # deliveries a kill cut off
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, call: ApiCall, answer: tuple[int, dict[str, Any]]) -> None:
        if call.method != "sendMessage" or answer[0] != 200:
            return
        delivery = Delivery(int(call.params["chat_id"]), str(call.params["text"]))
        with self.lock:
            self.deliveries.append(delivery)
            if self.kill is not None and delivery.chat_id in self.armed_chats:
                kill, self.kill = self.kill, None
                self.cut.append(delivery)
                kill()  # before the bot gets Telegram's answer: the classic duplicate window

    def accepted_at(self) -> dict[tuple[int, str], float]:
        """When each (chat, text) was last accepted."""
        with self.lock:
            return {(d.chat_id, d.text): d.at for d in self.deliveries}

    def counts(self) -> Counter[tuple[int, str]]:
        """How often each (chat, text) was accepted."""
        with self.lock:
            return Counter((d.chat_id, d.text) for d in self.deliveries)


class Resident:
    """A resident doing the intake; after it, one follow-up message (sometimes a crisis)."""

    def __init__(
        self, telegram: FakeTelegram, user: FakeUser, follow_up: str, village: str
    ) -> None:
        self.telegram, self.user, self.follow_up, self.village = telegram, user, follow_up, village
        self.seen = 0  # bot messages seen when we last acted
        self.acted_at: float | None = None  # bot alive when we last acted
        self.followed_up = False
        self.done = False

    def messages(self) -> list[dict[str, Any]]:
        return self.telegram.sent(self.user.id)

    def last_step(self) -> str | None:
        """The intake step the bot last asked this resident for (None: nothing yet)."""
        for message in reversed(self.messages()):
            step = prompt_step(message.get("text") or "")
            if step is not None:
                return step
        return None

    def reference(self) -> str | None:
        """The reference the bot told this resident, if any."""
        for message in self.messages():
            if "Uw nummer is" in (message.get("text") or ""):
                found = REFERENCE.search(message["text"])
                if found:
                    return found.group()
        return None

    def tick(self, alive: float) -> None:
        """Acts on the bot's newest message, or asks again when it stayed silent too long."""
        if self.done:
            return
        count = len(self.messages())
        answered = count > self.seen
        if not answered and self.acted_at is not None and alive - self.acted_at < RETRY_AFTER:
            return
        self.seen, self.acted_at = count, alive
        step = self.last_step()
        t, user = self.telegram, self.user
        if step is None:
            t.text(user, "/start")
        elif step == "submitted":
            if self.followed_up and answered:
                self.done = True
            else:
                self.followed_up = True
                t.text(user, self.follow_up)
        elif step == "question":
            t.text(user, QUESTION)
        elif step == "contact":
            t.contact(user, f"+3161234{user.id % 10000:04d}")
        else:
            label = {
                "consent": "akkoord",
                "confirm_category": "Ja",
                "village": self.village,
                "time": "Ochtend",
                "summary": "Versturen",
            }[step]
            message, data = find_button(t, user.id, label)
            t.press(user, message, data)


class Claimer:
    """A coordinator who presses Oppakken on every card until the details arrive."""

    def __init__(self, telegram: FakeTelegram, user: FakeUser, chats: tuple[int, ...]) -> None:
        self.telegram, self.user, self.chats = telegram, user, chats
        self.pressed: dict[str, float] = {}  # reference → alive of the last press

    def claimed(self) -> set[str]:
        """References that reached the claimer's private chat (the details, or /mijn)."""
        found: set[str] = set()
        for message in self.telegram.sent(self.user.id):
            found.update(REFERENCE.findall(message.get("text") or ""))
        return found

    def tick(self, alive: float) -> None:
        """Presses Oppakken on each card not yet ours; /mijn when a card lost its button."""
        mine = self.claimed()
        for chat in self.chats:
            for message in self.telegram.sent(chat):
                refs = REFERENCE.findall(message.get("text") or "")
                if not refs or refs[0] in mine:
                    continue
                last = self.pressed.get(refs[0])
                if last is not None and alive - last < CLAIM_RETRY_AFTER:
                    continue
                buttons = (message.get("reply_markup") or {}).get("inline_keyboard", [])
                data = [b["callback_data"] for row in buttons for b in row if "callback_data" in b]
                if data:
                    self.pressed[refs[0]] = alive
                    self.telegram.press(self.user, message, data[0])
                elif last is not None:  # claimed, but the details never came: look it up
                    self.pressed[refs[0]] = alive
                    self.telegram.text(self.user, "/mijn")
