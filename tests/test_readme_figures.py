"""Every figure in the README's Performance section is in the bench results file it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

RESULTS_FILE = re.compile(r"bench/RESULTS-[\w-]+\.md")
BENCH_COMMAND = re.compile(r"bench/bench_\w+\.py")
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# A figure: a number or a range ("350–385", "1,483–1,568", "0.23–0.25"), not part of a
# word such as "p99" or a name such as "RESULTS-perf".
FIGURE = re.compile(rf"(?<![\w.,–-])(?:{NUMBER})(?:–(?:{NUMBER}))?(?![\w])")


def performance_section() -> str:
    """The README's Performance section, up to the next heading of its level."""
    start = README.index("\n## Performance\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def points() -> list[str]:
    """The top-level points of the Performance section, each with its sub-points."""
    found: list[str] = []
    for line in performance_section().splitlines():
        if line.startswith("- "):
            found.append(line)
        elif found and line.startswith("  "):
            found[-1] += "\n" + line
    return found


def figures_in(point: str) -> list[str]:
    """The figures quoted in ``point``; code spans (file names, options) are left out."""
    prose = re.sub(r"`[^`]*`", " ", point)
    return [m.group(0).rstrip(".,") for m in FIGURE.finditer(prose)]


def appears_in(figure: str, text: str) -> bool:
    """``figure`` occurs in ``text`` as a whole number ("2.1" does not match "2.12")."""
    return re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d]|[.,]\d)", text) is not None


def test_the_performance_section_has_points() -> None:
    assert len(points()) >= 8


@pytest.mark.parametrize("point", points(), ids=lambda p: p[2:40])
def test_each_point_names_its_bench_command_and_results_file(point: str) -> None:
    results, commands = RESULTS_FILE.findall(point), BENCH_COMMAND.findall(point)
    assert results, f"name the results file (bench/RESULTS-….md) of: {point[:80]}"
    assert commands, f"name the bench/ command of: {point[:80]}"
    for name in results + commands:
        assert (ROOT / name).is_file(), f"{name} does not exist"


@pytest.mark.parametrize("point", points(), ids=lambda p: p[2:40])
def test_each_figure_is_in_the_results_file_the_point_names(point: str) -> None:
    texts = [(ROOT / name).read_text(encoding="utf-8") for name in RESULTS_FILE.findall(point)]
    missing = [f for f in figures_in(point) if not any(appears_in(f, t) for t in texts)]
    assert not missing, f"not in {RESULTS_FILE.findall(point)}: {missing}"


def test_the_reminder_burst_without_rate_limiter_is_quoted_from_its_results_file() -> None:
    calls = (ROOT / "bench/RESULTS-calls.md").read_text(encoding="utf-8")
    row = re.search(r"Burst without rate limiter.*?\| ([\d.]+) / ([\d.]+) / ([\d.]+) s", calls)
    assert row is not None
    p99 = row.group(2)
    [point] = [p for p in points() if "bench/RESULTS-calls.md" in p]
    assert f"p99 of {p99} s late without the rate limiter" in " ".join(point.split())


def test_the_human_pace_latency_says_it_holds_on_an_idle_machine() -> None:
    [point] = [p for p in points() if "human pace" in p]
    assert "idle machine" in " ".join(point.split())


def test_figure_matching_is_exact() -> None:
    assert figures_in("- p99 0.35 s, 1,483–1,568 updates/s and 19.5, 15.5 ms") == [
        "0.35",
        "1,483–1,568",
        "19.5",
        "15.5",
    ]
    assert appears_in("2.12", "p99 2.12 s") and not appears_in("2.1", "p99 2.12 s")
    assert not appears_in("0.35", "0.356") and not appears_in("1,000", "11,000")
