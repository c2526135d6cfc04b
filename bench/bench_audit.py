"""The audit log and /wis at volume: writing, listing a period, pruning chat message ids.

(a) ``record_audit``: N rows, one per transaction (as a handler writes them), and the
    time per row;
(b) ``helpline audit`` for one week and one month out of a year of rows (the query of
    the CLI and of /audit, with the staff and reference joins), and formatting to CSV;
(c) ``chat_message``: recording one id per transaction, and pruning a day's worth.

Run: .venv/bin/python bench/bench_audit.py [--rows 200000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from helpline.cases.audit import audit_table, to_csv
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditAction, AuditEntry, ChatMessage, Role
from storage.repository.audit import audit_entries, record_audit
from storage.repository.chat_messages import prune_chat_messages, remember_messages
from storage.repository.staff import add_staff

ZONE = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 1, 1, tzinfo=UTC)
ACTIONS = list(AuditAction)


async def bench(url: str, rows: int) -> None:
    db = Database(url)
    await upgrade(db)
    async with db.session() as session:
        staff = await add_staff(
            session=session, telegram_user_id=1, name="Sanne", role=Role.staff, queues=[]
        )
    step = timedelta(days=365) / rows
    # Bulk history: a year of rows (not timed per row).
    began = time.perf_counter()
    async with db.session() as session:
        for chunk in range(0, rows, 10_000):
            await session.execute(
                insert(AuditEntry),
                [
                    {
                        "occurred_at": START + n * step,
                        "actor_staff_id": staff.id,
                        "action": str(ACTIONS[n % len(ACTIONS)]),
                        "request_id": n % 5000,
                        "resident_id": n % 4000,
                        "detail": "via=claim",
                    }
                    for n in range(chunk, min(chunk + 10_000, rows))
                ],
            )
    print(f"bulk insert of {rows:,} audit rows: {time.perf_counter() - began:.2f} s")

    # (a) one row per transaction, as handlers do.
    n_single = 2000
    began = time.perf_counter()
    for n in range(n_single):
        async with db.session() as session:
            await record_audit(
                session=session,
                actor_staff_id=staff.id,
                action=AuditAction.view_details,
                request_id=n,
                detail="via=claim",
                now=START + timedelta(days=400, seconds=n),
            )
    per_row = (time.perf_counter() - began) / n_single * 1000
    print(f"record_audit, one transaction each: {per_row:.2f} ms per row ({n_single} rows)")

    # (b) listing a week and a month, then CSV.
    for label, days in (("week", 7), ("month", 31)):
        lower = START + timedelta(days=150)
        began = time.perf_counter()
        async with db.session() as session:
            found = await audit_entries(
                session=session, start=lower, end=lower + timedelta(days=days)
            )
        query = time.perf_counter() - began
        began = time.perf_counter()
        text = to_csv(audit_table(found, ZONE))
        fmt = time.perf_counter() - began
        print(
            f"audit listing of a {label}: {len(found):,} rows, query {query * 1000:.0f} ms, "
            f"CSV {fmt * 1000:.0f} ms ({len(text) / 1e6:.1f} MB)"
        )

    # (c) chat message ids: record one per transaction, then prune a day's worth.
    n_ids = 2000
    began = time.perf_counter()
    for n in range(n_ids):
        async with db.session() as session:
            await remember_messages(
                session=session,
                chat_id=4000 + n % 50,
                message_ids=[n],
                outgoing=bool(n % 2),
                now=START + timedelta(seconds=n * 40),
            )
    per_id = (time.perf_counter() - began) / n_ids * 1000
    print(f"chat_message record, one transaction each: {per_id:.2f} ms per id")
    began = time.perf_counter()
    async with db.session() as session:
        pruned = await prune_chat_messages(session=session, before=START + timedelta(days=1))
        left = await session.scalar(select(func.count()).select_from(ChatMessage))
    print(
        f"prune: {pruned:,} ids older than a day removed in "
        f"{(time.perf_counter() - began) * 1000:.0f} ms, {left or 0:,} left"
    )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"database: {url.split('@')[-1]}")
        asyncio.run(bench(url, args.rows))


if __name__ == "__main__":
    main()
