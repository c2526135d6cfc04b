"""The rows a resident's submit and a claim add and read, as prepared statements.

Contacts, queue cards in the outbox, escalation stages, audit rows and new requests:
each is one ``INSERT`` on the model's table (``storage.direct.Prepared``), with the
model's own defaults filled in here. No ORM object enters the session, so the commit
has no unit of work to flush. The reads (``read_request``, ``read_staff``…) give a
model instance that is not in the session either: for reading; a change to it is not
stored. The ORM functions beside these (``log_contact``, ``enqueue``, ``get_request``)
stay for everything else; these are for the hot path, whose callers need no mapped
object back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, bindparam, insert, inspect, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import instance_dict
from sqlmodel import SQLModel

from storage.direct import Prepared
from storage.models import Contact, Escalation, Outbox, Request, Resident, Staff
from storage.repository.outbox import QUEUED_KEY
from storage.repository.requests import next_reference

Default = tuple[str, Any, Callable[[], Any] | None]


@cache
def table_of(model: type[SQLModel]) -> Table:
    """The model's table."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


@cache
def _defaults(model: type[SQLModel]) -> tuple[Default, ...]:
    """(column, default, factory) of every column but the id, from the model's fields:
    the values a Core insert must spell out that the model would have filled in."""
    names = {c.name for c in table_of(model).columns} - {"id"}
    found: list[Default] = []
    for name, info in model.model_fields.items():
        if name in names:
            default = None if info.default is PydanticUndefined else info.default
            found.append((name, default, info.default_factory))  # type: ignore[arg-type]
    return tuple(found)


@cache
def _insert(model: type[SQLModel], returning: bool) -> Prepared:
    statement = insert(table_of(model))
    return Prepared(statement.returning(table_of(model).c.id) if returning else statement)


def row_values(model: type[SQLModel], fields: dict[str, Any]) -> dict[str, Any]:
    """Every column's value for a new row: ``fields``, else the model's default."""
    values = {
        name: fields[name] if name in fields else (factory() if factory else default)
        for name, default, factory in _defaults(model)
    }
    unknown = fields.keys() - values.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no column {sorted(unknown)}")
    return values


async def append(session: AsyncSession, model: type[SQLModel], **fields: Any) -> None:
    """Inserts one append-only row (a contact, an escalation stage) at once."""
    await _insert(model, False).many(session, [row_values(model, fields)])


async def append_contact(session: AsyncSession, **fields: Any) -> None:
    """``log_contact`` without a mapped object: the row is written now, its id unknown."""
    await append(session, Contact, **fields)


async def append_escalations(
    session: AsyncSession, *, request_id: int, stages: list[tuple[str, datetime]], now: datetime
) -> None:
    """``schedule_escalations`` in one executemany: the pending stages of a request."""
    if stages:
        rows = [
            row_values(
                Escalation,
                {"request_id": request_id, "stage": stage, "due_at": due_at, "created_at": now},
            )
            for stage, due_at in stages
        ]
        await _insert(Escalation, False).many(session, rows)


async def append_outbox(
    session: AsyncSession,
    *,
    now: datetime,
    chat_id: int,
    text: str,
    purpose: str,
    reply_markup: str | None = None,
    request_id: int | None = None,
) -> None:
    """``enqueue`` without a mapped object: due now, sent by the dispatcher after the
    commit (the session is marked, so the handler kicks it)."""
    await append(
        session,
        Outbox,
        chat_id=chat_id,
        text=text,
        purpose=purpose,
        reply_markup=reply_markup,
        request_id=request_id,
        created_at=now,
        not_before=now,
    )
    session.info[QUEUED_KEY] = True


async def insert_request(session: AsyncSession, *, prefix: str, **fields: Any) -> Request:
    """``create_request`` by a Core insert: the next reference of the creation year.

    Returns a ``Request`` that is not in the session (transient): its values, with the
    id the insert gave it, for reading (the card, the contact, the reply). A change to
    it is not stored; load the request to change it.
    """
    values = row_values(Request, {"reference": "pending", **fields})
    values["reference"] = await next_reference(
        session=session, prefix=prefix, year=values["created_at"].year
    )
    (new_id,) = (await _insert(Request, True).rows(session, values))[0]
    return _built(Request, {**values, "id": new_id})


M = TypeVar("M", bound=SQLModel)


@cache
def _select_by(model: type[SQLModel], column: str, active_only: bool) -> Prepared:
    table = table_of(model)
    statement = select(*table.columns).where(table.c[column] == bindparam("value"))
    return Prepared(statement.where(table.c.active == true()) if active_only else statement)


async def _read(
    session: AsyncSession, model: type[M], column: str, value: Any, *, active_only: bool = False
) -> M | None:
    found = await _select_by(model, column, active_only).first(session, {"value": value})
    return None if found is None else as_model(model, found)


def as_model(model: type[M], row: tuple[Any, ...]) -> M:
    """A row of all the table's columns, in order, as a model instance not in the session."""
    return _built(model, dict(zip(table_of(model).columns.keys(), row, strict=True)))


def _built(model: type[M], values: dict[str, Any]) -> M:
    """The instance built as SQLAlchemy builds a loaded row's (a new instance, its values
    set as they are): the model's ``__init__`` costs 25 times as much."""
    instance: M = inspect(model).class_manager.new_instance()
    instance_dict(instance).update(values)
    return instance


async def read_request(session: AsyncSession, request_id: int) -> Request | None:
    """``get_request``, for reading only (see the module's docstring)."""
    return await _read(session, Request, "id", request_id)


async def read_resident(session: AsyncSession, resident_id: int) -> Resident | None:
    """The resident with this id, for reading only."""
    return await _read(session, Resident, "id", resident_id)


async def read_resident_by_telegram_id(
    session: AsyncSession, telegram_user_id: int
) -> Resident | None:
    """``get_resident_by_telegram_id``, for reading only."""
    return await _read(session, Resident, "telegram_user_id", telegram_user_id)


async def read_staff(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    """``get_staff`` (the active staff member with this Telegram id), for reading only."""
    return await _read(session, Staff, "telegram_user_id", telegram_user_id, active_only=True)


async def read_staff_by_id(session: AsyncSession, staff_id: int) -> Staff | None:
    """``get_staff_by_id`` (active or not), for reading only."""
    return await _read(session, Staff, "id", staff_id)
