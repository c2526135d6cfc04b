"""``helpline classify``: try the triage classifier without a bot, token or database.

Coordinators use it to check a change to triage.toml::

    helpline classify "mijn hond moet uitgelaten worden"
    helpline classify < messages.txt        # one message per line, one JSON line each
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Optional

import typer

from flows.config import ConfigError, load_config

if TYPE_CHECKING:
    from flows.triage import Classification


def as_json(result: Classification, crisis_queue: str | None = None) -> str:
    """One result as a JSON object (category, urgency, kind, queue, alternatives, risk).

    ``queue`` is where the request goes: the crisis queue for a crisis, else the
    category's queue, or null when it depends on the village (its wijkteam). ``risk`` is
    the safety layer's verdict: ``none``, ``possible`` (the resident is asked) or ``high``.
    """
    queue = crisis_queue if result.urgency == "crisis" and crisis_queue else result.queue
    data: dict[str, Any] = {
        "category": result.category,
        "urgency": result.urgency,
        "kind": result.kind,
        "queue": queue,
        "alternatives": [{"category": a.category, "score": a.score} for a in result.alternatives],
        "risk": result.risk,
    }
    return json.dumps(data, ensure_ascii=False)


def classify(
    text: Optional[str] = typer.Argument(  # noqa: UP045 - Typer reads the annotation
        None, help="The message to classify; without it, one message per line from stdin."
    ),
) -> None:
    """Classifies a message (or stdin, line by line) and prints the result as JSON."""
    # Imported here: the other commands (export, staff ...) need no classifier.
    from flows.triage import Classifier

    try:
        config = load_config(os.environ.get("FLOWS_DIR"))
        classifier = Classifier(config)
    except ConfigError as exc:
        typer.echo(f"helpline: {exc}", err=True)
        raise typer.Exit(2) from None
    if text is not None:
        typer.echo(as_json(classifier.classify(text), config.crisis_queue))
        return
    for line in sys.stdin:
        typer.echo(as_json(classifier.classify(line.rstrip("\r\n")), config.crisis_queue))
