"""Parsing ``/staf`` commands of coordinators (pure): list, add, remove, set queues."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flows.errors import StaffCommandError
from flows.permissions import Role

MAX_NAME = 120
# Control and format characters (line breaks, tabs, bidi overrides, zero-width marks)
# and the Unicode line and paragraph separators: in a name they fake extra lines in
# ``staff list`` and ``/staf``, or hide what the name really says.
_REFUSED_IN_NAMES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


@dataclass(frozen=True)
class StaffCommand:
    """A parsed ``/staf`` command."""

    action: str  # list | add | remove | queues
    telegram_id: int | None = None
    role: Role | None = None
    queues: tuple[str, ...] = ()
    name: str | None = None


def has_control_character(name: str) -> bool:
    """Whether ``name`` holds a line break, tab or other control or invisible format
    character, which a staff name may not."""
    return any(unicodedata.category(ch) in _REFUSED_IN_NAMES for ch in name)


def _typed_name(text: str) -> str:
    """The name in ``add <id> <role> <queues> <name>`` exactly as typed."""
    parts = text.split(None, 4)
    return parts[4] if len(parts) == 5 else ""


def parse_staff_command(
    args: list[str], known_queues: set[str], text: str | None = None
) -> StaffCommand:
    """Parses the words after ``/staf``; raises ``StaffCommandError`` with the usage.

    ``text`` is the message after the command as typed. Telegram's ``args`` are split
    on any whitespace, which would quietly turn a line break in a name into a space;
    with ``text`` the name is checked as typed.
    """
    if not args:
        return StaffCommand("list")
    action, rest = args[0].casefold(), args[1:]
    if action not in ("add", "remove", "queues"):
        raise StaffCommandError("staf_usage")
    if not rest or not rest[0].isdigit() or len(rest[0]) > 15:
        raise StaffCommandError("staf_usage")
    telegram_id = int(rest[0])
    if action == "remove":
        return StaffCommand("remove", telegram_id)
    needed = 4 if action == "add" else 2
    if len(rest) < needed:
        raise StaffCommandError("staf_usage")
    queue_arg = rest[2] if action == "add" else rest[1]
    queues = tuple(q for q in queue_arg.split(",") if q and q != "-")
    unknown = [q for q in queues if q not in known_queues]
    if unknown:
        raise StaffCommandError(
            f"Onbekende wachtrij: {unknown[0]}. Bekend: {', '.join(sorted(known_queues))}"
        )
    if action == "queues":
        return StaffCommand("queues", telegram_id, queues=queues)
    try:
        role = Role(rest[1].casefold())
    except ValueError:
        raise StaffCommandError("staf_unknown_role", role=rest[1], known=", ".join(Role)) from None
    name = " ".join(rest[3:]) if text is None else _typed_name(text)
    if has_control_character(name):
        raise StaffCommandError("staf_bad_name")
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise StaffCommandError("staf_usage")
    return StaffCommand("add", telegram_id, role, queues, name)
