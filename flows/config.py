"""The line's configuration as data: categories, queues, villages, texts.

Everything an organisation may want to change lives in a flows directory of TOML
files (see ``flows/heusden`` for the default). ``load_config`` reads and validates
it once at start-up; a mistake becomes one ``ConfigError`` line naming the file
and the key, never a traceback. The data classes live in ``config_types`` and are
importable from here too.
"""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Any

from flows.config_types import (
    KINDS,
    LANGUAGES,
    Category,
    FlowConfig,
    Language,
    Organisation,
    Place,
    Village,
)
from flows.errors import ConfigError
from flows.urgency import URGENCIES

__all__ = [
    "DEFAULT_FLOWS_DIR",
    "KINDS",
    "LANGUAGES",
    "Category",
    "ConfigError",
    "FlowConfig",
    "Language",
    "Organisation",
    "Place",
    "Village",
    "load_config",
]

DEFAULT_FLOWS_DIR = Path(__file__).parent / "heusden"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path.name}: file not found in {path.parent}")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:  # includes duplicate keys
        raise ConfigError(f"{path.name}: {exc}") from None


def _labels(where: str, table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    labels: dict[str, str] = {}
    for lang in LANGUAGES:
        value = table.get(f"{prefix}{lang}")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: missing {prefix}{lang} label")
        labels[lang] = value
    return labels


def _placeholders(template: str, where: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_texts(texts: dict[str, dict[str, str]]) -> None:
    """Another organisation's texts.toml: every text the bot uses, no unknown placeholder."""
    default = _read_toml(DEFAULT_FLOWS_DIR / "texts.toml")
    missing = [key for key in default if key not in texts]
    if missing:
        raise ConfigError(
            f"texts.toml: missing [{missing[0]}] (the bot uses every text of the default flows)"
        )
    for key, labels in texts.items():
        if key not in default:
            continue
        known = {"org_name", "org_phone"}
        for lang, template in default[key].items():
            known |= _placeholders(template, f"texts.toml (default): [{key}] {lang}")
        for lang, template in labels.items():
            unknown = _placeholders(template, f"texts.toml: [{key}] {lang}") - known
            if unknown:
                raise ConfigError(
                    f"texts.toml: [{key}] {lang}: unknown placeholder {{{min(unknown)}}}"
                )


def _keyed_list(where: str, rows: Any, required: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise ConfigError(f"{where}: expected a list of tables")
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        for name in required:
            if not isinstance(row.get(name), str) or not row[name].strip():
                raise ConfigError(f"{where} #{index}: missing {name}")
        if row["key"] in seen:
            raise ConfigError(f"{where}: duplicate key {row['key']!r}")
        seen.add(row["key"])
    return rows


def load_config(directory: Path | str | None = None) -> FlowConfig:
    """Reads and validates the flows directory (default: the Heusden configuration).

    Raises:
        ConfigError: with one line naming the file and key that is wrong.
    """
    root = Path(directory) if directory else DEFAULT_FLOWS_DIR
    if not root.is_dir():
        raise ConfigError(f"flows directory {root} does not exist")
    org = _read_toml(root / "organisation.toml")
    routing = _read_toml(root / "routing.toml")
    cats = _read_toml(root / "categories.toml")
    texts_raw = _read_toml(root / "texts.toml")
    triage_path = root / "triage.toml"
    triage = _read_toml(triage_path) if triage_path.exists() else {}

    for name in ("name", "phone", "reference_prefix", "privacy_version"):
        if not isinstance(org.get(name), str) or not org[name].strip():
            raise ConfigError(f"organisation.toml: missing {name}")
    safety = org.get("safety", {})
    for name in ("acute", "suicide", "domestic_violence"):
        if not isinstance(safety.get(name), str):
            raise ConfigError(f"organisation.toml: missing safety.{name}")
    default_language = org.get("default_language", "nl")
    if default_language not in LANGUAGES:
        raise ConfigError(f"organisation.toml: default_language must be one of {LANGUAGES}")
    organisation = Organisation(
        name=org["name"],
        phone=org["phone"],
        reference_prefix=org["reference_prefix"],
        default_language=default_language,
        privacy_version=org["privacy_version"],
        safety=dict(safety),
    )

    queues_raw = routing.get("queues")
    if not isinstance(queues_raw, dict) or not queues_raw:
        raise ConfigError("routing.toml: no [queues] defined")
    queues = {key: _labels(f"routing.toml: queues.{key}", v) for key, v in queues_raw.items()}

    def known_queue(where: str, queue: Any) -> str:
        if queue not in queues:
            raise ConfigError(f"{where}: unknown queue {queue!r}")
        return str(queue)

    rules = routing.get("routing", {})
    triage_queue = known_queue("routing.toml: routing.triage_queue", rules.get("triage_queue"))
    crisis_queue = known_queue("routing.toml: routing.crisis_queue", rules.get("crisis_queue"))

    villages: dict[str, Village] = {}
    for row in _keyed_list("routing.toml: villages", routing.get("villages", []), ("key", "name")):
        where = f"routing.toml: village {row['key']!r}"
        villages[row["key"]] = Village(
            row["key"], row["name"], known_queue(where, row.get("queue"))
        )
    locations = {
        row["key"]: Place(row["key"], row["name"], row.get("village"))
        for row in _keyed_list(
            "routing.toml: locations", routing.get("locations", []), ("key", "name")
        )
    }
    for place in locations.values():
        if place.village is not None and place.village not in villages:
            raise ConfigError(f"routing.toml: location {place.key!r}: unknown village")
    partners = {
        row["key"]: Place(row["key"], row["name"])
        for row in _keyed_list(
            "routing.toml: partners", routing.get("partners", []), ("key", "name")
        )
    }

    categories: dict[str, Category] = {}
    for key, table in cats.items():
        where = f"categories.toml: [{key}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        queue = table.get("queue")
        kind = table.get("kind", "hulpvraag")
        urgency = table.get("urgency", "normal")
        if kind not in KINDS:
            raise ConfigError(f"{where}: unknown kind {kind!r}")
        if urgency not in URGENCIES:
            raise ConfigError(f"{where}: unknown urgency {urgency!r}")
        categories[key] = Category(
            key=key,
            labels=_labels(where, table),
            descriptions=_labels(where, table, "description_"),
            queue=known_queue(where, queue) if queue is not None else None,
            kind=kind,
            urgency=urgency,
        )
    if "overig" not in categories:
        raise ConfigError("categories.toml: the fallback category [overig] is required")

    texts: dict[str, dict[str, str]] = {}
    for key, table in texts_raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"texts.toml: [{key}] must be a table with nl and en")
        texts[key] = _labels(f"texts.toml: [{key}]", table)
    if root.resolve() != DEFAULT_FLOWS_DIR.resolve():
        _check_texts(texts)  # a missing text would otherwise fail mid-conversation

    escalation = org.get("escalation", {})
    for urgency in URGENCIES:
        minutes = escalation.get(urgency)
        if not isinstance(minutes, int) or minutes <= 0:
            raise ConfigError(f"organisation.toml: escalation.{urgency} must be whole minutes > 0")
    queue_escalation: dict[str, dict[str, int]] = {}
    for queue, table in queues_raw.items():
        limits = table.get("escalation", {})
        for urgency, minutes in limits.items():
            if urgency not in URGENCIES or not isinstance(minutes, int) or minutes <= 0:
                raise ConfigError(
                    f"routing.toml: queues.{queue}.escalation.{urgency} must be minutes > 0"
                )
        queue_escalation[queue] = dict(limits)
    outcomes = {
        key: _labels(f"routing.toml: outcomes.{key}", table)
        for key, table in routing.get("outcomes", {}).items()
    }

    return FlowConfig(
        directory=root,
        organisation=organisation,
        categories=categories,
        queues=queues,
        villages=villages,
        locations=locations,
        partners=partners,
        triage_queue=triage_queue,
        crisis_queue=crisis_queue,
        texts=texts,
        triage=triage,
        opening_hours=dict(org.get("opening_hours", {})),
        escalation_minutes={u: int(escalation[u]) for u in URGENCIES},
        queue_escalation=queue_escalation,
        outcomes=outcomes,
    )
