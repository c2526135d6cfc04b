"""Benchmark of the follow-up call reminders: 100,000 pending calls, a burst of 1,000.

Run: ``.venv/bin/python bench/bench_calls.py [--pending N] [--burst N]``.

1. A child process fills a migrated SQLite database: 100,000 scheduled calls over the
   next 90 days (each with a lead and a due reminder: 200,000 pending reminder rows),
   and a burst of 1,000 calls all due at the same second T0, for 500 assignees (two
   reminders land in each private chat).
2. This process builds the real application (``build_application``) around the fake
   Bot API, starts it (post_init, job queue) and runs the first dispatcher tick — the
   catch-up pass over everything pending. That is the *start-up* figure.
3. At T0 the dispatcher (its wake-up at the next due time, else its 2 s tick) takes the
   burst. Each sendMessage is time-stamped when the fake Bot API accepts it;
   *lateness* is that moment minus T0.

Rate limits. Telegram allows ~30 messages/s overall and ~1 message/s per chat, so
1,000 messages cannot all arrive within 2 s: the last one is at least 33 s "late" by
Telegram's rule alone. The burst is therefore run twice:
- without the rate limiter (the fake has no limits): the lateness is the bot's own —
  taking the rows, wording the reminders, the outbox, the sends;
- with PTB's AIORateLimiter and the dispatcher's per-chat gap (production settings):
  for the k-th message overall, which is the j-th in its chat, Telegram's earliest
  possible moment is ``max(k / 30, j × 1 s)`` after T0; lateness *beyond the rate
  limits* is the measured lateness minus that earliest moment.
Not a test: it takes about two minutes. Prints the figures and writes them to
``bench/RESULTS-calls.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpline.app import build_application, build_services  # noqa: E402
from helpline.settings import Settings  # noqa: E402
from helpline.testing import FakeRequest, FakeTelegram  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS-calls.md"
ASSIGNEES = 500
RESIDENTS = 5_000
OVERALL_RATE = 30.0  # messages per second, Telegram's overall limit
LEAD_START = 75.0  # seconds to T0: start-up and its look-ahead (60 s) come first


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def generate(path: str, pending: int, burst: int, t0: datetime) -> None:
    """Fills the database (run in a child process, so its memory is not counted)."""
    now = datetime.now(UTC)
    con = sqlite3.connect(path)
    created = _stamp(now)
    con.executemany(
        "INSERT INTO staff (id, telegram_user_id, name, role, active, created_at) "
        "VALUES (?, ?, ?, 'volunteer', 1, ?)",
        [(n, 8_000_000 + n, f"Belmaatje {n}", created) for n in range(1, ASSIGNEES + 1)],
    )
    con.executemany(
        "INSERT INTO resident (id, telegram_user_id, chat_id, first_name, phone, language, "
        "created_at, call_reminders) VALUES (?, ?, ?, ?, ?, 'nl', ?, 0)",
        [
            (n, 9_000_000 + n, 9_000_000 + n, f"Inwoner{n}", f"+3161{n:07d}", created)
            for n in range(1, RESIDENTS + 1)
        ],
    )
    con.executemany(
        "INSERT INTO request (id, reference, resident_id, channel, kind, category, urgency, "
        "queue, summary, contact_preference, language, status, new_or_known, claimed_by, "
        "created_at) VALUES (?, ?, ?, 'telegram', 'hulpvraag', 'eenzaamheid', 'normal', "
        "'belmaatjes', 'Graag af en toe een praatje', 'phone', 'nl', 'claimed', 'nieuw', ?, ?)",
        [(n, f"HH-2026-{n:05d}", n, (n % ASSIGNEES) + 1, created) for n in range(1, RESIDENTS + 1)],
    )
    calls, reminders = [], []
    for n in range(1, pending + 1):
        due = now + timedelta(hours=1) + timedelta(seconds=(n * 77_761) % (90 * 86_400))
        calls.append((n, (n % RESIDENTS) + 1, (n % ASSIGNEES) + 1, _stamp(due)))
        reminders.append((n, "lead", _stamp(due - timedelta(minutes=30))))
        reminders.append((n, "due", _stamp(due)))
    for n in range(pending + 1, pending + burst + 1):
        calls.append((n, (n % RESIDENTS) + 1, (n % ASSIGNEES) + 1, _stamp(t0)))
        reminders.append((n, "due", _stamp(t0)))
    con.executemany(
        "INSERT INTO scheduled_call (id, request_id, assignee_id, due_at, attempt, status, "
        "notify_resident, created_at) VALUES (?, ?, ?, ?, 0, 'scheduled', 0, '" + created + "')",
        calls,
    )
    con.executemany(
        "INSERT INTO call_reminder (call_id, kind, due_at, status) VALUES (?, ?, ?, 'pending')",
        reminders,
    )
    con.commit()
    con.close()


class StampedRequest(FakeRequest):
    """The fake Bot API, noting when each sendMessage was accepted (and for which chat)."""

    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__(telegram)
        self.accepted: list[tuple[datetime, int]] = []

    async def do_request(self, url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
        status, body = await super().do_request(url, method, request_data, **kw)
        if url.endswith("/sendMessage") and status == 200 and request_data is not None:
            self.accepted.append((datetime.now(UTC), int(request_data.parameters["chat_id"])))
        return status, body


def rss_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def prepare(pending: int, burst: int, overdue: bool) -> tuple[Path, str, datetime, float]:
    """A fresh migrated database filled by a child process; returns (dir, url, T0, seconds)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    url = f"sqlite:///{tmp / 'helpline.db'}"
    asyncio.run(_migrate(url))
    started = datetime.now(UTC)
    t0 = started - timedelta(minutes=10) if overdue else started + timedelta(seconds=LEAD_START)
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--generate",
            str(tmp / "helpline.db"),
            "--pending",
            str(pending),
            "--burst",
            str(burst),
            "--t0",
            t0.isoformat(),
        ],
        check=True,
    )
    generated = time.perf_counter() - t
    return tmp, url, t0, generated


async def _migrate(url: str) -> None:
    db = Database(url)
    await upgrade(db)
    await db.dispose()


async def run(
    prepared: tuple[Path, str, datetime, float],
    burst: int,
    rate_limit: bool,
    overdue: bool = False,
) -> dict[str, float]:
    """One full run on a fresh database; returns the figures.

    ``overdue``: the burst came due 10 minutes before the start (downtime), so the
    start-up tick catches up on it (late, with a note) instead of waiting for T0.
    """
    tmp, url, t0, generated = prepared
    settings = Settings(
        telegram_bot_token=None,
        HELPLINE_DATA_DIR=tmp,  # type: ignore[call-arg]
        database_url=url,
    )
    telegram = FakeTelegram()
    request = StampedRequest(telegram)
    rss_before = rss_mb()
    t = time.perf_counter()
    services = build_services(settings)
    app = build_application(settings, request=request, services=services, rate_limit=rate_limit)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()  # the job queue: the dispatcher ticks every 2 s from now on
    built = time.perf_counter() - t
    t = time.perf_counter()
    await services.dispatcher.tick(app)  # the catch-up pass at start-up
    first_tick = time.perf_counter() - t
    startup = built + first_tick
    rss_started = rss_mb()
    deadline = time.monotonic() + (0 if overdue else LEAD_START) + 90 + burst / OVERALL_RATE
    # Polls the fake's list of accepted sends; bounded by the deadline.
    while len(request.accepted) < burst and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
    shutil.rmtree(tmp, ignore_errors=True)
    late = [(at - t0).total_seconds() for at, _ in request.accepted]
    per_chat: dict[int, int] = {}
    beyond = []
    for k, (at, chat) in enumerate(request.accepted):
        j = per_chat.get(chat, 0)
        per_chat[chat] = j + 1
        # Telegram lets a first second's worth (30) through at once, then ~30 a second.
        earliest = max((k + 1 - OVERALL_RATE) / OVERALL_RATE, j * 1.0, 0.0)
        beyond.append((at - t0).total_seconds() - earliest)
    return {
        "generated": generated,
        "startup": startup,
        "built": built,
        "first_tick": first_tick,
        "late_notes": float(sum("Later verstuurd" in m.get("text", "") for m in telegram.sent())),
        "rss_before": rss_before,
        "rss": max(rss_started, rss_mb()),
        "sent": float(len(request.accepted)),
        "p50": percentile(late, 0.5) if late else float("nan"),
        "p99": percentile(late, 0.99) if late else float("nan"),
        "max": max(late) if late else float("nan"),
        "beyond_p50": percentile(beyond, 0.5) if beyond else float("nan"),
        "beyond_p99": percentile(beyond, 0.99) if beyond else float("nan"),
        "early": float(sum(1 for x in late if x < 0)),
        "mean": statistics.fmean(late) if late else float("nan"),
    }


def report(
    pending: int,
    burst: int,
    free: dict[str, float],
    limited: dict[str, float],
    catch_up: dict[str, float],
) -> str:
    """The results as Markdown."""
    lines = [
        "# Benchmark: follow-up call reminders (`bench/bench_calls.py`)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}. "
        f"Measured {datetime.now(UTC):%Y-%m-%d}.",
        f"{pending:,} pending calls ({2 * pending:,} pending reminder rows) in the database; "
        f"a burst of {burst:,} reminders due at the same second, for {ASSIGNEES} assignees "
        f"({burst // ASSIGNEES} per private chat). Fake Bot API in-process.",
        "",
        "| What | Target | Measured |",
        "|---|---|---|",
        f"| Start-up with {pending:,} pending: build, post_init, job queue | — | "
        f"{free['built']:.2f} s |",
        f"| + first dispatcher tick (catch-up pass, nothing overdue) | — | "
        f"{free['first_tick']:.2f} s |",
        f"| Start-up total | < 5 s | {free['startup']:.2f} s |",
        f"| Start-up after downtime (a third run, imports warm): the first tick catches up "
        f"on {burst:,} reminders overdue by 10 min (sent late with a note: "
        f"{catch_up['late_notes']:.0f}) | — | "
        f"{catch_up['built']:.2f} s + {catch_up['first_tick']:.2f} s |",
        f"| Peak RSS of the bot process (before the app: {free['rss_before']:.0f} MB) | — | "
        f"{free['rss']:.0f} MB |",
        f"| Burst without rate limiter: lateness p50 / p99 / max | — | {free['p50']:.2f} / "
        f"{free['p99']:.2f} / {free['max']:.2f} s ({free['sent']:.0f} sent) |",
        f"| Burst with AIORateLimiter + 1 s per chat: lateness p50 / p99 / max | — | "
        f"{limited['p50']:.2f} / {limited['p99']:.2f} / {limited['max']:.2f} s "
        f"({limited['sent']:.0f} sent) |",
        f"| of which beyond Telegram's rate limits: p50 / p99 | p99 < 2 s | "
        f"{limited['beyond_p50']:.2f} / {limited['beyond_p99']:.2f} s |",
        f"| Sent before they were due | 0 | {free['early'] + limited['early']:.0f} |",
        "",
        "Notes:",
        "- Lateness: from the due second to the moment the fake Bot API accepted the",
        "  sendMessage. It includes taking the reminder rows, wording them, the outbox, the",
        "  dispatcher's batches and the send. Reminders due within the next 60 s are worded",
        "  into the outbox ahead of time (`helpline/reminders.py`, `LOOKAHEAD`) with their due",
        "  second as `not_before`, and the dispatcher schedules a one-off run for that second",
        "  (`Dispatcher.tick` / `schedule_wakeup`), so the burst waits neither for the wording",
        "  nor for the 2 s repeating job.",
        "- Rate-limit waiting vs lateness: with the limiter, 1,000 messages need about 33 s",
        "  by Telegram's rules alone (~30/s overall, ~1/s per chat; two reminders share each",
        "  chat). For the k-th message sent (0-based) that is the j-th in its chat, the",
        "  earliest moment Telegram allows is max((k+1−30)/30 s, j × 1 s) after the due",
        "  second (a first second's worth may go at once); *beyond the rate limits* is the",
        "  measured lateness minus that moment. Negative values mean PTB's limiter let a",
        "  message through a little earlier than that bound.",
        "- The run without the limiter shows the bot's own cost of a burst; the fake Bot API",
        "  answers in-process (no network).",
        "- Start-up reads only due rows (index `ix_call_reminder_status_due` on",
        "  `(status, due_at)`); the future calls are never loaded. Memory is the process's",
        "  peak RSS (the app, SQLAlchemy, PTB, the triage classifier); the data are generated",
        f"  in a child process ({free['generated']:.1f} s, not counted).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=1_000)
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--t0", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.pending, args.burst, datetime.fromisoformat(args.t0))
        return
    free = asyncio.run(run(prepare(args.pending, args.burst, False), args.burst, False))
    print(f"without rate limiter: {free}", flush=True)
    limited = asyncio.run(run(prepare(args.pending, args.burst, False), args.burst, True))
    print(f"with rate limiter: {limited}", flush=True)
    catch_up = asyncio.run(
        run(prepare(args.pending, args.burst, True), args.burst, False, overdue=True)
    )
    print(f"catch-up after downtime: {catch_up}", flush=True)
    text = report(args.pending, args.burst, free, limited, catch_up)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
