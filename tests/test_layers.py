"""The use cases in ``helpline/cases/`` know nothing of Telegram, the Telegram handlers
leave the database to them, and nothing below them reaches back up: flows/ and storage/
import no part of the app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "helpline" / "cases").glob("*.py"))
# The Telegram edge: the library itself and the app's modules that speak it.
EDGE = ("telegram", "helpline.handlers", "helpline.render", "helpline.services", "helpline.app")


def runtime_imports(path: Path) -> list[str]:
    """The modules a file imports when it runs (``TYPE_CHECKING`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return found


def reaches(found: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [name for name in found if any(name == p or name.startswith(p + ".") for p in prefixes)]


def test_the_use_case_package_exists_and_holds_the_cases() -> None:
    names = {path.stem for path in CASES}
    assert {"intake", "staff_intake", "cards", "calls", "circle", "reminders"} <= names
    assert {"undelivered", "escalations", "chatlog", "audit", "access", "core"} <= names


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_a_use_case_imports_no_telegram_edge(path: Path) -> None:
    assert reaches(runtime_imports(path), EDGE) == []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_a_use_case_imports_no_other_edge(path: Path) -> None:
    # The command line, the web page and the mail channel call the use cases, not the
    # other way round.
    other = ("helpline.cli", "helpline.commands", "helpline.web", "helpline.mail")
    assert reaches(runtime_imports(path), other) == []


@pytest.mark.parametrize("package", ["flows", "storage"])
def test_flows_and_storage_import_no_part_of_the_app(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted((ROOT / package).rglob("*.py"))
        if (bad := reaches(runtime_imports(path), ("helpline", "telegram")))
    }
    assert offenders == {}


def test_importing_every_use_case_loads_no_telegram_module() -> None:
    modules = [f"helpline.cases.{path.stem}" for path in CASES if path.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ""


@pytest.mark.parametrize("package", ["web", "mail"])
def test_the_other_edges_share_use_cases_not_telegram_handlers(package: str) -> None:
    # The web page and the mail channel do what the Telegram buttons do by calling the
    # same use cases in helpline/cases/, never a Telegram handler.
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted((ROOT / "helpline" / package).rglob("*.py"))
        if (bad := reaches(runtime_imports(path), ("helpline.handlers",)))
    }
    assert offenders == {}


def test_telegram_handlers_leave_the_database_to_the_use_cases() -> None:
    # A handler parses the update, opens the update's one transaction, calls use cases
    # and sends what they return: reading and writing are the use cases' work.
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in sorted((ROOT / "helpline" / "handlers").glob("*.py"))
        if (bad := reaches(runtime_imports(path), ("storage.repository", "storage.db")))
    }
    assert offenders == {}
