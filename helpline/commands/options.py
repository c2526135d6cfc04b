"""Options several commands share, defined once so that they read and behave alike."""

from __future__ import annotations

from typing import Annotated

import typer

Force = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
LastDay = Annotated[
    str | None, typer.Option("--to", help="Last day, included, YYYY-MM-DD (default: today).")
]
