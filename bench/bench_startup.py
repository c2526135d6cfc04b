"""Start-up to the first answered update, and the bot's memory, with ``helpline run`` as a
process of its own.

The bot talks to the fake Bot API over HTTP on 127.0.0.1 (``helpline.testing.
FakeTelegramServer``), as in production it talks to Telegram. Each run:

1. a resident's ``/start`` is waiting at the fake Telegram before the process starts; the
   clock runs from the spawn of ``helpline run`` to the bot's answer in her chat. First on
   a new data directory (the migrations run first), then a restart on that database;
2. the bot's memory (``VmRSS`` from ``/proc``) once it answered, then after ``--residents``
   residents did a full intake (waves: every resident takes a step, then all wait for
   their answer), and the peak (``VmHWM``).

Run: .venv/bin/python bench/bench_startup.py [--runs 3] [--residents 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from helpline.scripted import find_button
from helpline.testing import FakeTelegram, FakeTelegramServer, FakeUser

BIN = Path(sys.executable).parent
GROUP = -1005550000001
QUEUE_CHATS = {"wijkteam_drunen": GROUP, "coordinatie": GROUP - 1}
QUESTION = "Ik krijg steeds brieven van de belasting en snap het formulier niet"


def memory_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory now and at its peak, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def answered(telegram: FakeTelegram, chat_id: int, needle: str) -> Callable[[], bool]:
    """Whether the bot's newest message in the chat contains ``needle``."""

    def check() -> bool:
        sent = telegram.sent(chat_id)
        return bool(sent) and needle in str(sent[-1].get("text") or "")

    return check


def intake_wave(telegram: FakeTelegram, users: list[FakeUser]) -> None:
    """Every resident does a full intake, a step at a time, all at once."""

    def press(label: str) -> Callable[[FakeUser], None]:
        def act(user: FakeUser) -> None:
            message, data = find_button(telegram, user.id, label)
            telegram.press(user, message, data)

        return act

    steps: list[tuple[Callable[[FakeUser], object], str]] = [
        (lambda u: telegram.text(u, "/start"), "akkoord"),
        (press("akkoord"), "eigen woorden"),
        (lambda u: telegram.text(u, QUESTION), "Gaat het over"),
        (press("Ja"), "welke plaats"),
        (press("Drunen"), "bereiken"),
        (lambda u: telegram.contact(u, f"+316123{u.id % 100_000:05d}"), "best uit"),
        (press("Ochtend"), "Klopt dit"),
        (press("Versturen"), "HH-"),
    ]
    for act, needle in steps:
        for user in users:
            act(user)
        for user in users:
            telegram.wait_for(answered(telegram, user.id, needle), timeout=120)


def one_run(residents: int) -> dict[str, float]:
    """A first start, a restart, and the memory before and after the intakes."""
    figures: dict[str, float] = {}
    telegram = FakeTelegram()
    with tempfile.TemporaryDirectory() as tmp, FakeTelegramServer(telegram) as server:
        data = Path(tmp)
        env = server.bot_environment(
            data,
            f"sqlite:///{data / 'helpline.db'}",
            {"wijkteam_drunen": GROUP, "coordinatie": GROUP - 1},
        )
        for n, label in enumerate(("first start", "restart")):
            first = FakeUser(id=10 + n, first_name="Mia")
            telegram.text(first, "/start")
            started = time.perf_counter()
            proc = subprocess.Popen(
                [str(BIN / "helpline"), "run"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                telegram.wait_for(answered(telegram, first.id, "akkoord"), timeout=60)
                figures[label] = time.perf_counter() - started
                if label == "restart":
                    figures["rss after start"], _ = memory_mb(proc.pid)
                    users = [FakeUser(id=1000 + i, first_name=f"R{i}") for i in range(residents)]
                    began = time.perf_counter()
                    intake_wave(telegram, users)
                    figures["intakes seconds"] = time.perf_counter() - began
                    figures["rss after intakes"], figures["peak rss"] = memory_mb(proc.pid)
            finally:
                # (A stop waits for sends in flight: the queue cards of the last wave go
                # out at the rate limiter's 20 a minute per group.)
                stopping = time.perf_counter()
                proc.send_signal(signal.SIGINT)
                try:
                    _, errors = proc.communicate(timeout=180)
                    figures[f"{label} stop"] = time.perf_counter() - stopping
                except subprocess.TimeoutExpired:
                    proc.kill()
                    _, errors = proc.communicate()
            if "Traceback" in errors:
                raise SystemExit(f"the bot failed:\n{errors[-3000:]}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--residents", type=int, default=100)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    for n in range(1, args.runs + 1):
        f = one_run(args.residents)
        print(
            f"run {n}: first answer {f['first start']:.2f} s after the spawn on a new database, "
            f"{f['restart']:.2f} s after a restart; RSS {f['rss after start']:.0f} MB after "
            f"start-up, {f['rss after intakes']:.0f} MB after {args.residents} intakes "
            f"({f['intakes seconds']:.1f} s), peak {f['peak rss']:.0f} MB; stopped "
            f"{f.get('restart stop', float('nan')):.1f} s after SIGINT"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
