"""Another organisation's flows directory: used when FLOWS_DIR points at it, and every
mistake in it is one clear line at start-up (unknown queue, duplicate key, missing label)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.config import DEFAULT_FLOWS_DIR, ConfigError, load_config
from helpline.app import build_application, build_services
from helpline.cli import app
from helpline.testing import FakeRequest, FakeTelegram, FakeUser
from storage.db import Database
from tests.bot_harness import make_settings


def own_flows(tmp_path: Path, file: str = "", change: Callable[[str], str] = str) -> Path:
    """A copy of the Heusden flows with one file changed."""
    root = tmp_path / "flows"
    shutil.copytree(DEFAULT_FLOWS_DIR, root)
    if file:
        path = root / file
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return root


def swap(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


MISTAKES = [
    (
        "categories.toml",
        swap('queue = "belmaatjes"', 'queue = "belmaatjez"'),
        "categories.toml: [praatje]: unknown queue 'belmaatjez'",
    ),
    (
        "routing.toml",
        swap('key = "elshout"', 'key = "drunen"'),
        "routing.toml: villages: duplicate key 'drunen'",
    ),
    (
        "categories.toml",
        swap('en = "A chat"\n', ""),
        "categories.toml: [praatje]: missing en label",
    ),
    (
        "routing.toml",
        swap('queue = "wijkteam_drunen"', 'queue = "wijkteam_drunnen"'),
        "unknown queue 'wijkteam_drunnen'",
    ),
    ("categories.toml", swap("[eenzaamheid]", "[praatje]"), "categories.toml:"),
    ("texts.toml", swap("[greeting]", "[greeting_]"), "texts.toml: missing [greeting]"),
    (
        "texts.toml",
        swap("Uw nummer is {reference}", "Uw nummer is {referentie}"),
        "texts.toml: [submitted] nl: unknown placeholder {referentie}",
    ),
    ("texts.toml", swap("Uw nummer is {reference}", "Uw nummer is {reference"), "[submitted] nl"),
    ("organisation.toml", swap('reference_prefix = "HH"\n', ""), "missing reference_prefix"),
    ("triage.toml", swap('category = "psychisch"', 'category = "psychish"'), "psychish"),
]


@pytest.mark.parametrize(
    ("file", "change", "expected"), MISTAKES, ids=[m[2][:40] for m in MISTAKES]
)
def test_a_mistake_in_the_flows_is_one_clear_line_at_start_up(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: str,
    change: Callable[[str], str],
    expected: str,
) -> None:
    root = own_flows(tmp_path, file, change)
    with pytest.raises(ConfigError) as raised:
        load_config(root)
        build_services(
            make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/x.db", []).model_copy(
                update={"flows_dir": root}
            )
        )
    assert expected in str(raised.value) and "\n" not in str(raised.value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWS_DIR", str(root))
    monkeypatch.setenv("HELPLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("helpline: configuration: ")
    assert expected in result.output and "Traceback" not in result.output


async def test_the_bot_uses_another_organisations_flows(db: Database, tmp_path: Path) -> None:
    rename = swap('name = "Drunen"', 'name = "Dorpje"')
    root = own_flows(tmp_path, "routing.toml", rename)
    (root / "organisation.toml").write_text(
        (root / "organisation.toml").read_text().replace('"HeusdenHelpt!"', '"Dorpshulp"')
    )
    settings = make_settings(tmp_path, db.url, []).model_copy(update={"flows_dir": root})
    services = build_services(settings, db=db)
    telegram = FakeTelegram()
    application = build_application(
        settings, request=FakeRequest(telegram), services=services, rate_limit=False
    )
    from helpline.scripted import ScriptedChat

    async with application:
        mia = ScriptedChat(application, telegram, FakeUser(4001, "Mia"))
        await mia.say("/start")
        assert "Dorpshulp" in mia.last_text()
        await mia.press("akkoord")
        await mia.say("Ik krijg brieven van de belasting en snap het formulier niet")
        await mia.press("Ja")
        await mia.press("Dorpje")
        assert "bereiken" in mia.last_text()
