"""Usage mistakes on the command line as one line: what is wrong and where the help is.

Every ``helpline`` command and sub-command is parsed inside ``HelplineGroup``, so one
place turns click's boxed usage errors into ``helpline: <what> (see <command> --help)``
with exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from typer.core import TyperGroup

from helpline.commands import support as cli

try:  # recent typer releases bundle their own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - an older typer on plain click
    from click.exceptions import UsageError  # type: ignore[assignment]


def usage_problem(exc: UsageError, command_path: str) -> str:
    """One line for a usage error: what is wrong, and where the command's help is.

    Args:
        exc: the error click raised while reading the command line.
        command_path: the command the arguments named (``helpline staff add``), for the
            errors that do not know it themselves.
    """
    lines = [line.strip() for line in exc.format_message().splitlines() if line.strip()]
    message = " ".join(lines).rstrip(".") or "wrong usage"
    if message[1:2].islower():  # "Missing option" -> "missing option", as our own lines read
        message = message[0].lower() + message[1:]
    if exc.ctx is not None:
        command_path = exc.ctx.command_path
    return f"{message} (see {command_path} --help)"


def named_command_path(ctx: Any, tokens: list[str]) -> str:
    """``helpline staff add``: the command that ``tokens`` name, as far as they name one."""
    path, command = [ctx.command_path], ctx.command
    for token in tokens:
        get_command = getattr(command, "get_command", None)
        sub = get_command(ctx, token) if get_command is not None else None
        if sub is None:
            break
        path.append(token)
        command = sub
    return " ".join(path)


@contextmanager
def one_line_usage_errors(command_path: Callable[[], str]) -> Iterator[None]:
    """Turns a usage error (a bad value, a missing option, an unknown command) into one
    line pointing to the command's --help, exit code 2, instead of typer's boxed usage."""
    try:
        yield
    except UsageError as exc:
        # Without arguments a group shows its help on purpose; that stays as it is.
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise
        cli.fail(usage_problem(exc, command_path()), code=2)


class HelplineGroup(TyperGroup):
    """The ``helpline`` command group. Sub-commands are parsed inside ``invoke``, so
    catching there covers every command, including those of the sub-groups."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parses the group's own options; a mistake in them is one line."""
        with one_line_usage_errors(lambda: info_name or "helpline"):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        """Runs the chosen command; a usage mistake in it is one line."""
        # Read before the group consumes them: some parser errors do not say which
        # command they are about, and these name it.
        tokens = [*getattr(ctx, "_protected_args", ()), *ctx.args]
        with one_line_usage_errors(lambda: named_command_path(ctx, tokens)):
            return super().invoke(ctx)
