"""``helpline classify``: one JSON object per message, no token and no database needed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flows.config import DEFAULT_FLOWS_DIR
from helpline.cli import app

runner = CliRunner()


def make_app() -> typer.Typer:
    """The real ``helpline`` command."""
    return app


@pytest.fixture(autouse=True)
def default_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWS_DIR", raising=False)


def test_classify_one_message() -> None:
    result = runner.invoke(make_app(), ["classify", "kan iemand mijn hond uitlaten"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"category", "urgency", "kind", "queue", "alternatives", "risk"}
    assert (data["category"], data["risk"]) == ("huisdier", "none")
    assert (data["urgency"], data["kind"], data["queue"]) == (
        "normal",
        "hulpvraag",
        "vrijwilligers",
    )
    assert data["alternatives"][0]["category"] == "huisdier"
    assert 0.5 < data["alternatives"][0]["score"] <= 1.0


def test_queue_is_null_when_it_depends_on_the_village() -> None:
    result = runner.invoke(make_app(), ["classify", "ik heb schulden"])
    assert json.loads(result.stdout)["queue"] is None


def test_a_crisis_goes_to_the_crisis_queue_whatever_its_category() -> None:
    result = runner.invoke(make_app(), ["classify", "ik wil niet meer leven"])
    data = json.loads(result.stdout)
    assert (data["urgency"], data["queue"], data["risk"]) == ("crisis", "coordinatie", "high")


def test_a_possible_risk_is_urgent_and_says_so() -> None:
    result = runner.invoke(
        make_app(),
        ["classify", "niemand zou me missen"],
    )
    data = json.loads(result.stdout)
    assert (data["urgency"], data["risk"]) == ("urgent", "possible")


def test_classify_reads_stdin_line_by_line() -> None:
    lines = "ik wil niet meer leven\nboodschappen graag\n\n😀\n"
    result = runner.invoke(make_app(), ["classify"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["category"] for r in rows] == ["psychisch", "boodschappen", "overig", "overig"]
    assert rows[0]["urgency"] == "crisis"


def test_missing_flows_dir_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWS_DIR", str(tmp_path / "nope"))
    result = runner.invoke(make_app(), ["classify", "hallo"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


def test_unknown_category_in_triage_toml_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, flows)
    triage = flows / "triage.toml"
    triage.write_text(
        triage.read_text(encoding="utf-8") + '\n[categories.tuinieren]\nstrong = ["tuin"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FLOWS_DIR", str(flows))
    result = runner.invoke(make_app(), ["classify", "hallo"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "helpline: triage.toml: [categories.tuinieren]: unknown category 'tuinieren'"
    )
