"""The use cases behind ``/rapport`` and ``/audit``, called directly: no bot, only the
database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from helpline.cases import reports
from helpline.cases.reports import AuditView, PeriodReport
from storage import repository as repo
from storage.db import Database
from storage.models import AuditAction, Role
from tests.test_cases_direct import services_for
from tests.test_cases_staff_admin import audit_rows, staff, text

LEAD, WORKER = 9301, 9302


async def test_audit_view_is_private_and_audits_the_reading(db: Database, tmp_path: Path) -> None:
    services = services_for(db, tmp_path)
    lead = await staff(db, LEAD, Role.coordinator, ["coordinatie"])
    async with db.session() as session:
        group = await reports.audit_view(session, services, lead, private=False, asked="")
        bad = await reports.audit_view(session, services, lead, private=True, asked="gisteren")
    assert group == AuditView(text(services, "audit_private_only"))
    assert bad == AuditView(text(services, "audit_bad_period"))
    assert await audit_rows(db) == [], "a refused view reads and records nothing"
    async with db.session() as session:
        for _ in range(reports.MAX_SHOWN + 1):
            await repo.record_audit(
                session=session, actor_staff_id=lead.id, action=AuditAction.export,
                request_id=None, resident_id=None, detail="via=test",
                now=services.clock() - timedelta(hours=1),
            )  # fmt: skip
    async with db.session() as session:
        view = await reports.audit_view(session, services, lead, private=True, asked="")
    assert view.file_name is not None and view.file_name.startswith("audit-")
    assert view.file is not None and view.file.count(b"via=test") == reports.MAX_SHOWN + 1
    assert view.text.count("via=test") == reports.MAX_SHOWN
    last = (await audit_rows(db))[-1]
    assert (last.action, last.actor_staff_id) == ("audit_view", lead.id)
    assert last.detail is not None and f"rows={reports.MAX_SHOWN + 1}" in last.detail


async def test_only_leads_read_reports_and_each_export_is_audited(
    db: Database, tmp_path: Path
) -> None:
    services = services_for(db, tmp_path)
    lead = await staff(db, LEAD, Role.coordinator, ["coordinatie"])
    await staff(db, WORKER, Role.staff, ["vrijwilligers"])
    async with db.session() as session:
        assert await reports.report_reader(session, WORKER) is None
        assert await reports.report_reader(session, 1) is None
        assert await reports.report_reader(session, LEAD) == lead.id
    bad = await reports.period_report(services, lead.id, "vorige maand")
    assert bad == text(services, "report_bad_period")
    assert await audit_rows(db) == []
    report = await reports.period_report(services, lead.id, "2026-q1")
    assert isinstance(report, PeriodReport) and report.stem == "rapport-2026-Q1"
    assert report.workbook.startswith(b"PK") and report.chart.startswith(b"\x89PNG")
    [row] = await audit_rows(db)
    assert (row.action, row.actor_staff_id) == ("export", lead.id)
    assert row.detail == "via=rapport from=2026-01-01 to=2026-03-31 total=0"
