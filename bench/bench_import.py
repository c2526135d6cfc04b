"""Benchmark of `helpline import contacts` on a large file: time and peak memory.

Run: ``.venv/bin/python bench/bench_import.py [--rows N] [--runs N] [--database-url URL]
[--write]``.
Writes a CSV of about 50 MB (880,000 rows by default, the size of the file in the
report that asked for streaming) in a temporary directory, then runs the real
``helpline import contacts`` in a child process on a fresh SQLite database (or on the
PostgreSQL database given, which must be empty and is left filled), twice: the second
run finds every row already imported. Prints wall time, rows a second, CPU time and
peak RSS (``resource.getrusage`` in the child) of each run — the command's and, beside
it, the process that checks a large file — and the machine's load; with ``--write``
also appends them to ``bench/RESULTS-report.md``. ``--code`` runs another checkout of
the project instead (e.g. an older commit unpacked with ``git archive``);
``--against`` a second one, run alternately with the first (``--runs`` times each, each
on a fresh database), for a comparison on a machine whose load changes. CPU time (user
and system) depends less on that load than wall time. Not a test: it takes minutes.
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
import threading
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Run:
    """One ``helpline import contacts`` in a child process."""

    seconds: float
    cpu_seconds: float  # user + system of the command and the process checking the file
    peak_mb: float  # the command's own
    helper_mb: float  # the process that checks a large file beside it (0: none)
    together_mb: float  # the most both held at one moment (sampled)
    output: str

    @property
    def memory(self) -> str:
        """Peak RSS: the command's, the checking process's beside it when there was one,
        and the most both held at one moment."""
        if not self.helper_mb:
            return f"{self.peak_mb:.0f} MB"
        return (
            f"{self.peak_mb:.0f} MB + {self.helper_mb:.0f} MB,"
            f" together at most {self.together_mb:.0f} MB"
        )

    def line(self, rows: int) -> str:
        """The figures in one line."""
        return (
            f"{self.seconds:.1f} s ({rows / self.seconds:,.0f} rows/s), CPU"
            f" {self.cpu_seconds:.1f} s, peak RSS {self.memory} — {self.output}"
        )


def run_import(code: Path, csv_path: Path, env: dict[str, str]) -> Run:
    """Runs ``helpline import contacts`` in a child and measures it."""
    program = (
        "import sys\n"
        "from helpline.cli import app\n"  # the real `helpline` command, start-up included
        "try:\n"
        "    app()\n"
        "finally:\n"
        "    import resource\n"
        "    usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    helper = resource.getrusage(resource.RUSAGE_CHILDREN)\n"  # the checking process
        "    print(f'MAXRSS_KB={usage.ru_maxrss}', file=sys.stderr)\n"
        "    print(f'CHILD_MAXRSS_KB={helper.ru_maxrss}', file=sys.stderr)\n"
        "    cpu = usage.ru_utime + usage.ru_stime + helper.ru_utime + helper.ru_stime\n"
        "    print(f'CPU_S={cpu}', file=sys.stderr)\n"
    )
    started = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-c", program, "import", "contacts", str(csv_path)],
        env={**env, "PYTHONPATH": str(code)},
        cwd=code,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        sampler = TreeMemory(child.pid)
        sampler.start()
        stdout, stderr = child.communicate()
        sampler.stop()
    elapsed = time.perf_counter() - started
    lines = stderr.splitlines()
    figures = dict(line.split("=", 1) for line in lines if line.startswith(_FIGURES))
    other = [line for line in lines if not line.startswith(_FIGURES)]
    output = " ".join([stdout.strip(), *other]).strip()
    if child.returncode != 0:
        raise SystemExit(f"import failed ({child.returncode}): {output}")
    peak_mb = int(figures.get("MAXRSS_KB", 0)) / 1024
    child_mb = int(figures.get("CHILD_MAXRSS_KB", 0)) / 1024
    return Run(elapsed, float(figures.get("CPU_S", 0)), peak_mb, child_mb, sampler.peak_mb, output)


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and its children together (Linux
    ``/proc``, every 20 ms): the most the import held at any one moment."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb = pid, 0.0
        self._done = threading.Event()

    def run(self) -> None:
        """Samples until ``stop``."""
        while not self._done.wait(0.02):
            total = sum(_rss_kb(pid) for pid in (self.pid, *_children(self.pid)))
            self.peak_mb = max(self.peak_mb, total / 1024)

    def stop(self) -> None:
        """Stops sampling."""
        self._done.set()
        self.join()


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found = " ".join((task / "children").read_text() for task in tasks)
    except OSError:
        return []
    return [int(child) for child in found.split()]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


_FIGURES = ("MAXRSS_KB=", "CHILD_MAXRSS_KB=", "CPU_S=")


def load() -> str:
    """The machine's load as ``uptime`` prints it."""
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip() or f"load average {os.getloadavg()}"


def measure(code: Path, csv_path: Path, url: str, data_dir: Path) -> tuple[Run, Run, str, str]:
    """Imports the file into the database at ``url`` and then again: both runs, and the
    load before and after."""
    env = {**os.environ, "DATABASE_URL": url, "HELPLINE_DATA_DIR": str(data_dir)}
    env.pop("FLOWS_DIR", None)
    before = load()
    first = run_import(code, csv_path, env)
    again = run_import(code, csv_path, env)
    return first, again, before, load()


def main() -> None:
    """Generates the file, imports it twice per run and prints (and with --write records)
    the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=880_000)
    parser.add_argument("--runs", type=int, default=1, help="fresh databases, one after another")
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--against", type=Path, help="a second checkout, run alternately")
    parser.add_argument("--write", action="store_true", help="append to RESULTS-report.md")
    options = parser.parse_args()
    codes = [options.code, *([options.against] if options.against else [])]
    if options.database_url and options.runs * len(codes) > 1:
        parser.error("a PostgreSQL database is filled by one run: no --runs or --against")
    results: list[tuple[Path, Run, Run, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "contacts.csv"
        write_import_file(csv_path, options.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {options.rows:,} rows, {size_mb:.1f} MB")
        for run in range(options.runs):
            for number, code in enumerate(codes):
                where = Path(tmp) / f"run{run}-{number}"
                where.mkdir()
                url = options.database_url or f"sqlite+aiosqlite:///{where / 'helpline.db'}"
                first, again, before, after = measure(code, csv_path, url, where / "data")
                results.append((code, first, again, before, after))
                print(f"{code}\n  import: {first.line(options.rows)}")
                print(f"  again:  {again.line(options.rows)}")
                print(f"  load before: {before}\n  load after:  {after}")
    if options.write:
        database = "PostgreSQL" if options.database_url else f"SQLite {sqlite3.sqlite_version}"
        _write(database, options.rows, size_mb, results)


def _write(
    database: str, rows: int, size_mb: float, results: list[tuple[Path, Run, Run, str, str]]
) -> None:
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            f"\n## Import of a large file (`bench/bench_import.py`), {database}\n\n"
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python"
            f" {platform.python_version()}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n"
            f"File: {rows:,} CSV rows, {size_mb:.1f} MB. Wall clock of the `helpline`"
            " command in a child process (start-up included), its CPU time (user +"
            " system) and peak RSS. Target for the import: ≤ 24 s, ≤ 200 MB.\n\n"
            "| Code | Import: wall, CPU, peak | Again (all present) | Load before / after |\n"
            "|---|---|---|---|\n"
        )
        for code, first, again, before, after in results:
            fh.write(
                f"| `{code.name}` | {first.seconds:.1f} s, {first.cpu_seconds:.1f} s,"
                f" {first.memory} | {again.seconds:.1f} s, {again.cpu_seconds:.1f} s,"
                f" {again.memory} | `{_averages(before)}` / `{_averages(after)}` |\n"
            )
    print(f"appended to {RESULTS.relative_to(ROOT)}")


def _averages(uptime: str) -> str:
    return uptime.rsplit("load average:", 1)[-1].strip()


if __name__ == "__main__":
    main()
