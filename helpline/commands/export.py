"""``helpline export``: contact tallies for the municipality as CSV, XLSX, JSON or PNG.

Register in ``helpline.cli`` with ``app.command("export")(export)``.
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flows.labels import Labels
from helpline.commands import support as cli
from helpline.commands.options import Force, LastDay
from helpline.reporting.build import DIMENSIONS, DimensionError, build_report, parse_breakdowns
from helpline.reporting.model import Metric, Report
from helpline.reporting.periods import Period, PeriodError, parse_day
from helpline.reporting.writers import CSV_ONE_BREAKDOWN, to_csv, to_json
from storage.db import Database
from storage.models import AuditAction


class ExportFormat(StrEnum):
    """The file formats of an export."""

    csv = "csv"
    xlsx = "xlsx"
    json = "json"
    png = "png"


_BY_HELP = (
    "A breakdown: one dimension, or several joined by commas for their combination "
    f"(month,category). Repeat --by for several breakdowns. Dimensions: {', '.join(DIMENSIONS)}."
)


def _format(chosen: ExportFormat | None, output: Path | None) -> ExportFormat:
    if chosen is not None:
        return chosen
    if output is not None and output.suffix.lstrip(".").lower() in ExportFormat.__members__:
        return ExportFormat(output.suffix.lstrip(".").lower())
    if output is not None and str(output) != "-":
        cli.fail(f"cannot tell the format from {output.name!r}; give --format csv|xlsx|json|png")
    return ExportFormat.json


def _period(start: str | None, end: str | None, today: datetime) -> Period:
    try:
        first = parse_day(start) if start else today.date().replace(month=1, day=1)
        last = parse_day(end) if end else today.date()
        return Period(first, last)
    except PeriodError as exc:
        cli.fail(str(exc))


def render(report: Report, fmt: ExportFormat, labels: Labels, min_cell: int | None) -> bytes:
    """The report in ``fmt`` as bytes (text formats in UTF-8)."""
    # openpyxl and matplotlib take a second to import: only when they are needed.
    if fmt is ExportFormat.xlsx:
        from helpline.reporting.workbook import to_xlsx

        return to_xlsx(report, labels, min_cell)
    if fmt is ExportFormat.png:
        from helpline.reporting.charts import to_png

        return to_png(report, labels, min_cell)
    if fmt is ExportFormat.csv:
        return to_csv(report, min_cell).encode()
    return to_json(report, min_cell).encode()


def export(
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: 1 January this year)."),
    ] = None,
    end: LastDay = None,
    by: Annotated[list[str] | None, typer.Option("--by", help=_BY_HELP)] = None,
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="csv, xlsx, json or png (default: from -o, else json)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
    min_cell: Annotated[
        int | None,
        typer.Option("--min-cell", help="For publication: show counts below N as <N."),
    ] = None,
    metric: Annotated[
        Metric, typer.Option("--metric", help="contacts, or grade (satisfaction).")
    ] = Metric.contacts,
    force: Force = False,
) -> None:
    """Counts contacts (or satisfaction grades) per category, village, month, ..."""
    settings = cli.settings_or_exit()
    config, labels = cli.config_or_exit(settings)
    zone = settings.zone
    period = _period(start, end, datetime.now(zone))
    if min_cell is not None and min_cell < 1:
        cli.fail("--min-cell must be 1 or more")
    try:
        breakdowns = parse_breakdowns(by or ["category"], metric)
    except DimensionError as exc:
        cli.fail(str(exc))
    chosen = _format(fmt, output)
    to_stdout = output is None or str(output) == "-"
    if to_stdout and chosen in (ExportFormat.xlsx, ExportFormat.png):
        cli.fail(f"--format {chosen.value} writes a binary file; give -o FILE")
    if chosen is ExportFormat.csv and len(breakdowns) > 1:
        cli.fail(CSV_ONE_BREAKDOWN)
    if output is not None and not to_stdout:
        cli.check_output(settings, output, force=force)

    async def work(db: Database) -> tuple[Report, bytes, str | None]:
        report = await build_report(
            db=db,
            config=config,
            labels=labels,
            period=period,
            breakdowns=breakdowns,
            zone=zone,
            metric=metric,
        )
        data = render(report, chosen, labels, min_cell)
        detail = (
            f"via=cli format={chosen.value} from={period.start} to={period.end} "
            f"metric={metric.value} total={report.total}"
        )
        problem: str | None = None
        written = False
        try:
            async with db.session() as session:
                if output is not None and not to_stdout:
                    # Written inside the audit's transaction: the row says whether the
                    # file was made, and a file whose row failed to commit is removed.
                    problem = cli.write_output(output, data, force=force)
                    written = problem is None
                    detail += f" output=file outcome={'written' if written else 'failed'}"
                await cli.audit(session, AuditAction.export, detail)
        except BaseException:
            if written and output is not None:
                output.unlink(missing_ok=True)
            raise
        return report, data, problem

    report, data, problem = cli.run_with_db(settings, work)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    if problem is not None:
        cli.fail(f"cannot write {output}: {problem}")
    typer.echo(
        f"Wrote {output} ({chosen.value}): {period.start} to {period.end}, "
        f"{report.total} {metric.value}.",
        err=True,
    )
