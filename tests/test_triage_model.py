"""The learned triage model: it reproduces from the shipped data, loads safely, and
``helpline triage retrain`` installs a model only when it is not worse."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from flows.config import load_config
from flows.triage import Classifier, installed_model
from flows.triage.model import FORMAT, MODEL_FILE, TextModel, shipped_model
from flows.triage.training import line_corpus, train_line
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Request, TriageCorrection

CONFIG = load_config()
runner = CliRunner()


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 80 s on an idle machine: training with cross-validation
def test_the_shipped_model_reproduces_from_the_shipped_data() -> None:
    shipped = shipped_model(CONFIG)
    assert shipped is not None
    rebuilt = train_line(CONFIG)
    assert rebuilt.vocabulary == shipped.vocabulary
    assert rebuilt.thresholds == pytest.approx(shipped.thresholds, abs=1e-3)
    texts = [example.text for example in line_corpus(CONFIG)[0][::20]]
    for text in texts:
        old, new = shipped.predict(text), rebuilt.predict(text)
        assert max(abs(old.category[c] - new.category[c]) for c in old.category) < 1e-3
        assert abs(old.crisis - new.crisis) < 1e-3


def test_a_model_round_trips_without_pickle(tmp_path: Path) -> None:
    model = shipped_model(CONFIG)
    assert model is not None
    path = tmp_path / MODEL_FILE
    model.save(path)
    with np.load(path, allow_pickle=False) as data:  # plain arrays only
        assert {"vocabulary", "category_coef", "risk_coef"} <= set(data.files)
    again = TextModel.load(path)
    text = "kan iemand mijn hond uitlaten"
    assert again.predict(text).category == pytest.approx(model.predict(text).category, abs=1e-6)


def test_the_model_keeps_its_weights_once_and_gives_them_back(tmp_path: Path) -> None:
    model = shipped_model(CONFIG)
    assert model is not None
    category, risk = model.coefficients()
    with np.load(CONFIG.directory / MODEL_FILE, allow_pickle=False) as data:
        assert np.allclose(category, data["category_coef"], rtol=2e-7, atol=0)
        assert np.allclose(risk, data["risk_coef"], rtol=2e-7, atol=0)
    assert not hasattr(model, "category_coef") and not hasattr(model, "risk_coef")


def test_an_unreadable_model_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"not a model")
    with pytest.raises(Exception, match="not a readable triage model"):
        installed_model(tmp_path)
    assert installed_model(tmp_path / "empty") is None


def test_an_installed_model_of_an_older_format_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = shipped_model(CONFIG)
    assert model is not None
    path = tmp_path / MODEL_FILE
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["format"] = np.array([FORMAT - 1])
    np.savez_compressed(path, **arrays)
    with caplog.at_level("WARNING"):
        assert installed_model(tmp_path) is None
    assert "older format" in caplog.text
    arrays["format"] = np.array([FORMAT + 1])  # written by a newer version: refuse
    np.savez_compressed(path, **arrays)
    with pytest.raises(Exception, match="not a readable triage model"):
        installed_model(tmp_path)


# --- helpline triage retrain ----------------------------------------------------------


def small_line(tmp_path: Path, *, with_model: bool) -> tuple[Path, Path]:
    """A copy of the Heusden line with a small corpus, and an evaluation file (taken
    from the training writers, never from the sealed set)."""
    flows = tmp_path / "flows"
    shutil.copytree(CONFIG.directory, flows)
    data = flows / "triage_data"
    one, two = (
        (data / name).read_text(encoding="utf-8").splitlines()
        for name in ("writers_1.jsonl", "writers_2.jsonl")
    )
    for path in data.glob("*.jsonl"):
        path.unlink()
    train = one[0::2] + two[0::2]
    (data / "writers_small.jsonl").write_text("\n".join(train) + "\n", encoding="utf-8")
    evaluation = tmp_path / "eval.jsonl"
    evaluation.write_text("\n".join(one[1::2]) + "\n", encoding="utf-8")
    if not with_model:
        (flows / MODEL_FILE).unlink()
    return flows, evaluation


def env_for(tmp_path: Path, flows: Path) -> dict[str, str]:
    return {
        "FLOWS_DIR": str(flows),
        "HELPLINE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'helpline.db'}",
        "TELEGRAM_BOT_TOKEN": "123456:TEST",
        "QUEUE_CHATS": json.dumps({q: -100 - n for n, q in enumerate(CONFIG.queues)}),
    }


def retrain(tmp_path: Path, flows: Path, *args: str):  # type: ignore[no-untyped-def]
    from helpline.cli import app

    return runner.invoke(app, ["triage", "retrain", *args], env=env_for(tmp_path, flows))


@pytest.mark.timeout(600)  # trains a small model: about 15 s idle, minutes under load
def test_retrain_refuses_a_worse_model(tmp_path: Path) -> None:
    flows, evaluation = small_line(tmp_path, with_model=True)  # the full model is in use
    result = retrain(tmp_path, flows, "--eval", str(evaluation))
    assert result.exit_code == 1, result.output
    assert "worse" in result.output and "nothing installed" in result.output
    assert not (tmp_path / "data" / MODEL_FILE).exists()


@pytest.mark.timeout(600)  # trains a small model: about 15 s idle, minutes under load
def test_retrain_installs_a_better_model_privately(tmp_path: Path) -> None:
    flows, evaluation = small_line(tmp_path, with_model=False)  # rules only in use
    result = retrain(tmp_path, flows, "--eval", str(evaluation))
    assert result.exit_code == 0, result.output
    assert "retrained" in result.output and "top-1 accuracy" in result.output
    target = tmp_path / "data" / MODEL_FILE
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    model = installed_model(tmp_path / "data")
    assert model is not None
    assert Classifier(load_config(flows), model=model).model is model


@pytest.mark.timeout(600)  # trains a small model: about 15 s idle, minutes under load
def test_retrain_learns_from_staff_corrections(tmp_path: Path) -> None:
    flows, evaluation = small_line(tmp_path, with_model=False)
    (tmp_path / "data").mkdir()

    async def correct() -> None:
        db = Database(env_for(tmp_path, flows)["DATABASE_URL"])
        await upgrade(db)
        async with db.session() as session:
            request = Request(
                reference="HH-2026-00001", category="overig", queue="coordinatie", summary="x"
            )
            session.add(request)
            await session.flush()
            session.add(
                TriageCorrection(
                    request_id=request.id or 0,
                    text="mijn kippen moeten eten krijgen als ik weg ben",
                    old_category="overig",
                    new_category="huisdier",
                    old_urgency="normal",
                    new_urgency="normal",
                )
            )
        await db.dispose()

    asyncio.run(correct())
    result = retrain(tmp_path, flows, "--eval", str(evaluation), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "plus 1 staff corrections" in result.output
    assert "dry run" in result.output
    assert not (tmp_path / "data" / MODEL_FILE).exists()


def test_retrain_output_never_overwrites_the_database(tmp_path: Path) -> None:
    flows, evaluation = small_line(tmp_path, with_model=False)
    (tmp_path / "data").mkdir()
    database = tmp_path / "data" / "helpline.db"
    database.write_bytes(b"precious")
    result = retrain(tmp_path, flows, "--eval", str(evaluation), "--output", str(database))
    assert result.exit_code == 2
    assert database.read_bytes() == b"precious"


def test_retrain_without_an_evaluation_set_is_one_line(tmp_path: Path) -> None:
    flows, _evaluation = small_line(tmp_path, with_model=False)
    result = retrain(tmp_path, flows, "--eval", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "no evaluation set" in result.output
    assert os.path.exists(flows)
