"""Benchmark of retention and the rights of one resident on a line with years of history.

Run: ``.venv/bin/python bench/bench_privacy.py [--residents N] [--db URL]``.
Fills a migrated database (SQLite in a temporary directory by default) with N
residents, each with two requests (one note, one grade with a remark, two messages)
and four contacts spread over three years, then times: the first daily retention run
(which anonymises the backlog), a second run (which finds nothing), collecting one
resident's export, and erasing one resident. Prints the figures. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from flows.privacy import RetentionPolicy, cutoffs  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    Contact,
    Outbox,
    Request,
    RequestNote,
    Resident,
    Satisfaction,
)
from storage.repository import privacy as privacy_repo  # noqa: E402
from storage.repository.retention import apply_retention  # noqa: E402

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
DAYS = 3 * 365


async def fill(db: Database, residents: int) -> None:
    rng = random.Random(7)
    batch = 2000
    for start in range(0, residents, batch):
        people, requests, notes, grades, messages, contacts = [], [], [], [], [], []
        for n in range(start, min(start + batch, residents)):
            rid = n + 1
            first = NOW - timedelta(days=rng.randrange(DAYS))
            people.append(
                {"id": rid, "telegram_user_id": 10**9 + rid, "chat_id": 10**9 + rid,
                 "first_name": f"Naam{rid}", "phone": f"+316{rid:08d}", "language": "nl",
                 "village": "drunen", "created_at": first}
            )  # fmt: skip
            for k in range(2):
                qid = rid * 2 + k
                when = first + timedelta(days=30 * k)
                status = "claimed" if rng.random() < 0.05 else "resolved"
                requests.append(
                    {"id": qid, "reference": f"HH-{qid:09d}", "resident_id": rid,
                     "channel": "telegram", "kind": "hulpvraag", "category": "geldzaken",
                     "urgency": "normal", "village": "drunen", "queue": "wijkteam_drunen",
                     "summary": "vraag " * 30, "contact_preference": "chat", "language": "nl",
                     "status": status, "new_or_known": "nieuw", "created_at": when,
                     "resolved_at": when + timedelta(days=5) if status == "resolved" else None}
                )  # fmt: skip
                notes.append({"request_id": qid, "author": "resident", "text": "noot " * 20,
                              "created_at": when})  # fmt: skip
                grades.append({"request_id": qid, "grade": 8, "remark": "fijn",
                               "opted_out": False, "answered_at": when})  # fmt: skip
                for _ in range(2):
                    messages.append(
                        {"chat_id": 10**9 + rid, "text": "bericht " * 10, "purpose": "resident",
                         "request_id": qid, "status": "sent", "attempts": 1, "not_before": when,
                         "created_at": when}
                    )  # fmt: skip
                for d in range(2):
                    contacts.append(
                        {"occurred_at": when + timedelta(days=d), "channel": "telegram",
                         "direction": "inbound", "kind": "hulpvraag", "event": "intake",
                         "category": "geldzaken", "village": "drunen", "new_or_known": "nieuw",
                         "resident_id": rid, "request_id": qid}
                    )  # fmt: skip
        async with db.session() as session:
            tables: list[tuple[Any, list[dict[str, Any]]]] = [
                (Resident, people),
                (Request, requests),
                (RequestNote, notes),
                (Satisfaction, grades),
                (Outbox, messages),
                (Contact, contacts),
            ]
            for model, rows in tables:
                await session.execute(insert(model), rows)


async def timed(label: str, work: Any) -> Any:
    start = time.perf_counter()
    result = await work
    print(f"{label:<44} {time.perf_counter() - start:8.2f} s")
    return result


async def main(residents: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(db)
        await timed(f"fill {residents} residents ({residents * 4} contacts)", fill(db, residents))
        policy = cutoffs(RetentionPolicy(), NOW)

        async def retention() -> Any:
            async with db.session() as session:
                return await apply_retention(session=session, cutoffs=policy, now=NOW)

        first = await timed("retention, first run (the backlog)", retention())
        print(f"  anonymised {first.residents_anonymised} residents; cleared {first.cleared}")
        second = await timed("retention, next day (nothing new)", retention())
        print(f"  anonymised {second.residents_anonymised}; cleared {sum(second.cleared.values())}")

        async def one(kind: str) -> Any:
            async with db.session() as session:
                rid = await session.scalar(
                    select(Resident.id).where(Resident.anonymised_at.is_(None)).limit(1)  # type: ignore[union-attr]
                )
                person = await session.get(Resident, rid)
                subject = await privacy_repo.subject_of(session=session, resident=person)
                if kind == "export":
                    return await privacy_repo.collect(session=session, subject=subject, now=NOW)
                return await privacy_repo.erase(session=session, subject=subject, now=NOW)

        await timed("export of one resident (collect)", one("export"))
        await timed("erasure of one resident", one("erase"))
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--db", default=None, help="database URL (default: temporary SQLite)")
    args = parser.parse_args()
    asyncio.run(main(args.residents, args.db))
