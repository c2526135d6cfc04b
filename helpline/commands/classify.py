"""``helpline classify [TEXT]``: classify a message (or stdin, one per line) and print JSON."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer

from flows.config import ConfigError, load_config
from flows.triage import Classification, Classifier


def as_json(result: Classification) -> str:
    """The classification as one JSON object."""
    return json.dumps(
        {
            "category": result.category,
            "urgency": result.urgency,
            "kind": result.kind,
            "queue": result.queue,
            "alternatives": [
                {"category": s.category, "score": s.score} for s in result.alternatives
            ],
        },
        ensure_ascii=False,
    )


def classify(
    text: Annotated[
        str | None, typer.Argument(help="The message; without it, one message per stdin line.")
    ] = None,
) -> None:
    """Classifies a message; needs no token and no database."""
    try:
        classifier = Classifier(load_config(os.environ.get("FLOWS_DIR")))
    except ConfigError as exc:
        typer.echo(f"helpline: configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    if text is not None:
        typer.echo(as_json(classifier.classify(text)))
        return
    for line in sys.stdin:
        typer.echo(as_json(classifier.classify(line.rstrip("\n"))))
