"""A burst of call events over real HTTP: event → screen pop latency, and whether any is lost.

The helpline runs in this process as in production (the PTB application started, its
HTTP server on 127.0.0.1, the outbox dispatcher kicked after each event), against the
in-process fake Bot API (no network to Telegram, no rate limiter: PTB's AIORateLimiter
would hold pops to one chat at about one a second, which is Telegram's limit and not
the helpline's cost). SQLite in WAL mode in a temporary directory.

The load: ``--calls`` calls (default 350), at most ``--concurrent`` (200) going at the
same time, each posting its generic CTI events (Zammad's format) in order over HTTP:
newCall → answer → hangup for an answered call, newCall → hangup (cause cancel) for a
missed one; ``--missed`` (50) of them are missed, so 300 × 3 + 50 × 2 = 1,000 events.
Every caller has a number of their own; ``--takers`` (2) staff get every pop.

Measured, per event, from just before the POST to the moment the fake Bot API took the
message it caused: ringing → the last taker's pop (sendMessage); answer → the last pop
edited "Opgenomen door …" (editMessageText); hangup → the after-call message with the
buttons (answered) or the last pop edited "Gemist" (missed). Lost: any of those that
never came, and any call whose row, contact or callback request is missing.

Run: .venv/bin/python bench/bench_telephony.py [--calls 350] [--missed 50]
[--concurrent 200] [--takers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlmodel import func, select

from helpline.app import build_application, build_services
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram
from helpline.web.server import start_http_server, stop_http_server
from storage import repository as repo
from storage.migrate import upgrade
from storage.models import Contact, Request, Role
from storage.repository.telephony import set_phone_extension
from storage.telephony_models import PhoneCall

SECRET = "bench-telephony-secret-0123"
MONDAY_10 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # 10:00 in Heusden: the line is open
FORM = {"content-type": "application/x-www-form-urlencoded"}


def number(n: int) -> tuple[str, str]:
    """The n-th caller's number as typed by the exchange, and as a pop shows it."""
    digits = f"{12_000_000 + n:08d}"
    return f"06{digits}", f"06 {digits}"


class Arrivals:
    """When the fake Bot API took each pop, edit and after-call message (by caller number).

    Waiters get a future that is resolved at the moment the last expected message came,
    so 200 waiting calls cost nothing while they wait.
    """

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.waiting: dict[tuple[str, str], tuple[int, asyncio.Future[float]]] = {}

    def __call__(self, call: Any, answer: Any) -> None:
        now = time.perf_counter()
        text = str(call.params.get("text") or "")
        kind = None
        if call.method == "sendMessage" and "Inkomend gesprek" in text:
            kind = "pop"
        elif call.method == "sendMessage" and "afgelopen" in text:
            kind = "after_call"
        elif call.method == "editMessageText" and "Gemist" in text:
            kind = "missed"
        elif call.method == "editMessageText" and "Opgenomen" in text:
            kind = "answered"
        if kind is None:
            return
        shown = text.split(" — ")[1] if " — " in text else text.split("met ")[-1][:11]
        key = (kind, shown)
        self.seen[key].append(now)
        self._check(key)

    def _check(self, key: tuple[str, str]) -> None:
        count, future = self.waiting.get(key, (0, None))
        if future is not None and not future.done() and len(self.seen[key]) >= count:
            future.set_result(max(self.seen[key]))

    async def wait(self, kind: str, shown: str, count: int, limit: float) -> float:
        """When the ``count``-th message of this kind for this number came (NaN: never)."""
        key = (kind, shown)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = (count, future)
        self._check(key)
        try:
            return await asyncio.wait_for(future, limit)
        except TimeoutError:
            return float("nan")
        finally:
            self.waiting.pop(key, None)


async def post(port: int, path: str, body: bytes) -> int:
    """One webhook POST on a connection of its own, as most exchanges send them; the status.

    (A few lines of asyncio: an HTTP client library in this process would cost more CPU
    than the server it measures.)
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        return int((await reader.readline()).split()[1])
    finally:
        writer.close()


async def one_call(
    port: int, arrivals: Arrivals, n: int, missed: bool, args: argparse.Namespace
) -> list[tuple[str, float]]:
    """Posts one call's events in order; the latency of each (NaN: what it caused never came)."""
    typed, shown = number(n)
    base = f"from={typed}&to=0416123456&direction=in&callId=bench-{n}"
    steps = [(f"event=newCall&{base}", "pop", args.takers)]
    if missed:
        steps.append((f"event=hangup&{base}&cause=cancel", "missed", args.takers))
    else:
        ext = 201 + n % args.takers
        steps.append((f"event=answer&{base}&answeringNumber={ext}", "answered", args.takers))
        steps.append((f"event=hangup&{base}&cause=normalClearing", "after_call", 1))
    results = []
    for body, kind, count in steps:
        waiter = asyncio.ensure_future(arrivals.wait(kind, shown, count, args.timeout))
        start = time.perf_counter()
        try:
            status = await post(port, f"/telephony/cti/{SECRET}", body.encode())
        except (OSError, ValueError, IndexError) as exc:
            print(f"call {n}: {kind} not delivered: {type(exc).__name__}")
            status = 0
        if status != 200:
            waiter.cancel()
            results.append((kind, float("nan")))
            continue
        results.append((kind, await waiter - start))
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=350)
    parser.add_argument("--missed", type=int, default=50)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--takers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-telephony-"))
    started = time.perf_counter()
    settings = Settings(
        telegram_bot_token=None,
        HELPLINE_DATA_DIR=tmp,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        telephony_secret=SecretStr(SECRET),
        http_port=0,
    )
    offset = time.monotonic()
    services = build_services(
        settings, clock=lambda: MONDAY_10 + timedelta(seconds=time.monotonic() - offset)
    )
    settings.queue_chats = {q: -1009000000000 - i for i, q in enumerate(services.config.queues)}
    await upgrade(services.db)
    async with services.db.session() as session:
        for i in range(args.takers):
            staff = await repo.add_staff(
                session=session,
                telegram_user_id=5001 + i,
                name=f"Taker {i + 1}",
                role=Role.coordinator,
                queues=["coordinatie"],
            )
            assert staff.id is not None
            await set_phone_extension(session=session, staff_id=staff.id, extension=str(201 + i))
    telegram = FakeTelegram()
    arrivals = Arrivals()
    telegram.after_call = arrivals
    app = build_application(
        settings, request=FakeRequest(telegram), services=services, rate_limit=False
    )
    async with app:
        await app.start()
        server = await start_http_server(app)
        assert server is not None
        gate = asyncio.Semaphore(args.concurrent)

        async def gated(n: int) -> list[tuple[str, float]]:
            async with gate:
                return await one_call(server.port, arrivals, n, n < args.missed, args)

        burst = time.perf_counter()
        per_call = await asyncio.gather(*(gated(n) for n in range(args.calls)))
        elapsed = time.perf_counter() - burst
        await asyncio.sleep(0.5)  # let the last outbox kick finish before counting
        async with services.db.session() as session:
            rows = {
                "calls": await session.scalar(select(func.count()).select_from(PhoneCall)),
                "ended": await session.scalar(
                    select(func.count()).select_from(PhoneCall).where(PhoneCall.state == "ended")
                ),
                "missed": await session.scalar(
                    select(func.count()).select_from(PhoneCall).where(PhoneCall.state == "missed")
                ),
                "contacts": await session.scalar(select(func.count()).select_from(Contact)),
                "callbacks": await session.scalar(select(func.count()).select_from(Request)),
            }
        await stop_http_server(app)
        await app.stop()
    await services.db.dispose()
    report(args, per_call, rows, elapsed, time.perf_counter() - started)


def report(
    args: argparse.Namespace,
    per_call: list[list[tuple[str, float]]],
    rows: dict[str, Any],
    elapsed: float,
    total: float,
) -> None:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for results in per_call:
        for kind, seconds in results:
            by_kind[kind].append(seconds)
    events = sum(len(v) for v in by_kind.values())
    lost = sum(1 for v in by_kind.values() for s in v if s != s)
    answered = args.calls - args.missed
    expected = {
        "calls": args.calls,
        "ended": answered,
        "missed": args.missed,
        "contacts": answered,
        "callbacks": args.missed,
    }
    lost_rows = {k: expected[k] - int(rows[k] or 0) for k in expected if rows[k] != expected[k]}
    print(f"load: {os.getloadavg()[0]:.2f} (1-min), {os.cpu_count()} CPUs")
    print(
        f"{events} events of {args.calls} calls ({args.missed} missed), at most "
        f"{args.concurrent} calls at once, {args.takers} takers: {elapsed:.2f} s "
        f"({events / elapsed:.0f} events/s); run {total:.1f} s"
    )
    every = [s for v in by_kind.values() for s in v if s == s]
    for kind, values in [("all events", every), *sorted(by_kind.items())]:
        ok = [s * 1000 for s in values if s == s]
        if ok:
            print(
                f"  {kind:11} n={len(values):4}  p50 {statistics.median(ok):7.1f} ms  "
                f"p99 {percentile(ok, 99):7.1f} ms  max {max(ok):7.1f} ms"
            )
    print(f"lost events: {lost}; rows {rows}; missing rows: {lost_rows or 'none'}")


if __name__ == "__main__":
    asyncio.run(main())
