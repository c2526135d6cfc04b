"""Benchmark of the contact tallies: export over 1,000,000 contacts, import of 100,000 rows.

Run: ``.venv/bin/python bench/bench_report.py [--contacts N] [--import-rows N]``.
Builds a temporary SQLite database (migrated, then filled with a fast raw bulk
insert), then runs the real ``helpline export`` and ``helpline import contacts``
commands in child processes, so time and peak memory (max RSS) are those a
coordinator sees, interpreter start-up included. Prints the figures and writes them
to ``bench/RESULTS-report.md``. Not a test: it takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.config import load_config  # noqa: E402
from flows.labels import load_labels  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS-report.md"
START = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 3 * 365
RESIDENTS = 60_000
CHANNELS = ("telegram", "telegram", "telegram", "phone", "phone", "email", "walk_in", "other")
KINDS = ("hulpvraag", "hulpvraag", "hulpvraag", "aanbod", "informatie", "signaal", "follow_up")
EVENTS = ("intake", "message", "claim", "call")


def _stamp(moment: datetime) -> str:
    # The text form SQLAlchemy stores DateTime in on SQLite (naive UTC).
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


NOTES = """
Notes:
- The contacts are inserted in time order, as the bot stores them. The export on
  SQLite runs one GROUP BY per local month on two read-only connections in parallel
  (`storage/readonly.py`); the unique residents of the period come from an `EXISTS`
  on the index `ix_contact_resident_occurred` (migration `0002_satisfaction`).
- The child process runs the real `helpline` command (`helpline.cli`), so the figure
  includes Python start-up and every import of the CLI (about 0.8 s: SQLAlchemy,
  Alembic, Typer, the other commands); the tracemalloc figure counts Python
  allocations only (SQLite's own memory is in the RSS figure). Figures of 2026-11-22
  were taken with the export and import commands mounted on a bare Typer app, on a
  busier machine (the bulk insert then took 61.8 s).
- The import checks all rows first (pure Python), then stores
  them in one transaction in batches of 2,000.
"""


def fill(path: Path, contacts: int, seed: int = 42) -> None:
    """Bulk-inserts residents and ``contacts`` random contacts over three years."""
    config = load_config()
    rnd = random.Random(seed)
    categories = [*config.categories, None]
    villages = [*config.villages, None]
    locations = list(config.locations)
    queues = list(config.queues)
    outcomes = [*config.outcomes, None, None, None]
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    created = _stamp(START)
    connection.executemany(
        "INSERT INTO resident (id, language, external_ref, created_at) VALUES (?, 'nl', ?, ?)",
        ((n, f"bench-{n}", created) for n in range(1, RESIDENTS + 1)),
    )
    seconds = DAYS * 86_400
    # Contacts are stored as they happen, so the table is in time order, as in real life.
    moments = sorted(rnd.randrange(seconds) for _ in range(contacts))

    def rows():  # type: ignore[no-untyped-def]
        for moment in moments:
            channel = rnd.choice(CHANNELS)
            yield (
                _stamp(START + timedelta(seconds=moment)),
                channel,
                rnd.choice(("inbound", "inbound", "outbound", "internal")),
                rnd.choice(KINDS),
                rnd.choice(EVENTS),
                rnd.choice(categories),
                rnd.choice(villages),
                rnd.choice(locations) if channel == "walk_in" else None,
                rnd.choice(queues),
                rnd.choice(outcomes),
                rnd.choice(("nieuw", "bekend", "bekend")),
                rnd.randrange(1, RESIDENTS + 1) if rnd.random() < 0.95 else None,
            )

    connection.executemany(
        "INSERT INTO contact (occurred_at, channel, direction, kind, event, category, village,"
        " location, queue, outcome, new_or_known, resident_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def write_import_file(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV in the documented import format (local times, keys and names mixed)."""
    config = load_config()
    rnd = random.Random(seed)
    villages = [v.name for v in config.villages.values()] + [""]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["occurred_at", "channel", "direction", "kind", "category", "village",
                         "location", "resident", "outcome"])  # fmt: skip
        for _ in range(rows):
            day = datetime(2025, 1, 1) + timedelta(minutes=rnd.randrange(365 * 24 * 60))
            channel = rnd.choice(("phone", "walk_in", "email"))
            writer.writerow([
                day.strftime("%Y-%m-%d %H:%M"), channel, "inbound", "",
                rnd.choice([*config.categories, ""]), rnd.choice(villages),
                "Wijkwinkel Drunen" if channel == "walk_in" else "",
                f"imp-{rnd.randrange(20_000)}", rnd.choice([*config.outcomes, ""]),
            ])  # fmt: skip


def time_build(url: str) -> tuple[float, float]:
    """``build_report`` alone, in this process: (seconds, tracemalloc peak in MB)."""
    from helpline.reporting.build import build_report
    from helpline.reporting.periods import Period

    async def build() -> None:
        db = Database(url)
        try:
            await build_report(
                db=db,
                config=load_config(),
                labels=load_labels(),
                period=Period(date(2024, 1, 1), date(2026, 12, 31)),
                breakdowns=[("month", "category")],
                zone=ZoneInfo("Europe/Amsterdam"),
            )
        finally:
            await db.dispose()

    tracemalloc.start()
    started = time.perf_counter()
    asyncio.run(build())
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    """Runs ``helpline`` in a child process: (seconds, peak RSS, stdout). The peak RSS
    is the command's, plus that of the process that checks a large import file beside
    it when there was one."""
    code = (
        "import sys\n"
        "from helpline.cli import app\n"  # the real `helpline` command, start-up included
        "try:\n"
        "    app()\n"
        "finally:\n"
        "    import resource\n"
        "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "    print(f'MAXRSS_KB={rss} {child}', file=sys.stderr)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"helpline {' '.join(args)} failed:\n{done.stderr}")
    lines = done.stderr.splitlines()
    own, child = next(line for line in lines if line.startswith("MAXRSS_KB=")).split("=")[1].split()
    peak = f"{int(own) / 1024:.0f} MB" + (f" + {int(child) / 1024:.0f} MB" if int(child) else "")
    other = [line for line in lines if not line.startswith("MAXRSS_KB=")]
    return elapsed, peak, "\n".join([done.stdout.strip(), *other]).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        url = f"sqlite:///{db_path}"

        async def migrate() -> None:
            db = Database(url)
            await upgrade(db)
            await db.dispose()

        asyncio.run(migrate())
        started = time.perf_counter()
        fill(db_path, options.contacts)
        fill_seconds = time.perf_counter() - started
        print(f"generated {options.contacts:,} contacts in {fill_seconds:.1f} s")
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        out = Path(tmp) / "export.json"
        export_args = ["export", "--from", "2024-01-01", "--to", "2026-12-31",
                       "--by", "month,category", "--format", "json", "-o", str(out)]  # fmt: skip
        export_s, export_mb, _ = run_cli(export_args, env)
        exported = json.loads(out.read_text())
        print(f"export --by month,category: {export_s:.2f} s, peak {export_mb},"
              f" {len(exported['rows'])} rows, total {exported['total']:,}")  # fmt: skip
        build_s, build_mb = time_build(url)
        print(f"  of which build_report (queries and labels): {build_s:.2f} s,"
              f" Python allocations peak {build_mb:.1f} MB")  # fmt: skip
        csv_path = Path(tmp) / "import.csv"
        write_import_file(csv_path, options.import_rows)
        import_s, import_mb, message = run_cli(["import", "contacts", str(csv_path)], env)
        print(f"import {options.import_rows:,} rows: {import_s:.2f} s, peak {import_mb}")
        print(f"  {message.strip()}")
        again_s, _, again = run_cli(["import", "contacts", str(csv_path)], env)
        print(f"re-import (nothing new): {again_s:.2f} s — {again.strip()}")
    # The large-import bench appends its sections after this table: keep them.
    later = RESULTS.read_text() if RESULTS.exists() else ""
    later = later[later.index("\n## ") :] if "\n## " in later else ""
    RESULTS.write_text(
        "# Benchmark: contact tallies (`bench/bench_report.py`)\n\n"
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}. Measured {datetime.now(UTC):%Y-%m-%d}.\n"
        "Times are wall clock of the `helpline` command in a child process (start-up included);"
        " memory is its peak RSS.\n\n"
        "| What | Target | Measured |\n|---|---|---|\n"
        f"| Generate {options.contacts:,} contacts over 3 years (raw bulk insert) | — |"
        f" {fill_seconds:.1f} s |\n"
        f"| `export --by month,category --format json` over all of them | < 3 s, < 300 MB |"
        f" {export_s:.2f} s, {export_mb} |\n"
        f"| of which `build_report` (the SQL and labelling, in-process) | — |"
        f" {build_s:.2f} s, {build_mb:.1f} MB Python allocations (tracemalloc) |\n"
        f"| `import contacts` of {options.import_rows:,} CSV rows (into that database) | < 30 s |"
        f" {import_s:.2f} s, {import_mb} (the command + the process checking the file) |\n"
        f"| the same import again (all rows already present) | — | {again_s:.2f} s |\n"
        + NOTES
        + later
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
