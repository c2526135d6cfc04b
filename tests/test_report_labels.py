"""Every reported value has a Dutch label, from the flows configuration or labels.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from flows.config import DEFAULT_FLOWS_DIR, KINDS, ConfigError, load_config
from flows.labels import LABELS_FILE, load_labels, parse_labels
from helpline.reporting.labelling import Labeller
from storage.models import Channel, Direction
from storage.repository.tallies import DIMENSIONS

CONFIG = load_config()
LABELS = load_labels()


def test_every_known_value_has_a_label() -> None:
    label = Labeller(CONFIG, LABELS)
    values = {
        "channel": [c.value for c in Channel],
        "direction": [d.value for d in Direction],
        "kind": list(KINDS),
        "new_or_known": ["nieuw", "bekend"],
        "category": list(CONFIG.categories),
        "village": list(CONFIG.villages),
        "location": list(CONFIG.locations),
        "queue": list(CONFIG.queues),
        "outcome": list(CONFIG.outcomes),
    }
    for dim, keys in values.items():
        for key in keys:
            assert label(dim, key) != key, (dim, key)
    assert all(dim in LABELS.dimensions for dim in DIMENSIONS)
    assert label("category", None) == "Onbekend" and label("outcome", "weg") == "weg"
    assert label("month", "2026-03") == "maart 2026"
    assert label("quarter", "2026-Q3") == "3e kwartaal 2026"
    assert label("week", "2026-W05") == "week 5 van 2026"


def test_a_flows_directory_without_labels_uses_the_default(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_FLOWS_DIR, tmp_path / "flows")
    (tmp_path / "flows" / LABELS_FILE).unlink()
    assert load_labels(tmp_path / "flows") == LABELS


def test_a_broken_labels_file_names_what_is_missing() -> None:
    raw = tomllib.loads((DEFAULT_FLOWS_DIR / LABELS_FILE).read_text(encoding="utf-8"))
    del raw["column"]["total"]
    with pytest.raises(ConfigError, match=r"\[column\] is missing total"):
        parse_labels(raw)
    raw = tomllib.loads((DEFAULT_FLOWS_DIR / LABELS_FILE).read_text(encoding="utf-8"))
    raw["period"]["months"] = ["januari"]
    with pytest.raises(ConfigError, match="12 month names"):
        parse_labels(raw)


def test_messages_left_in_labels_are_refused_with_a_pointer_to_texts() -> None:
    # /rapport's and the survey's messages are texts.toml's, as every other message;
    # wording left behind in labels.toml would otherwise be silently ignored.
    raw = tomllib.loads((DEFAULT_FLOWS_DIR / LABELS_FILE).read_text(encoding="utf-8"))
    raw["survey"] = {"question": {"nl": "Hoe was het?", "en": "How was it?"}}
    with pytest.raises(ConfigError, match=r"texts.toml.*\[survey_question\]"):
        parse_labels(raw)
