"""Claim contention: 50 staff racing over 1,000 open requests; claims/s and no double claim.

Every staff member looks at the oldest cards still on the board (``--board``, 5) and
presses Claim on one of them at random, so several people press the same card at
the same moment, as in a busy queue group. A press is one transaction like the
Claim button's: read the request, the conditional ``UPDATE … WHERE claimed_by IS NULL
RETURNING`` (``storage.repository.claim_request``), and for the winner the claim
contact. The script exits non-zero on a double claim (two presses told "you have
it" for one request), on a request nobody won, or when the database disagrees with
the winners the presses saw.

SQLite (default: a temporary file; one connection, as the bot runs) or PostgreSQL:

    .venv/bin/python bench/bench_claims.py
    .venv/bin/python bench/bench_claims.py --connections 4     # SQLite: 4 racing connections
    BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/h_perf \\
        .venv/bin/python bench/bench_claims.py

The PostgreSQL database is emptied first (schema ``public`` dropped and migrated):
never point it at a database that holds anything you want to keep.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlmodel import col

from storage import repository as repo
from storage.db import Database, normalise_url
from storage.migrate import upgrade
from storage.models import Channel, Contact, Direction, Request, RequestStatus, Role

QUEUE = "wijkteam_drunen"


def now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


async def prepare(db: Database, staff: int, requests: int) -> tuple[list[int], list[int]]:
    """Migrates an empty database and adds the staff and the open requests."""
    if db.dialect == "postgresql":
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(db)
    async with db.session() as session:
        staff_ids = []
        for n in range(staff):
            member = await repo.add_staff(
                session=session,
                telegram_user_id=80_000 + n,
                name=f"S{n}",
                role=Role.staff,
                queues=[QUEUE],
            )
            assert member.id is not None
            staff_ids.append(member.id)
        request_ids = []
        for _ in range(requests):
            request = await repo.create_request(
                session=session,
                prefix="HH",
                channel=Channel.telegram,
                category="boodschappen",
                queue=QUEUE,
                created_at=now(),
            )
            assert request.id is not None
            request_ids.append(request.id)
    return staff_ids, request_ids


async def press(db: Database, request_id: int, staff_id: int) -> str:
    """One Claim press in its own transaction, as the button handler does it.

    Returns:
        ``won``; ``lost`` when the conditional update found it taken (a race lost);
        ``late`` when the read already showed it taken.
    """
    async with db.session() as session:
        request = await repo.get_request(session=session, request_id=request_id)
        if request is None or request.status != RequestStatus.open:
            return "late"  # the card already shows who has it
        won = await repo.claim_request(
            session=session, request_id=request_id, staff_id=staff_id, now=now()
        )
        if won:
            await repo.log_contact(
                session=session,
                occurred_at=now(),
                channel=Channel.telegram,
                direction=Direction.internal,
                event="claim",
                staff_id=staff_id,
                **repo.request_contact_fields(request),
            )
        return "won" if won else "lost"


async def race(
    db: Database, staff_ids: list[int], request_ids: list[int], board: int, seed: int
) -> tuple[float, dict[int, list[int]], list[float], Counter[str]]:
    """All staff press cards until the board is empty; returns time, winners, latencies."""
    shown = list(request_ids)  # oldest first, as the cards stand in the group
    winners: dict[int, list[int]] = defaultdict(list)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    rng = random.Random(seed)

    async def staff_member(staff_id: int) -> None:
        while shown:
            request_id = rng.choice(shown[:board])
            started = time.perf_counter()
            outcome = await press(db, request_id, staff_id)
            latencies.append(time.perf_counter() - started)
            outcomes[outcome] += 1
            if outcome == "won":
                winners[request_id].append(staff_id)
            if request_id in shown:  # taken now: it leaves everyone's board
                shown.remove(request_id)

    started = time.perf_counter()
    await asyncio.gather(*(staff_member(s) for s in staff_ids))
    return time.perf_counter() - started, winners, latencies, outcomes


async def check(db: Database, request_ids: list[int], winners: dict[int, list[int]]) -> list[str]:
    """What went wrong: double claims, unclaimed requests, disagreement with the database."""
    problems = [f"request {r}: claimed by {w}" for r, w in winners.items() if len(w) > 1]
    problems += [f"request {r}: nobody won it" for r in request_ids if not winners.get(r)]
    async with db.session() as session:
        rows = (await session.execute(select(col(Request.id), col(Request.claimed_by)))).all()
        claims = await session.scalar(
            select(func.count(col(Contact.id))).where(col(Contact.event) == "claim")
        )
    for request_id, claimed_by in rows:
        if (
            request_id is not None
            and winners.get(request_id)
            and claimed_by != winners[request_id][0]
        ):
            problems.append(f"request {request_id}: database says {claimed_by}")
    if claims != len(request_ids):
        problems.append(f"{claims} claim contacts for {len(request_ids)} requests")
    return problems


async def one_round(url: str, args: argparse.Namespace, seed: int) -> tuple[float, list[str]]:
    db = Database(url, pool_size=args.connections)
    try:
        staff_ids, request_ids = await prepare(db, args.staff, args.requests)
        elapsed, winners, latencies, outcomes = await race(
            db, staff_ids, request_ids, args.board, seed
        )
        problems = await check(db, request_ids, winners)
    finally:
        await db.dispose()
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    rate, presses = len(request_ids) / elapsed, sum(outcomes.values())
    print(
        f"  {len(request_ids)} requests claimed by {len(staff_ids)} staff in {elapsed:5.2f} s "
        f"= {rate:6.0f} claims/s; {presses} presses ({outcomes['lost']} races lost in the "
        f"UPDATE, {outcomes['late']} saw it taken), {presses / elapsed:6.0f} presses/s; "
        f"press p50 {cuts[49] * 1000:5.1f} ms, "
        f"p99 {cuts[98] * 1000:6.1f} ms; double claims: "
        f"{sum(1 for w in winners.values() if len(w) > 1)}"
    )
    return rate, problems


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="default: $BENCH_DATABASE_URL, else a temporary SQLite file",
    )
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--board", type=int, default=5, help="cards each person can see")
    parser.add_argument(
        "--connections", type=int, default=None, help="pool size (SQLite default 1, PG 10+10)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = normalise_url(args.database_url or f"sqlite:///{Path(tmp) / 'claims.db'}")
        backend = url.split(":", 1)[0]  # the driver the bot would use for this URL
        print(f"claim contention on {backend}, connections: {args.connections or 'default'}")
        for n in range(args.rounds):
            if not args.database_url:  # a fresh SQLite file each round
                url = normalise_url(f"sqlite:///{Path(tmp) / f'claims-{n}.db'}")
            rate, problems = await one_round(url, args, seed=n)
            rates.append(rate)
            if problems:
                print("FAILED:", *problems[:20], sep="\n  ", file=sys.stderr)
                return 1
    if args.rounds > 1:
        print(f"range over {args.rounds} rounds: {min(rates):.0f}-{max(rates):.0f} claims/s")
    print("no double claims")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
