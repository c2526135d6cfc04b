"""Lint, format and type checks are part of the test suite (and so of CI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ],
    ids=lambda c: " ".join(c),
)
def test_code_quality(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_button_presses_are_answered_through_the_one_helper() -> None:
    # A bare ``query.answer()`` raises when Telegram says "query is too old" (a press
    # delivered again after a restart) and so drops the press: answer_query does not.
    direct = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "helpline").rglob("*.py"))
        if path.name != "safe_send.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if ".answer(" in line
    ]
    assert not direct, direct


def test_product_code_speaks_of_the_code_not_its_history() -> None:
    # Comments say why the code is as it is: no issue numbers, no pointers to tests or
    # result files (those point the other way).
    import re

    history = re.compile(r"\bissue \d|\(issue\b|tests/test_\w+\.py|RESULTS-\w+\.md", re.IGNORECASE)
    files = [
        path
        for folder in ("helpline", "flows", "storage")
        for pattern in ("*.py", "*.toml")
        for path in sorted((ROOT / folder).rglob(pattern))
        if "migrations" not in path.parts
    ]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*files, ROOT / ".env.example"]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if history.search(line)
    ]
    assert found == []
