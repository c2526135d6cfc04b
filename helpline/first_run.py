"""The guided first run: what ``helpline setup`` (and ``helpline run`` on a line that is
not set up yet) prints, and the first admin's one-time code.

The code is shown once, on the console; the database keeps only its SHA-256 hash (the
code is random, 60 bits, so a slow hash would add nothing). It works once, for
``CODE_MINUTES``, and only while there is no admin; printing a new code voids the
older ones. No Telegram import: the CLI uses this without loading the bot.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.config import FlowConfig
from helpline.settings import Settings
from storage import repository as repo
from storage.db import Database

# No 0/O or 1/I: the code is read off a screen and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
CODE_MINUTES = 60


def new_code() -> str:
    """A random one-time code (also valid as a ``t.me/<bot>?start=`` parameter)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def looks_like_code(text: str) -> bool:
    """Whether ``text`` has the shape of a code (any letter case)."""
    return len(text) == CODE_LENGTH and all(c in CODE_ALPHABET for c in text.upper())


def code_hash(code: str) -> str:
    """What the database keeps of a code."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True)
class SetupState:
    """How far the line is set up."""

    admin: bool
    code: str | None  # a fresh code when there is no admin yet
    queues: list[str]  # the essential queues first, then the others in configured order
    essential: list[str]  # crisis alerts and cards without a group go there
    from_setting: dict[str, int] = field(default_factory=dict)  # QUEUE_CHATS
    from_koppel: dict[str, int] = field(default_factory=dict)  # linked with /koppel

    @property
    def complete(self) -> bool:
        """An admin exists and the essential queues have a group."""
        linked = self.from_setting | self.from_koppel
        return self.admin and all(q in linked for q in self.essential)


def essential_queues(config: FlowConfig) -> list[str]:
    """The queues without which crisis alerts (and cards of queues without a group) go nowhere."""
    return list(dict.fromkeys((config.crisis_queue, config.triage_queue)))


async def setup_state(
    db: Database, settings: Settings, config: FlowConfig, *, now: datetime
) -> SetupState:
    """Reads how far the line is set up; issues a new first-admin code when there is no admin."""
    async with db.session() as session:
        admin = await repo.admin_exists(session=session)
        linked = await repo.linked_queue_chats(session=session)
        code = None
        if not admin:
            code = new_code()
            await repo.issue_setup_code(
                session=session,
                code_hash=code_hash(code),
                now=now,
                expires_at=now + timedelta(minutes=CODE_MINUTES),
            )
    essential = essential_queues(config)
    return SetupState(
        admin=admin,
        code=code,
        queues=list(dict.fromkeys([*essential, *config.queues])),
        essential=essential,
        from_setting={q: c for q, c in settings.queue_chats.items() if q in config.queues},
        from_koppel={q: c for q, c in linked.items() if q in config.queues},
    )


TOKEN_STEPS = [
    "1. Create your bot with BotFather (once):",
    "   - In Telegram, search for @BotFather (the blue tick) and open it.",
    "   - Send /newbot, then a display name (e.g. HeusdenHelpt) and a username ending in",
    "     'bot' (e.g. heusdenhelpt_bot).",
    "   - BotFather answers with a token like 123456789:AAH...; keep it secret.",
    "   - Put it in the file .env (copy .env.example):  TELEGRAM_BOT_TOKEN=123456789:AAH...",
    "   Then run `helpline setup` again.",
]


def token_guide() -> list[str]:
    """The first step, for a line without a bot token."""
    return ["TELEGRAM_BOT_TOKEN is not set: the bot has no Telegram account yet.", "", *TOKEN_STEPS]


def guide(state: SetupState) -> list[str]:
    """The steps still to do, numbered, for the console."""
    lines = ["1. Bot token: set."]
    if state.admin:
        lines.append("2. First admin: registered.")
    else:
        lines += [
            "2. First admin: none yet. With the bot running (`helpline run`), open a private",
            "   chat with your bot in Telegram (the t.me/... link BotFather gave) and send:",
            "",
            f"       /start {state.code}",
            "",
            f"   The code works once, for {CODE_MINUTES} minutes, and only while there is no",
            "   admin. `helpline setup` or `helpline run` prints a new one (the old one stops).",
        ]
    essential = " and ".join(state.essential)
    lines += [
        "3. Queue groups. For each queue: make a Telegram group with the people who work it,",
        "   add your bot to the group, and send the command shown below in that group (as an",
        f"   admin or coordinator). Start with {essential}: crisis alerts go there, and the",
        "   cards of every queue that has no group of its own.",
    ]
    width = max(len(q) for q in state.queues)
    for queue in state.queues:
        if queue in state.from_setting:
            status = f"linked by the setting QUEUE_CHATS ({state.from_setting[queue]})"
        elif queue in state.from_koppel:
            status = f"linked with /koppel ({state.from_koppel[queue]})"
        else:
            status = f"no group yet: send  /koppel {queue}"
        lines.append(f"       {queue.ljust(width)}  {status}")
    lines += [
        "   Where QUEUE_CHATS names a queue, that group wins over one linked with /koppel.",
        "4. Staff: register each person with their Telegram user id, role and queues, e.g.",
        '       helpline staff add --telegram-id 123456789 --name "Sanne" --role staff \\',
        "           --queue wijkteam_drunen",
        "   (change someone later with `helpline staff edit`).",
        "5. Try it: from your own phone, with a Telegram account that is not staff (staff get",
        "   the staff welcome), send /start to your bot and do an intake. The card appears in",
        "   the queue's group; press Oppakken there as staff.",
    ]
    return lines


def run_notice(state: SetupState) -> list[str]:
    """What ``helpline run`` prints on a line that is not set up yet (it starts anyway)."""
    missing = [
        q for q in state.essential if q not in state.from_setting and q not in state.from_koppel
    ]
    warning = []
    if missing:
        names = " and ".join(missing)
        warning = [f"Until {names} has a group, crisis alerts and queue cards reach no one."]
    return [
        "The line is not fully set up yet; the bot starts anyway. Still to do:",
        *warning,
        "",
        *guide(state),
        "",
    ]
