"""Who may do what: one table, checked by every staff command and button.

A pure function of (role, action, relation to the request) so the whole matrix is
testable without Telegram, and a new action cannot slip in unchecked: the handlers
ask ``allowed`` and the tests enumerate ``ACTIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a staff member may do; each role includes the ones before it (stored as its
    value in ``staff.role``)."""

    volunteer = "volunteer"
    staff = "staff"
    coordinator = "coordinator"
    admin = "admin"


class Relation(StrEnum):
    """How the person pressing relates to the request."""

    none = "none"  # no request involved (e.g. /wachtrij)
    in_queue = "in_queue"  # member of the request's queue
    holder = "holder"  # has claimed it
    handover_target = "handover_target"  # a pending handover points at them
    outsider = "outsider"  # staff, but neither of the above


@dataclass(frozen=True)
class Rule:
    """Roles that may always act, and relations that let the other roles act."""

    any_request: frozenset[Role]
    relations: frozenset[Relation]
    roles: frozenset[Role]


_ALL = frozenset(Role)
_LEADS = frozenset({Role.coordinator, Role.admin})
_WORKERS = frozenset({Role.staff, Role.coordinator, Role.admin})

ACTIONS: dict[str, Rule] = {
    "claim": Rule(_LEADS, frozenset({Relation.in_queue}), _ALL),
    "view_queue": Rule(_LEADS, frozenset({Relation.none}), _ALL),
    "view_all_queues": Rule(_LEADS, frozenset(), _LEADS),
    "view_mine": Rule(_ALL, frozenset(), _ALL),
    "release": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "resolve": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "relay": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    # Correcting triage: the holder fixes the category; a missed crisis is for the leads.
    "recategorise": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "mark_crisis": Rule(_LEADS, frozenset(), _LEADS),
    "log": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "handover": Rule(_LEADS, frozenset({Relation.holder}), _WORKERS),
    "accept_handover": Rule(_LEADS, frozenset({Relation.handover_target}), _ALL),
    "phone_intake": Rule(_WORKERS, frozenset(), _WORKERS),
    "manage_staff": Rule(_LEADS, frozenset(), _LEADS),
    "report": Rule(_LEADS, frozenset(), _LEADS),
    # Follow-up calls: "holder" of a call is its assignee.
    "plan_call": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "call_outcome": Rule(_LEADS, frozenset({Relation.holder}), _ALL),
    "close_call_alert": Rule(_LEADS, frozenset(), _LEADS),
    "set_availability": Rule(_ALL, frozenset(), _ALL),
    "view_agenda": Rule(_ALL, frozenset(), _ALL),
    "view_audit": Rule(_LEADS, frozenset(), _LEADS),
    # The phone line: screen pops show the caller's number, so not to volunteers; the
    # buttons after a call are for the one who answered it (checked on the call row).
    "take_calls": Rule(_WORKERS, frozenset(), _WORKERS),
    "call_follow_up": Rule(_WORKERS, frozenset(), _WORKERS),
    # The rota (/rooster): who answers the phone when is the coordinators' planning.
    "manage_rota": Rule(_LEADS, frozenset(), _LEADS),
    # The coordinator web page: every registered role logs in and sees its own queues
    # (as /wachtrij); a case page for the queue's members and the holder, the question
    # and phone number only for the holder (not a volunteer) and the leads, as in Telegram.
    "web_login": Rule(_ALL, frozenset(), _ALL),
    "view_case": Rule(
        _LEADS, frozenset({Relation.in_queue, Relation.holder, Relation.handover_target}), _ALL
    ),
    "view_details": Rule(_LEADS, frozenset({Relation.holder}), _WORKERS),
    # Search by reference, phone number, name or village: a number finds a person, so not
    # for volunteers (as the phone pops); results only of requests the searcher may open.
    "search": Rule(_WORKERS, frozenset(), _WORKERS),
}


def allowed(role: str, action: str, relation: Relation = Relation.none) -> bool:
    """True when someone with ``role`` and ``relation`` to the request may do ``action``."""
    rule = ACTIONS.get(action)
    if rule is None:
        return False  # unknown actions are refused, never allowed by default
    try:
        who = Role(role)
    except ValueError:
        return False
    if who in rule.any_request:
        return True
    return who in rule.roles and relation in rule.relations
