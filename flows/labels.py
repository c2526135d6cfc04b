"""Report labels from ``labels.toml``: channel, kind, period, dimension and column names.

Categories, villages, locations, queues and outcomes are labelled by the flows
configuration (``FlowConfig``); this table covers the values that live in code as
keys only. Messages (those of ``/rapport`` and the satisfaction survey too) are in
``texts.toml``, the one text system (``flows.texts``). A flows directory without
``labels.toml`` uses the default (Heusden) one, so an organisation only has to copy
the file when it wants other words.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flows.config import DEFAULT_FLOWS_DIR, ConfigError

LABELS_FILE = "labels.toml"
VALUE_TABLES = ("channel", "kind", "direction", "new_or_known")
PERIOD_TEMPLATES = ("month", "quarter", "week", "year", "range")
# Tables of messages that belong in texts.toml, each with one of its keys: a
# labels.toml that holds them is refused with a pointer there, rather than have its
# wording silently ignored.
MESSAGE_TABLES = {"report": "caption", "survey": "question"}
REQUIRED_COLUMNS = (
    "count", "residents", "percent", "answers", "average", "summary", "period", "from", "to",
    "total", "total_residents", "total_answers", "average_grade", "opted_out", "breakdown",
    "suppressed", "chart_count",
)  # fmt: skip


@dataclass(frozen=True)
class Labels:
    """The validated contents of ``labels.toml``."""

    unknown: str
    values: dict[str, dict[str, str]]
    months: tuple[str, ...]
    period: dict[str, str]
    dimensions: dict[str, str]
    columns: dict[str, str]

    def value(self, table: str, key: str) -> str:
        """The label of ``key`` in ``table`` (e.g. channel ``walk_in``), else the key."""
        return self.values.get(table, {}).get(key, key)

    def column(self, key: str, **values: Any) -> str:
        """A column header or summary label, with placeholders filled in."""
        return self.columns[key].format(**values)

    def month(self, year: int, month: int) -> str:
        """``april 2026``."""
        return self.period["month"].format(year=year, month=self.months[month - 1])

    def quarter(self, year: int, quarter: int) -> str:
        """``2e kwartaal 2026``."""
        return self.period["quarter"].format(year=year, quarter=quarter)

    def week(self, year: int, week: int) -> str:
        """``week 14 van 2026`` (ISO week and ISO year)."""
        return self.period["week"].format(year=year, week=week)


def _strings(where: str, table: Any, required: tuple[str, ...] = ()) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{LABELS_FILE}: [{where}] must be a table")
    for key in required:
        if key not in table:
            raise ConfigError(f"{LABELS_FILE}: [{where}] is missing {key}")
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{LABELS_FILE}: {where}.{key} must be a non-empty string")
    return dict(table)


def parse_labels(raw: dict[str, Any]) -> Labels:
    """Validates the parsed TOML of a labels file.

    Raises:
        ConfigError: naming the table or key that is wrong.
    """
    unknown = raw.get("unknown")
    if not isinstance(unknown, str) or not unknown.strip():
        raise ConfigError(f"{LABELS_FILE}: missing unknown")
    values = {name: _strings(name, raw.get(name, {})) for name in VALUE_TABLES}
    period_raw = raw.get("period", {})
    months = period_raw.get("months") if isinstance(period_raw, dict) else None
    if (
        not isinstance(months, list)
        or len(months) != 12
        or not all(isinstance(m, str) and m for m in months)
    ):
        raise ConfigError(f"{LABELS_FILE}: period.months must list 12 month names")
    period = _strings("period", {k: v for k, v in period_raw.items() if k != "months"})
    for key in PERIOD_TEMPLATES:
        if key not in period:
            raise ConfigError(f"{LABELS_FILE}: [period] is missing {key}")
    for table in MESSAGE_TABLES:
        if table in raw:
            raise ConfigError(
                f"{LABELS_FILE}: [{table}.*] messages belong in texts.toml, as"
                f" [{table}_...] (e.g. [{table}.{MESSAGE_TABLES[table]}] is"
                f" [{table}_{MESSAGE_TABLES[table]}])"
            )
    return Labels(
        unknown=unknown,
        values=values,
        months=tuple(months),
        period=period,
        dimensions=_strings("dimension", raw.get("dimension", {})),
        columns=_strings("column", raw.get("column", {}), REQUIRED_COLUMNS),
    )


@lru_cache(maxsize=8)
def _load(path: Path) -> Labels:
    try:
        with path.open("rb") as fh:
            return parse_labels(tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{LABELS_FILE}: {exc}") from None


def load_labels(directory: Path | str | None = None) -> Labels:
    """Reads ``labels.toml`` from the flows directory, or the default one when absent.

    Raises:
        ConfigError: one line naming the key that is wrong.
    """
    path = Path(directory or DEFAULT_FLOWS_DIR) / LABELS_FILE
    if not path.is_file():
        path = DEFAULT_FLOWS_DIR / LABELS_FILE
    return _load(path.resolve())
