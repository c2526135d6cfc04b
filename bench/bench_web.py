"""The coordinator web page under load: live queue pages beside residents doing intakes.

The helpline runs in this process as in production: the PTB application started (its
outbox dispatcher kicked after each commit), its HTTP server on 127.0.0.1 serving the web
page, the in-process fake Bot API for Telegram, SQLite in WAL mode in a temporary
folder. ``--pages`` staff members (20) log in with the bot's one-time link and keep the
live queue page open: each asks for ``/web/queues/live`` every second over real HTTP,
sending back the version it has (as ``static/live.js`` does). The pages run in a child
process, as browsers run on other computers, and each was opened at its own moment, so
they do not poll in step; ``--inline-pages`` runs them on the bot's own event loop
instead (their HTTP client's work then counts against the residents too). Meanwhile
``--residents`` (200) residents do full intakes at human pace (exponential pauses of
``--pace`` seconds on average before each step, seeded), each step fed to the
application in-process and its outbox delivered by the dispatcher's kick, as the bot
does after an update.

Measured:
- page update: from the moment a resident's submit was handled to the moment a page
  showed its request (per page and request); p50/p99/max, and how many never showed;
- the residents' step latency (feed → handled), once with the pages polling and once
  in a pass without them, same seed: the difference is what the page costs residents;
  with the bot's process CPU time of each pass.
  ``--rounds`` repeats the pair (without, with), alternating, for a machine whose speed
  drifts.

Run: .venv/bin/python bench/bench_web.py [--pages 20] [--residents 200] [--pace 2]
[--rounds 1] [--inline-pages]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlmodel import select
from telegram import Update

from helpline.app import build_application, build_services
from helpline.scripted import ScriptedChat
from helpline.settings import Settings
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from helpline.web.server import start_http_server, stop_http_server
from storage import repository as repo
from storage.migrate import upgrade
from storage.models import Request, Resident, Role

LINK = re.compile(r"/web/login/([A-Za-z0-9_.\-]+)")
QUESTION = "Ik krijg steeds brieven van de belasting en ik snap het formulier niet"
STEPS = 8


def ms(values: list[float], q: float) -> float:
    """The q-quantile (0..1) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def clock() -> float:
    """A monotonic clock the bot's process and the pages' process share."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class ResidentChat(ScriptedChat):
    """A resident whose updates are handled as in production: the update alone, its
    outbox rows delivered by the dispatcher's kick after the commit. (``ScriptedChat``
    also runs the dispatcher's regular tick, with escalations and reminders, after every
    step, which tests need but the bot does not do.)"""

    async def feed(self, raw: dict[str, Any]) -> None:
        """Processes one raw update."""
        await self.app.process_update(Update.de_json(raw, self.app.bot))


async def intake(chat: ScriptedChat, pauses: list[float], steps: list[float]) -> float:
    """One resident's intake at human pace; returns when its submit was handled."""
    actions = [
        lambda: chat.say("/start"),
        lambda: chat.press("akkoord"),
        lambda: chat.say(QUESTION),
        lambda: chat.press("Ja"),
        lambda: chat.press("Drunen"),
        lambda: chat.say("💬 Alleen via de chat"),
        lambda: chat.press("Ochtend"),
        lambda: chat.press("Versturen"),
    ]
    for pause, action in zip(pauses, actions, strict=True):
        await asyncio.sleep(pause)
        start = time.perf_counter()
        await action()
        steps.append(time.perf_counter() - start)
    return clock()


async def poll(
    client: httpx.AsyncClient,
    seen: dict[str, float],
    stop: asyncio.Event,
    failures: list[int],
    offset: float,
) -> None:
    """One open queue page, opened ``offset`` seconds late: the live fragment every
    second; when each reference showed."""
    version = ""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), offset)
    while not stop.is_set():
        try:
            answer = await client.get("/web/queues/live", headers={"x-version": version})
        except httpx.HTTPError:
            failures.append(1)
        else:
            if answer.status_code == 200:
                version = answer.headers.get("x-version", "")
                now = clock()
                for reference in re.findall(r"HH-\d{4}-\d{5}", answer.text):
                    seen.setdefault(reference, now)
            elif answer.status_code != 204:
                failures.append(answer.status_code)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


class Pages:
    """Open live queue pages, logged in with one-time links, and what they saw."""

    def __init__(self, base: str, tokens: list[str], seed: int) -> None:
        self.base, self.tokens = base, tokens
        self.offsets = [random.Random(seed + n).random() for n in range(len(tokens))]
        self.seen: list[dict[str, float]] = [{} for _ in tokens]
        self.failures: list[int] = []

    async def run(self, stop: asyncio.Event, ready: Callable[[], None]) -> None:
        """Logs every page in, calls ``ready``, polls until ``stop``."""
        clients = []
        for token in self.tokens:
            client = httpx.AsyncClient(base_url=self.base, timeout=30)
            answer = await client.post("/web/login", data={"token": token})
            assert answer.status_code == 303, answer.text
            clients.append(client)
        ready()
        await asyncio.gather(
            *(
                poll(client, seen, stop, self.failures, offset)
                for client, seen, offset in zip(clients, self.seen, self.offsets, strict=True)
            )
        )
        for client in clients:
            await client.aclose()


def pages_process(pages: Pages, ready: Any, stop: Any, results: Any) -> None:
    """The pages in a process of their own (``multiprocessing``): results on ``results``."""

    async def serve() -> None:
        halt = asyncio.Event()

        async def watch() -> None:
            await asyncio.to_thread(stop.wait)
            halt.set()

        watcher = asyncio.create_task(watch())
        await pages.run(halt, ready.set)
        await watcher

    asyncio.run(serve())
    results.put((pages.seen, len(pages.failures)))


async def one_pass(args: argparse.Namespace, pages: int) -> dict[str, object]:
    """Residents doing intakes, with ``pages`` live queue pages open (0: none)."""
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        settings = Settings(
            telegram_bot_token=None,
            HELPLINE_DATA_DIR=Path(tmp),
            database_url=None,
            queue_chats={},
            web_secret=SecretStr("bench-web-secret-0123456789abcdef"),
            http_port=0,
        )
        services = build_services(settings)
        settings.queue_chats = {q: -1005000000000 - n for n, q in enumerate(services.config.queues)}
        await upgrade(services.db)
        telegram = FakeTelegram()
        app = build_application(
            settings, request=FakeRequest(telegram), services=services, rate_limit=False
        )
        async with app:
            await app.start()
            server = await start_http_server(app)
            assert server is not None
            base = f"http://127.0.0.1:{server.port}"
            settings.web_base_url = base
            tokens = []
            for n in range(pages):
                user = FakeUser(id=7000 + n, first_name=f"Staf{n}")
                async with services.db.session() as session:
                    await repo.add_staff(
                        session=session,
                        telegram_user_id=user.id,
                        name=user.first_name,
                        role=Role.staff,
                        queues=["wijkteam_drunen"],
                    )
                staff = ScriptedChat(app, telegram, user)
                await staff.say("/inloggen")
                token = LINK.search(staff.last_text())
                assert token, staff.last_text()
                tokens.append(token.group(1))
            browsers = Pages(base, tokens, args.seed)
            halt = asyncio.Event()
            if pages and args.inline_pages:
                opened = asyncio.Event()
                pollers = asyncio.create_task(browsers.run(halt, opened.set))
                await opened.wait()
            elif pages:
                spawn = multiprocessing.get_context("spawn")
                ready, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
                child = spawn.Process(target=pages_process, args=(browsers, ready, stop, results))
                child.start()
                assert await asyncio.to_thread(ready.wait, 120), "the pages did not log in"
            rnd = random.Random(args.seed)
            steps: list[float] = []
            residents = [
                ResidentChat(app, telegram, FakeUser(id=40000 + n, first_name=f"Bewoner{n}"))
                for n in range(args.residents)
            ]
            pauses = [[rnd.expovariate(1 / args.pace) for _ in range(STEPS)] for _ in residents]
            started, cpu_started = time.perf_counter(), time.process_time()
            done = await asyncio.gather(
                *(intake(r, p, steps) for r, p in zip(residents, pauses, strict=True))
            )
            wall = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            submitted = {}
            async with services.db.session() as session:
                rows = await session.execute(
                    select(Request.reference, Resident.first_name).join(
                        Resident,
                        Resident.id == Request.resident_id,  # type: ignore[arg-type]
                    )
                )
                for reference, first_name in rows:
                    submitted[reference] = done[int(str(first_name).removeprefix("Bewoner"))]
            await asyncio.sleep(3.0 if pages else 0)  # the last requests' page updates
            seen_by_page, failures = browsers.seen, len(browsers.failures)
            if pages and args.inline_pages:
                halt.set()
                await pollers
                failures = len(browsers.failures)
            elif pages:
                stop.set()
                seen_by_page, failures = await asyncio.to_thread(results.get, True, 120)
                await asyncio.to_thread(child.join, 60)
            updates = [
                seen[ref] - at
                for seen in seen_by_page
                for ref, at in submitted.items()
                if ref in seen
            ]
            missing = sum(ref not in seen for seen in seen_by_page for ref in submitted)
            await stop_http_server(app)
            await app.stop()
    return {
        "wall": wall,
        "cpu": cpu,
        "requests": len(submitted),
        "steps": steps,
        "updates": [max(u, 0.0) for u in updates],
        "missing": missing,
        "failures": failures,
    }


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<14} n={len(values):>5}  p50 {ms(values, 0.5):8.1f} ms  "
        f"p99 {ms(values, 0.99):8.1f} ms  max {ms(values, 1.0):8.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--pace", type=float, default=2.0, help="mean pause before a step (s)")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--rounds", type=int, default=1, help="pairs of passes, alternating")
    parser.add_argument("--inline-pages", action="store_true", help="poll on the bot's loop")
    args = parser.parse_args()
    where = "on the bot's event loop" if args.inline_pages else "in a child process"
    print(f"{args.residents} residents at human pace (mean pause {args.pace} s), seed {args.seed}")
    print(f"{args.pages} live queue pages {where}, opened at spread moments")
    p99s: dict[str, list[float]] = {"without": [], "with": []}
    for round_ in range(1, args.rounds + 1):
        load = os.getloadavg()
        print(f"round {round_}, load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        quiet = await one_pass(args, 0)
        busy = await one_pass(args, args.pages)
        print(
            f"  without pages: {quiet['requests']} requests in {quiet['wall']:.1f} s,"
            f" the bot's process {quiet['cpu']:.1f} s CPU"
        )
        print(line("    resident step", quiet["steps"]))  # type: ignore[arg-type]
        print(
            f"  with pages: {busy['requests']} requests in {busy['wall']:.1f} s,"
            f" the bot's process {busy['cpu']:.1f} s CPU"
        )
        print(line("    resident step", busy["steps"]))  # type: ignore[arg-type]
        print(line("    page update", busy["updates"]))  # type: ignore[arg-type]
        print(f"    page updates never shown: {busy['missing']}; failed polls: {busy['failures']}")
        p99s["without"].append(ms(quiet["steps"], 0.99))  # type: ignore[arg-type]
        p99s["with"].append(ms(busy["steps"], 0.99))  # type: ignore[arg-type]
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs")
    for name, values in p99s.items():
        rounds = ", ".join(f"{value:.1f}" for value in values)
        print(f"resident step p99 {name} pages, per round: {rounds} ms")


if __name__ == "__main__":
    asyncio.run(main())
