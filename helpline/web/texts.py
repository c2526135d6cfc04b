"""The web page's texts: ``web.toml`` of the flows directory (Dutch and English).

Loaded like ``labels.toml``: a flows directory without its own ``web.toml`` uses the
default (Heusden) one, so an organisation copies the file only to change the words.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flows.config import DEFAULT_FLOWS_DIR, ConfigError
from flows.texts import fill

WEB_FILE = "web.toml"


class WebTexts:
    """Looks up a text in a language (Dutch when missing) and fills in its values."""

    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts

    def __call__(self, key: str, lang: str, **values: Any) -> str:
        """The text ``key`` in ``lang`` with ``values`` filled in."""
        entry = self._texts.get(key)
        if entry is None:
            raise KeyError(f"web.toml has no [{key}]")
        return fill(entry.get(lang) or entry["nl"], **values)


@lru_cache(maxsize=8)
def _load(path: Path) -> WebTexts:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
    for key, entry in raw.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("nl"), str):
            raise ConfigError(f"{path.name}: [{key}] needs an nl text")
    return WebTexts(raw)


def load_web_texts(directory: Path | str | None = None) -> WebTexts:
    """The web texts of a flows directory, or the default ones when it has none."""
    path = Path(directory or DEFAULT_FLOWS_DIR) / WEB_FILE
    if not path.is_file():
        path = DEFAULT_FLOWS_DIR / WEB_FILE
    return _load(path.resolve())
