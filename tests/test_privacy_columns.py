"""Every column that may hold a resident's name, number, chat id or free text is mapped.

The map (``storage.repository.personal_data``) drives export, erasure and retention;
this test reads every model, so a new table or column cannot be forgotten silently.
"""

from __future__ import annotations

import re

from sqlalchemy import Text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from storage.repository.personal_data import HOLDERS, NOT_PERSONAL, PENDING

# Names that suggest personal data; Text columns are always free text.
SUSPECT = re.compile(
    r"name|phone|chat_id|user_id|telegram|text|note|remark|summary|question|reason|"
    r"email|address|message|ref|contact_person|birth"
)
# Tables that are about staff or the line itself, never about a resident.
NOT_ABOUT_RESIDENTS = {
    "staff": "staff members",
    "queue_membership": "staff members' queues",
    "reference_counter": "a counter per year",
    "availability": "staff members' hours",
    "staff_prompt": "what a staff member's next message answers",
    "job_run": "when a job last ran",
    "alembic_version": "schema version",
}


def _covered() -> set[str]:
    covered = set(NOT_PERSONAL)
    for holder in HOLDERS:
        if holder.delete:
            covered |= {f"{holder.table}.{c.name}" for c in holder.model.__table__.columns}  # type: ignore[attr-defined]
        covered |= {f"{holder.table}.{name}" for name in (*holder.free_text, *holder.identity)}
    return covered


def _suspect_columns() -> list[str]:
    found = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_ABOUT_RESIDENTS:
            continue
        for column in table.columns:
            if column.primary_key or column.foreign_keys:
                continue  # row ids; links to residents are checked below
            if isinstance(column.type, Text) or SUSPECT.search(column.name):
                found.append(f"{table.name}.{column.name}")
    return found


def test_every_personal_looking_column_is_mapped_or_explained() -> None:
    missing = [c for c in _suspect_columns() if c not in _covered()]
    assert missing == [], (
        "columns that may hold a resident's data are not in storage/repository/"
        f"personal_data.py (HOLDERS, or NOT_PERSONAL with a reason): {missing}"
    )


def test_free_text_columns_are_among_the_suspects() -> None:
    # The heuristic must see the columns the models document as free text.
    suspects = set(_suspect_columns())
    for column in ("request.summary", "request_note.text", "intake_draft.question"):
        assert column in suspects
    assert "satisfaction.remark" in suspects and "resident.phone" in suspects


def test_every_table_linked_to_a_resident_or_request_has_a_holder() -> None:
    held = {holder.table for holder in HOLDERS}
    unlinked = []
    for table in SQLModel.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if targets & {"resident", "request"} and table.name not in held:
            unlinked.append(table.name)
    # Tables linked one step further (a reminder of a call) must be named too.
    indirect = {"call_reminder": "cancelled through its call in cancel_pending"}
    assert [t for t in unlinked if t not in indirect] == []


def test_map_names_only_real_columns() -> None:
    for holder in HOLDERS:
        names = {c.name for c in holder.model.__table__.columns}  # type: ignore[attr-defined]
        assert holder.column in names
        assert set(holder.free_text) | set(holder.identity) <= names, holder.table
    for item in PENDING:
        names = {c.name for c in item.model.__table__.columns}  # type: ignore[attr-defined]
        assert {item.column, item.status, *item.values} <= names
        assert item.stamp is None or item.stamp in names
    tables = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.sorted_tables}
    for key in NOT_PERSONAL:
        table, column = key.split(".")
        assert column in tables.get(table, set()), key


def test_resident_identity_is_cleared_completely() -> None:
    [resident] = [h for h in HOLDERS if h.table == "resident"]
    kept = {"id", "language", "village", "created_at", "blocked_at", "anonymised_at"}
    kept |= {"call_reminders"}  # a yes/no preference, not identifying
    columns = {c.name for c in resident.model.__table__.columns}  # type: ignore[attr-defined]
    assert columns - set(resident.identity) == kept
