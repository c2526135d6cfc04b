"""Benchmark of `helpline import contacts` on a large file: time and peak memory.

Run: ``.venv/bin/python bench/bench_import.py [--rows N] [--database-url URL] [--write]``.
Writes a CSV of about 50 MB (880,000 rows by default, the size of the file in the
report that asked for streaming) in a temporary directory, then runs the real
``helpline import contacts`` in a child process on a fresh SQLite database (or on the
PostgreSQL database given, which must be empty and is left filled), twice: the second
run finds every row already imported. Prints wall time and peak RSS
(``resource.getrusage`` in the child) of each run and the machine's load; with
``--write`` also appends them to ``bench/RESULTS-report.md``. ``--code`` runs another
checkout of the project instead (e.g. an older commit unpacked with ``git archive``).
Not a test: it takes about a minute.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS-report.md"
RESIDENTS = 20_000
CATEGORIES = ("geldzaken", "boodschappen", "vervoer", "eenzaamheid", "overig", "", "")
VILLAGES = ("Drunen", "Vlijmen", "Heusden", "Elshout", "Nieuwkuijk", "")
OUTCOMES = ("doorverwezen", "", "", "")


def write_import_file(path: Path, rows: int, seed: int = 7) -> None:
    """A CSV in the documented import format: local times, keys and village names."""
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["occurred_at", "channel", "direction", "kind", "category", "village",
                         "location", "resident", "outcome"])  # fmt: skip
        for _ in range(rows):
            when = start + timedelta(minutes=rnd.randrange(2 * 365 * 24 * 60))
            channel = rnd.choice(("phone", "phone", "walk_in", "email"))
            resident = f"R{rnd.randrange(RESIDENTS)}" if rnd.random() < 0.8 else ""
            writer.writerow([
                when.strftime("%Y-%m-%d %H:%M"), channel, "", "", rnd.choice(CATEGORIES),
                rnd.choice(VILLAGES), "Wijkwinkel Drunen" if channel == "walk_in" else "",
                resident, rnd.choice(OUTCOMES),
            ])  # fmt: skip


def run_import(code: Path, csv_path: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Runs ``helpline import contacts`` in a child: (seconds, peak RSS in MB, its output)."""
    program = (
        "import sys\n"
        "from helpline.cli import app\n"  # the real `helpline` command, start-up included
        "try:\n"
        "    app()\n"
        "finally:\n"
        "    import resource\n"
        "    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    print(f'MAXRSS_KB={rss}', file=sys.stderr)\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", program, "import", "contacts", str(csv_path)],
        env={**env, "PYTHONPATH": str(code)},
        cwd=code,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    lines = done.stderr.splitlines()
    peak = next((line for line in lines if line.startswith("MAXRSS_KB=")), "MAXRSS_KB=0")
    other = [line for line in lines if not line.startswith("MAXRSS_KB=")]
    output = " ".join([done.stdout.strip(), *other]).strip()
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {output}")
    return elapsed, int(peak.split("=")[1]) / 1024, output


def load() -> str:
    """The machine's load as ``uptime`` prints it."""
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"load average {os.getloadavg()}"


def main() -> None:
    """Generates the file, imports it twice and prints (and with --write records) figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=880_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--write", action="store_true", help="append to RESULTS-report.md")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        write_import_file(csv_path, options.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {options.rows:,} rows, {size_mb:.1f} MB")
        url = options.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'helpline.db'}"
        env = {**os.environ, "DATABASE_URL": url, "HELPLINE_DATA_DIR": str(Path(tmp) / "data")}
        env.pop("FLOWS_DIR", None)
        before = load()
        first_s, first_mb, first = run_import(options.code, csv_path, env)
        print(f"import: {first_s:.1f} s, peak RSS {first_mb:.0f} MB — {first}")
        again_s, again_mb, again = run_import(options.code, csv_path, env)
        print(f"again:  {again_s:.1f} s, peak RSS {again_mb:.0f} MB — {again}")
        after = load()
        print(f"load before: {before}\nload after:  {after}")
    if not options.write:
        return
    database = "PostgreSQL" if options.database_url else f"SQLite {sqlite3.sqlite_version}"
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## Import of a large file (`bench/bench_import.py`), {database}\n\n"
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python"
            f" {platform.python_version()}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n"
            f"File: {options.rows:,} CSV rows, {size_mb:.1f} MB. Wall clock of the `helpline`"
            " command in a child process (start-up included); memory is its peak RSS.\n\n"
            "| What | Target | Measured |\n|---|---|---|\n"
            f"| `import contacts` into a fresh database | ≤ 24 s, ≤ 200 MB |"
            f" {first_s:.1f} s, {first_mb:.0f} MB |\n"
            f"| the same file again (every row already imported) | — |"
            f" {again_s:.1f} s, {again_mb:.0f} MB |\n\n"
            f"Load (`uptime`) before: `{before}`; after: `{after}`.\n"
        )
    print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
