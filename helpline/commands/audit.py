"""``helpline audit``: the audit log of a period, as text, CSV or JSON.

Reading the audit log is itself audited (action ``audit_view``, actor the command line).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer

from helpline.cases.audit import DEFAULT_DAYS, audit_csv, audit_table, to_json, to_text
from helpline.commands import support as cli
from helpline.commands.options import LastDay
from helpline.reporting.periods import Period, PeriodError, parse_day
from storage.db import Database
from storage.models import AuditAction
from storage.repository.audit import audit_entries


class AuditFormat(StrEnum):
    """How ``helpline audit`` prints the rows."""

    text = "text"
    csv = "csv"
    json = "json"


def audit_period(start: str | None, end: str | None, today: date) -> Period:
    """The local days asked for; raises ``PeriodError`` with a one-line message."""
    last = parse_day(end) if end else today
    first = parse_day(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    return Period(first, last)


def audit(
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: 6 days before --to)."),
    ] = None,
    end: LastDay = None,
    fmt: Annotated[
        AuditFormat, typer.Option("--format", help="text, csv or json.")
    ] = AuditFormat.text,
) -> None:
    """Lists who viewed, exported, erased, changed roles or handed over, day by day.

    Days are whole days in the line's time zone (TIME_ZONE), both included.
    """
    settings = cli.settings_or_exit()
    zone = settings.zone
    try:
        period = audit_period(start, end, datetime.now(zone).date())
    except PeriodError as exc:
        cli.fail(str(exc))
    lower, upper = period.bounds(zone)

    async def work(db: Database) -> str:
        async with db.session() as session:
            rows = await audit_entries(session=session, start=lower, end=upper)
            detail = f"via=cli from={period.start} to={period.end} rows={len(rows)}"
            await cli.audit(session, AuditAction.audit_view, detail)
        table = audit_table(rows, zone)
        if fmt is AuditFormat.csv:
            return audit_csv(table)
        if fmt is AuditFormat.json:
            return to_json(table)
        return to_text(table) or f"No audit entries from {period.start} to {period.end}.\n"

    sys.stdout.write(cli.run_with_db(settings, work))
    sys.stdout.flush()
