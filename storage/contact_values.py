"""How a contact came in: values the import checks in a process without the database."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    telegram = "telegram"
    phone = "phone"
    email = "email"
    walk_in = "walk_in"
    other = "other"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"
