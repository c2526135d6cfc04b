"""Reports on the web page: coordinators only; the table, chart and downloads use the same
engine and numbers as `helpline export`; small counts hidden alike; bad input answered."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select

from flows.labels import load_labels
from helpline.reporting.build import build_report, parse_breakdowns
from helpline.reporting.periods import Period
from helpline.testing import FakeUser
from storage.db import Database
from storage.models import AuditAction, AuditEntry, Role
from tests.bot_harness import complete_intake
from tests.web_helpers import web_app

CARLA = FakeUser(id=5003, first_name="Carla")
KEES = FakeUser(id=5004, first_name="Kees")


async def test_a_coordinator_sees_the_report_and_downloads_the_same_numbers(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        h = web.h
        for n, village in enumerate(("Drunen", "Drunen", "Vlijmen")):
            user = FakeUser(id=4200 + n, first_name=f"Bewoner{n}")
            await complete_intake(
                h.chat(user), "Ik snap de brief van de belasting niet", village=village
            )
        carla = await web.staff(CARLA, "coordinatie", role=Role.coordinator)
        browser = await web.login(carla)
        page = await browser.get("/web/reports", params={"period": "2026", "by": "village"})
        assert page.status_code == 200, page.text
        assert "Drunen" in page.text and "Vlijmen" in page.text
        expected = await build_report(
            db=db,
            config=h.services.config,
            labels=load_labels(),
            period=Period(date(2026, 1, 1), date(2026, 12, 31)),
            breakdowns=parse_breakdowns(["village"]),
            zone=h.services.settings.zone,
        )
        counts = {row.label: (row.count, row.percent) for row in expected.breakdowns[0].rows}
        assert counts["Drunen"][0] == 2 * counts["Vlijmen"][0]
        for label, (count, percent) in counts.items():  # the engine's numbers, row by row
            row = f'<td>{label}</td>\n    <td class="num">{count}</td>'
            assert row in page.text and f"{percent} %" in page.text
        csv = await browser.get(
            "/web/reports/download", params={"period": "2026", "by": "village", "format": "csv"}
        )
        assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
        lines = csv.text.splitlines()
        assert any(line.startswith("Drunen") or ",Drunen," in line for line in lines[1:])
        xlsx = await browser.get(
            "/web/reports/download", params={"period": "2026", "by": "village", "format": "xlsx"}
        )
        book = load_workbook(io.BytesIO(xlsx.content))
        assert len(book.sheetnames) > 2  # the chosen breakdown and /rapport's standard ones
        values = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
        assert expected.total in values
        png = await browser.get(
            "/web/reports/download", params={"period": "2026", "by": "village", "format": "png"}
        )
        assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
        # The chart of the page is the page's report: drawn, not built and recorded again;
        # asked for once more, it is a download of its own.
        again = await browser.get(
            "/web/reports/download", params={"period": "2026", "by": "village", "format": "png"}
        )
        assert again.content[:4] == b"\x89PNG"
        # Small numbers hidden everywhere alike.
        hidden = await browser.get(
            "/web/reports", params={"period": "2026", "by": "village", "min_cell": "5"}
        )
        assert "&lt;5" in hidden.text
        async with db.session() as session:
            audit = await session.scalars(select(AuditEntry))
            exports = [a for a in audit if a.action == AuditAction.export]
        # page, CSV, XLSX, the second PNG, the page with min_cell
        assert len(exports) == 5 and all("via=web" in (a.detail or "") for a in exports)


async def test_reports_refuse_staff_and_anonymous_and_answer_bad_input(
    db: Database, tmp_path: Path
) -> None:
    async with web_app(db, tmp_path) as web:
        kees = await web.staff(KEES, "wijkteam_drunen")
        carla = await web.staff(CARLA, "coordinatie", role=Role.coordinator)
        assert (await web.browser().get("/web/reports")).status_code == 401
        staff = await web.login(kees)
        assert (await staff.get("/web/reports")).status_code == 403
        assert (await staff.get("/web/reports/download?format=csv")).status_code == 403
        assert "/web/reports" not in (await staff.get("/web/queues")).text  # no menu item
        lead = await web.login(carla)
        assert "/web/reports" in (await lead.get("/web/queues")).text
        for params, needle in (
            ({"period": "vorig jaar"}, "Deze periode ken ik niet"),
            ({"by": "name"}, "Kies een verdeling"),
            ({"min_cell": "-3"}, "vul een getal van 1 tot 100"),
            ({"min_cell": "9999"}, "vul een getal van 1 tot 100"),
        ):
            answer = await lead.get("/web/reports", params=params)
            assert answer.status_code == 400 and needle in answer.text
        bad = await lead.get("/web/reports/download", params={"format": "exe"})
        assert bad.status_code == 400 and "Deze download ken ik niet" in bad.text
        empty = await lead.get("/web/reports", params={"period": "2025"})
        assert empty.status_code == 200 and "Geen contacten in deze periode" in empty.text
