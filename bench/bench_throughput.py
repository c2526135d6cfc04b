"""Throughput of the helpline against a bare python-telegram-bot app, on the same update stream.

(a) bare PTB: echoes every message or button press and writes one row to SQLite per update;
(b) the helpline: 200 residents doing full intakes concurrently, while 20 staff claim the
    cards as they arrive in the queue group (two staff press every card, one wins).

Fairness (what both apps share):
- the same in-process fake Bot API (``helpline.testing.FakeRequest``), a fresh one each;
- the same updates: the bare app is fed the exact raw updates the helpline got, in the
  same closed loops (a resident sends the next update once the previous one is handled);
- the same concurrency limit: 64 updates at once through the app's update processor
  (the helpline's per-chat ordered ``PerChatUpdateProcessor(64)``; PTB's own
  ``SimpleUpdateProcessor(64)`` for the bare app — per-chat ordering is helpline cost);
- no rate limiter on either (PTB's ``AIORateLimiter`` would sleep to honour Telegram's
  20 messages a minute per group: 200 cards to one group take 10 minutes);
- SQLite in WAL mode with ``synchronous=NORMAL`` and one connection for both.

The helpline's outbox dispatcher (the 200 queue cards) runs as in production — kicked
after each commit, in the same event loop — and its work is counted: the clock stops
when every card is delivered and claimed.

Latency: "handler" is the time inside ``Application.process_update`` (after the
processor let the update in); "response" adds the wait for a processor slot and for
earlier updates of the same chat.

Human pace: a last pass lets every resident pause before each step (``--pace`` seconds on
average, exponential, seeded), and replays those arrivals to the bare app: the latency
at that load rather than at saturation.

Background load: ``--burn N`` keeps N CPU-bound processes busy beside the bot for the whole
run (the machine a help line shares with other work), and the load average is printed
before and after.

Run: .venv/bin/python bench/bench_throughput.py [--residents 200] [--rounds 3] [--pace 2]
[--profile FILE] [--burn 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as ptb_filters

from helpline.app import build_application, build_services, freeze_startup_objects
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from helpline.testing.sql_trace import trace_statements
from storage import repository as repo
from storage.migrate import upgrade
from storage.models import Role

QUESTION = "Ik krijg steeds brieven van de belasting en snap het formulier niet"
QUEUE = "wijkteam_drunen"  # where a Drunen resident's forms question is routed
CONCURRENCY = 64
# A Monday morning within opening hours: no out-of-hours reply, no escalation is due.
START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
IN_DISPATCHER: contextvars.ContextVar[bool] = contextvars.ContextVar("dispatcher", default=False)

Raw = dict[str, Any]


@dataclass
class Meter:
    """What one run measured."""

    handler: list[float] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # what each handler sample was
    response: list[float] = field(default_factory=list)
    errors: int = 0
    statements: int = 0  # SQL statements from handlers (BEGIN not counted)
    commits: int = 0  # transactions committed by handlers
    dispatcher_statements: int = 0
    dispatcher_commits: int = 0
    elapsed: float = 0.0
    started: float = 0.0  # perf_counter at the start of the run
    offsets: dict[int, float] = field(default_factory=dict)  # update_id -> when it was fed
    cpu: float = 0.0  # process CPU time (all threads) during the run
    api_calls: int = 0


def intake_stream(telegram: FakeTelegram, user: FakeUser) -> list[Raw]:
    """The updates of one full resident intake (text, presses, shared contact)."""
    shown = {
        "message_id": 1,
        "date": 0,
        "chat": {"id": user.id, "type": "private"},
        "from": telegram.bot,
        "text": ".",
    }

    def press(data: str) -> Raw:
        return telegram.press(user, shown, data, queue=False)

    return [
        telegram.text(user, "/start", queue=False),
        press("in:consent:yes"),
        telegram.text(user, QUESTION, queue=False),
        press("in:cat:yes"),
        press("in:vil:drunen"),
        telegram.contact(user, "+31612345678", queue=False),
        press("in:time:morning"),
        press("in:sum:send"),
    ]


def step_of(raw: Raw) -> str:
    """The intake step (or claim) an update is: the per-step latency table's rows."""
    if "callback_query" in raw:
        data = str(raw["callback_query"]["data"])
        return "claim" if data.startswith("req:claim:") else data
    message = raw["message"]
    if "contact" in message:
        return "contact"
    return "/start" if message.get("text") == "/start" else "question"


def by_step(meter: Meter) -> str:
    """p50/p99 per step, slowest p99 first."""
    samples: dict[str, list[float]] = {}
    for step, seconds in zip(meter.steps, meter.handler, strict=True):
        samples.setdefault(step, []).append(seconds)
    rows = sorted(samples.items(), key=lambda item: -ms(item[1], 99))
    return "; ".join(f"{step} {ms(v, 50):.1f}/{ms(v, 99):.1f}" for step, v in rows)


def first_and_second(meter: Meter) -> str:
    """The first and the second update of each kind after the start, in ms: a cold
    statement cache (SQLAlchemy compiling on first use) shows as a slow first one."""
    seen: dict[str, list[float]] = {}
    for step, seconds in zip(meter.steps, meter.handler, strict=True):
        seen.setdefault(step, []).append(seconds * 1000)
    return "; ".join(f"{step} {v[0]:.1f}/{v[1]:.1f}" for step, v in seen.items() if len(v) > 1)


async def feed(app: Application[Any, Any, Any, Any, Any, Any], raw: Raw, meter: Meter) -> None:
    """Hands one update to the app's update processor, as PTB's update fetcher does."""
    update = Update.de_json(raw, app.bot)
    submitted = time.perf_counter()
    meter.offsets[raw["update_id"]] = submitted - meter.started

    async def timed() -> None:
        started = time.perf_counter()
        await app.process_update(update)
        meter.handler.append(time.perf_counter() - started)
        meter.steps.append(step_of(raw))

    await app.update_processor.process_update(update, timed())
    meter.response.append(time.perf_counter() - submitted)


async def closed_loop(
    app: Application[Any, Any, Any, Any, Any, Any],
    stream: list[Raw],
    meter: Meter,
    think: list[float] | None = None,
) -> None:
    """One person: the next update once the previous one has been handled (and, at human
    pace, once they have read it and thought for ``think[n]`` seconds)."""
    for n, raw in enumerate(stream):
        if think:
            await asyncio.sleep(think[n])
        await feed(app, raw, meter)


def think_times(people: int, steps: int, mean: float) -> list[list[float]]:
    """Seeded exponential pauses before each step: the same for every run and both apps."""
    rng = random.Random(8)
    return [[rng.expovariate(1 / mean) for _ in range(steps)] for _ in range(people)]


async def replay(
    app: Application[Any, Any, Any, Any, Any, Any],
    streams: list[list[Raw]],
    at: dict[int, float],
    meter: Meter,
) -> None:
    """Feeds each stream's updates at the moments the helpline got them (open loop), in
    order within a stream: the bare app gets the paced run's exact arrival pattern."""

    async def one(stream: list[Raw]) -> None:
        for raw in stream:
            delay = meter.started + at[raw["update_id"]] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await feed(app, raw, meter)

    await asyncio.gather(*(one(stream) for stream in streams if stream))


async def count_statements(db: Any, meter: Meter) -> None:
    """Counts SQL statements and commits, apart for handlers and the dispatcher."""

    def _statement(statement: str) -> None:
        if statement.startswith(("BEGIN", "ROLLBACK")):
            return
        dispatcher = IN_DISPATCHER.get()
        if statement == "COMMIT":
            if dispatcher:
                meter.dispatcher_commits += 1
            else:
                meter.commits += 1
        elif dispatcher:
            meter.dispatcher_statements += 1
        else:
            meter.statements += 1

    await trace_statements(db, _statement)


def card_sink(
    telegram: FakeTelegram, group: int, cards: asyncio.Queue[Raw | None], expected: int
) -> asyncio.Event:
    """Puts every queue card the bot posts into ``cards`` (staff see it appear).

    Returns:
        An event set once ``expected`` cards were posted.
    """
    all_posted = asyncio.Event()
    posted = 0

    def after_call(call: Any, answer: Any) -> None:
        nonlocal posted
        status, body = answer
        if call.method == "sendMessage" and status == 200 and body["result"]["chat"]["id"] == group:
            cards.put_nowait(body["result"])
            posted += 1
            if posted >= expected:
                all_posted.set()

    telegram.after_call = after_call
    return all_posted


def claim_data(card: Raw) -> str:
    """The callback data of the card's Claim button."""
    for row in card["reply_markup"]["inline_keyboard"]:
        for button in row:
            if str(button.get("callback_data", "")).startswith("req:claim:"):
                return str(button["callback_data"])
    raise AssertionError("a queue card without a claim button")


async def people(
    app: Application[Any, Any, Any, Any, Any, Any],
    streams: list[list[Raw]],
    meter: Meter,
    sequential: bool,
    think: list[list[float]] | None = None,
) -> None:
    """Everyone at once, or (``sequential``) one person after another."""
    if sequential:
        for stream in streams:
            await closed_loop(app, stream, meter)
    else:
        pauses = think or [[] for _ in streams]
        await asyncio.gather(
            *(closed_loop(app, s, meter, t) for s, t in zip(streams, pauses, strict=True))
        )


async def helpline_run(
    tmp: Path,
    residents: int,
    staff_count: int,
    profile: Path | None,
    sequential: bool = False,
    pace: float = 0.0,
) -> tuple[Meter, list[list[Raw]], list[list[Raw]]]:
    """The helpline app; returns the meter and the streams it got (for the bare app).

    ``pace``: residents think this many seconds on average before each step (0: none).
    """
    telegram = FakeTelegram()
    base = time.perf_counter()

    def clock() -> datetime:
        return START + timedelta(seconds=time.perf_counter() - base)

    settings = Settings(
        telegram_bot_token=None,
        database_url=f"sqlite:///{tmp / 'helpline.db'}",
        HELPLINE_DATA_DIR=tmp,
    )
    services = build_services(settings, clock=clock)
    settings.queue_chats = {q: -100_000 - n for n, q in enumerate(services.config.queues)}
    group = settings.queue_chats[QUEUE]
    await upgrade(services.db)
    staff = [FakeUser(id=90_000 + n, first_name=f"S{n}") for n in range(staff_count)]
    async with services.db.session() as session:
        for member in staff:
            await repo.add_staff(
                session=session,
                telegram_user_id=member.id,
                name=member.first_name,
                role=Role.staff,
                queues=[QUEUE],
            )
    # The statement warm-up meant for the bot's start-up (an older tree has none).
    if hasattr(services.db, "warm_up"):
        await services.db.warm_up()
    app = build_application(
        settings, request=FakeRequest(telegram), services=services, rate_limit=False
    )
    meter = Meter()
    await count_statements(services.db, meter)
    dispatcher = services.dispatcher
    run_once = dispatcher.run_once

    async def counted_run_once(bot: Any, **kwargs: Any) -> int:
        IN_DISPATCHER.set(True)  # this task's context only
        return await run_once(bot, **kwargs)

    dispatcher.run_once = counted_run_once  # type: ignore[method-assign]

    async def count_error(update: object, context: Any) -> None:
        meter.errors += 1

    app.add_error_handler(count_error)
    users = [FakeUser(id=10_000 + n, first_name=f"R{n}") for n in range(residents)]
    intakes = [intake_stream(telegram, u) for u in users]
    cards: asyncio.Queue[Raw | None] = asyncio.Queue()
    all_posted = card_sink(telegram, group, cards, residents)
    claims: list[list[Raw]] = [[] for _ in staff]

    async def staff_member(n: int) -> None:
        """Takes the next card off the group, and presses Claim together with a colleague."""
        colleague = (n + 1) % len(staff)
        while (card := await cards.get()) is not None:
            data = claim_data(card)
            pair = [
                telegram.press(staff[n], card, data, queue=False),
                telegram.press(staff[colleague], card, data, queue=False),
            ]
            claims[n].extend(pair)
            await asyncio.gather(*(feed(app, raw, meter) for raw in pair))

    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
    async with app:
        await app.start()
        freeze_startup_objects()  # as `helpline run` does
        if profiler:
            profiler.start()
        started, cpu = time.perf_counter(), time.process_time()
        meter.started = started
        workers = [asyncio.create_task(staff_member(n)) for n in range(len(staff))]
        think = think_times(residents, len(intakes[0]), pace) if pace else None
        await people(app, intakes, meter, sequential, think)
        await asyncio.wait_for(all_posted.wait(), timeout=120)  # the last cards are on their way
        for _ in workers:
            cards.put_nowait(None)
        await asyncio.gather(*workers)
        meter.elapsed, meter.cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler:
            profiler.stop()
        await app.stop()
    await services.db.dispose()
    if profiler and profile:
        output = profiler.output_text(unicode=True, color=False, show_all=False)
        await asyncio.to_thread(profile.write_text, output)
    claimed = [m for m in telegram.sent(group) if not m.get("reply_markup")]
    assert len(telegram.sent(group)) == residents, "one card per intake"
    assert len(claimed) == residents, f"{len(claimed)} of {residents} cards claimed"
    meter.api_calls = len(telegram.calls)
    return meter, intakes, claims


async def bare_run(
    tmp: Path,
    intakes: list[list[Raw]],
    claims: list[list[Raw]],
    sequential: bool = False,
    at: dict[int, float] | None = None,
) -> Meter:
    """Bare PTB: echo and one SQLite row per update, on the helpline's exact updates.

    ``at``: replay every update at the moment the (paced) helpline run got it.
    """
    telegram = FakeTelegram()
    db = await aiosqlite.connect(tmp / "bare.db")
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("CREATE TABLE log (update_id INTEGER, chat_id INTEGER, at TEXT)")
    await db.commit()
    lock = asyncio.Lock()  # one connection, one transaction at a time (as the helpline)
    meter = Meter()

    async def echo(update: Update, context: Any) -> None:
        chat_id = update.effective_chat.id if update.effective_chat else 0
        async with lock:
            await db.execute(
                "INSERT INTO log VALUES (?, ?, ?)",
                (update.update_id, chat_id, datetime.now(UTC).isoformat()),
            )
            await db.commit()
        if update.callback_query:
            await update.callback_query.answer()
        await context.bot.send_message(chat_id, "ok")

    async def count_error(update: object, context: Any) -> None:
        meter.errors += 1

    app = (
        ApplicationBuilder()
        .token(telegram.token)
        .request(FakeRequest(telegram))
        .concurrent_updates(CONCURRENCY)
        .build()
    )
    app.add_handler(CallbackQueryHandler(echo))
    app.add_handler(MessageHandler(ptb_filters.ALL, echo))
    app.add_error_handler(count_error)

    async def pairs(stream: list[Raw]) -> None:
        for n in range(0, len(stream), 2):
            await asyncio.gather(*(feed(app, raw, meter) for raw in stream[n : n + 2]))

    async with app:
        await app.start()
        freeze_startup_objects()  # as the helpline: neither scans what was built before
        started, cpu = time.perf_counter(), time.process_time()
        meter.started = started
        if at is not None:
            pairs_of_claims = [s[n : n + 2] for s in claims for n in range(0, len(s), 2)]
            await replay(app, intakes + pairs_of_claims, at, meter)
        elif sequential:
            await people(app, intakes, meter, sequential)
            for stream in claims:
                await pairs(stream)
        else:
            await asyncio.gather(
                *(closed_loop(app, s, meter) for s in intakes), *(pairs(s) for s in claims)
            )
        meter.elapsed, meter.cpu = time.perf_counter() - started, time.process_time() - cpu
        await app.stop()
    await db.close()
    meter.api_calls = len(telegram.calls)
    return meter


def ms(values: list[float], q: int) -> float:
    """The q-th percentile in milliseconds."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def report(name: str, meter: Meter) -> float:
    """Prints one app's figures; returns its updates/s."""
    updates = len(meter.handler)
    rate = updates / meter.elapsed
    print(
        f"  {name:9s} {updates} updates in {meter.elapsed:5.2f} s = {rate:6.0f} updates/s "
        f"(CPU {meter.cpu / updates * 1000:.2f} ms/update); "
        f"handler p50 {ms(meter.handler, 50):5.2f} ms p99 {ms(meter.handler, 99):6.2f} ms; "
        f"response p50 {ms(meter.response, 50):6.2f} ms p99 {ms(meter.response, 99):6.2f} ms; "
        f"{meter.api_calls} Bot API calls; errors {meter.errors}"
    )
    return rate


async def one_round(args: argparse.Namespace, profile: Path | None) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        helpline, intakes, claims = await helpline_run(
            Path(tmp), args.residents, args.staff, profile
        )
        bare = await bare_run(Path(tmp), intakes, claims)
    a, b = report("bare PTB", bare), report("helpline", helpline)
    updates = len(helpline.handler)
    print(
        f"  helpline SQL per update: {helpline.statements / updates:.2f} statements, "
        f"{helpline.commits / updates:.2f} transactions; dispatcher per card: "
        f"{helpline.dispatcher_statements / args.residents:.2f} statements, "
        f"{helpline.dispatcher_commits / args.residents:.2f} transactions"
    )
    print(f"  ratio helpline/bare = {b / a:.2f} (target >= 0.6)")
    assert bare.errors == 0 and helpline.errors == 0, "a handler raised"
    return b / a, ms(helpline.handler, 99), ms(helpline.handler, 50)


async def paced_pass(args: argparse.Namespace) -> None:
    """The same residents at human pace: latency at that load, not at saturation.

    The rounds above are a closed loop, where every update waits for all the others in
    flight (Little's law: 64 in flight at N updates/s is 64/N s each, for either app).
    Here each resident reads the reply and takes an exponential pause (mean ``--pace``
    seconds) before the next step; the bare app gets the same arrivals (open loop).
    """
    print(
        f"human pace ({args.residents} residents at once, a mean pause of {args.pace:g} s "
        "before each step; the same arrivals for both apps):"
    )
    with tempfile.TemporaryDirectory() as tmp:
        helpline, intakes, claims = await helpline_run(
            Path(tmp), args.residents, args.staff, None, pace=args.pace
        )
        bare = await bare_run(Path(tmp), intakes, claims, at=helpline.offsets)
    report("bare PTB", bare)
    report("helpline", helpline)
    print(f"  helpline per step, p50/p99 ms: {by_step(helpline)}")
    assert bare.errors == 0 and helpline.errors == 0, "a handler raised"


def _burn() -> None:
    """Spins one CPU until killed."""
    n = 0
    while True:
        n = (n * 31 + 7) % 1_000_003


@contextlib.contextmanager
def burning(processes: int) -> Iterator[None]:
    """``processes`` CPU-bound processes running beside the benchmark while inside."""
    import multiprocessing

    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(processes)]
    for burner in burners:
        burner.start()
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.join()


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages and its CPU count."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="repeat; prints the range")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of round 1")
    parser.add_argument(
        "--pace",
        type=float,
        default=2.0,
        help="mean seconds a resident takes before each step in the human-pace pass (0: skip)",
    )
    parser.add_argument(
        "--burn", type=int, default=0, help="CPU-bound processes to run beside the bot"
    )
    args = parser.parse_args()
    print(f"load average before: {load_average()}; background processes: {args.burn}")
    with burning(args.burn):
        await measure(args)
    print(f"load average after: {load_average()}")


async def measure(args: argparse.Namespace) -> None:
    """The unloaded pass, the saturated rounds and the human-pace pass."""
    print(f"Python {platform.python_version()} on {platform.machine()}, {sys.platform}")
    # Warm-up (imports, the classifier's first lookups, SQLAlchemy's statement cache), and
    # the latency of an update with nobody else waiting: 20 residents one after another.
    print("unloaded (20 residents one after another, 2 staff; not counted in the ratio):")
    with tempfile.TemporaryDirectory() as tmp:
        alone, intakes, claims = await helpline_run(Path(tmp), 20, 2, None, sequential=True)
        report("bare PTB", await bare_run(Path(tmp), intakes, claims, sequential=True))
        report("helpline", alone)
        print(
            f"  helpline first/second update of each kind after the start, ms: "
            f"{first_and_second(alone)}"
        )
    results = []
    for n in range(args.rounds):
        print(f"round {n + 1}:")
        results.append(await one_round(args, args.profile if n == 0 else None))
    if args.pace:
        await paced_pass(args)
    if args.rounds > 1:
        ratios, p99s, p50s = zip(*results, strict=True)
        print(
            f"range over {args.rounds} rounds: ratio {min(ratios):.2f}-{max(ratios):.2f}, "
            f"helpline handler p50 {min(p50s):.2f}-{max(p50s):.2f} ms, "
            f"p99 {min(p99s):.2f}-{max(p99s):.2f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
