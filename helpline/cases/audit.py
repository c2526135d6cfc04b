"""Writing and reading the audit log from the bot and the command line.

``record`` is the one call handlers make when staff see a resident's details,
export, change a role or hand over a request; ``audit_table`` turns stored rows
into plain rows for the CLI (text, CSV, JSON) and for ``/audit``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.reporting.cells import safe_fields
from storage import repository as repo
from storage.models import AuditAction, AuditEntry, Request, Staff

if TYPE_CHECKING:  # the CLI imports this module without loading the bot
    from helpline.cases.core import Services

CLI_ACTOR = "cli"  # rows written by the command line (the server's operator)
DEFAULT_DAYS = 7  # a reading of the log without a first day: the last week


async def record(
    session: AsyncSession,
    services: Services,
    actor_id: int | None,
    action: AuditAction,
    request: Request | None = None,
    detail: str | None = None,
) -> None:
    """Appends an audit row in the caller's transaction: who (``actor_id``) did what
    (``action``) to which request (and so its resident), and how (``detail``)."""
    await repo.record_audit(
        session=session,
        actor_staff_id=actor_id,
        action=action,
        request_id=request.id if request else None,
        resident_id=request.resident_id if request else None,
        detail=detail,
        now=services.clock(),
    )


def role_detail(staff_id: int | None, role: str, queues: Sequence[str]) -> str:
    """The audit detail of a role change: the staff row id, role and queues (no names)."""
    return f"staff={staff_id} role={role} queues={','.join(queues) or '-'}"


@dataclass(frozen=True)
class AuditRow:
    """One audit row as people read it: local time, who, what, on which request."""

    time: str
    staff: str
    staff_id: str
    role: str
    action: str
    request: str
    resident_id: str
    detail: str


COLUMNS = tuple(AuditRow.__dataclass_fields__)


def audit_table(
    rows: Sequence[tuple[AuditEntry, Staff | None, str | None]], zone: ZoneInfo
) -> list[AuditRow]:
    """Readable rows: times in the line's time zone, staff by name and id."""
    table = []
    for entry, staff, reference in rows:
        local = entry.occurred_at.astimezone(zone)
        request = reference or (f"#{entry.request_id}" if entry.request_id else "")
        table.append(
            AuditRow(
                time=local.strftime("%Y-%m-%d %H:%M:%S"),
                staff=staff.name if staff else CLI_ACTOR,
                staff_id=str(entry.actor_staff_id or ""),
                role=str(staff.role) if staff else "",
                action=entry.action,
                request=request,
                resident_id=str(entry.resident_id or ""),
                detail=entry.detail or "",
            )
        )
    return table


def to_text(table: Sequence[AuditRow]) -> str:
    """One line per row, fields separated by `` · ``."""
    lines = []
    for row in table:
        who = f"{row.staff} (#{row.staff_id})" if row.staff_id else row.staff
        fields = [row.time, who, row.action, row.request, row.detail]
        lines.append(" · ".join(f for f in fields if f))
    return "\n".join(lines) + ("\n" if lines else "")


def to_csv(table: Sequence[AuditRow]) -> str:
    """CSV with a header row (UTF-8, comma-separated)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([list(asdict(row).values()) for row in table])
    return out.getvalue()


def audit_csv(table: Sequence[AuditRow]) -> str:
    """The rows as CSV, safe to open in a spreadsheet: a staff name or detail that
    starts like a formula (``=``, ``+``, ``-``, ``@``) gets a leading single quote."""
    return to_csv([safe_fields(row) for row in table])


def to_json(table: Sequence[AuditRow]) -> str:
    """A JSON list of objects, one per row."""
    return json.dumps([asdict(row) for row in table], ensure_ascii=False, indent=1) + "\n"
