"""``helpline triage retrain``: rebuild the triage model with what staff corrected.

Trains on the line's shipped corpus (``triage_data/`` beside triage.toml) plus the
corrections staff made (a changed category, a missed crisis), measures the model in use
and the new one on the sealed evaluation set, and installs the new one in the data
directory only when no figure got worse. It prints figures, never messages::

    helpline triage retrain                      # train, compare, install if not worse
    helpline triage retrain --dry-run            # train and compare only
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from helpline.commands import support as cli
from helpline.commands.options import Force

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from flows.config import FlowConfig
    from flows.triage.corpus import Example
    from flows.triage.model import TextModel
    from flows.triage.training import Figures

triage_app = typer.Typer(help="The triage classifier's model.", no_args_is_help=True)

# The sealed evaluation set of this repository; an installation names its own with --eval.
SEALED = Path(__file__).resolve().parents[2] / "tests" / "data" / "triage_sealed"
ROWS = (
    ("top1", "top-1 accuracy"),
    ("top3", "top-3 accuracy"),
    ("crisis_recall_caught", "crisis caught (high or possible)"),
    ("crisis_recall_high", "crisis at high confidence"),
    ("high_on_normal", "crisis reply on normal messages"),
    ("possible_on_normal", "check question on normal messages"),
)


async def _corrections(session: AsyncSession, config: FlowConfig) -> list[Example]:
    from flows.triage.corpus import Example
    from storage import repository as repo

    rows = await repo.training_corrections(session=session)
    return [
        Example(row.text or "", row.new_category, row.new_urgency, row.kind)
        for row in rows
        if row.new_category in config.categories
    ]


def _table(columns: dict[str, Figures]) -> None:
    names = list(columns)
    typer.echo(f"{'':36}" + "".join(f"{name:>12}" for name in names))
    for key, label in ROWS:
        values = [columns[name].summary()[key] for name in names]
        typer.echo(f"{label:36}" + "".join(f"{v:>12.3f}" for v in values))
    first = next(iter(columns.values()))
    typer.echo(f"({first.total} messages, {first.crisis} crisis, {first.normal} normal)")


def _install(model: TextModel, target: Path, *, force: bool) -> None:
    """Writes the model whole or not at all, readable by this user only: its words come
    partly from residents' messages (staff corrections)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    problem = cli.write_output(target, model.dumps(), force=force)
    if problem is not None:
        cli.fail(f"cannot write {target}: {problem}")


@triage_app.command("retrain")
def retrain(
    evaluation: Annotated[
        Path | None,
        typer.Option("--eval", help="The sealed evaluation set (folder of .jsonl or a file)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compare only; install nothing.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the model here instead.")
    ] = None,
    force: Force = False,
) -> None:
    """Retrains the triage model with staff corrections; installs it only if not worse."""
    # Imported here: the other commands need neither NumPy nor scikit-learn.
    from flows.triage import Classifier, installed_model
    from flows.triage.corpus import CorpusError, read_all
    from flows.triage.model import MODEL_FILE
    from flows.triage.training import evaluate, train_line

    settings = cli.settings_or_exit()
    config, _labels = cli.config_or_exit(settings)
    if output is not None:
        cli.check_output(settings, output, force=force)
    sealed = evaluation or SEALED
    if not sealed.exists():
        cli.fail(f"no evaluation set at {sealed}; give one with --eval")
    try:
        held = read_all([sealed], config.categories)
    except CorpusError as exc:
        cli.fail(f"evaluation set: {exc}")
    if not held:
        cli.fail(f"evaluation set {sealed} holds no messages")
    corrections = cli.run_in_session(settings, lambda session: _corrections(session, config))
    try:
        current = Classifier(config, model=installed_model(settings.data_dir) or "shipped")
        typer.echo(f"training on the corpus plus {len(corrections)} staff corrections ...")
        model = train_line(config, corrections)
    except (CorpusError, ValueError) as exc:
        cli.fail(f"training: {exc}")
    new = Classifier(config, model=model)
    before, after = evaluate(current.classify, held), evaluate(new.classify, held)
    rules = evaluate(Classifier(config, model=None).classify, held)
    _table({"rules only": rules, "in use": before, "retrained": after})
    if not after.no_worse_than(before):
        cli.fail("the retrained model is worse on the evaluation set: nothing installed", 1)
    if dry_run:
        typer.echo("dry run: nothing installed")
        return
    # The installed model is replaced on purpose: the new one is no worse.
    target = output or settings.data_dir / MODEL_FILE
    _install(model, target, force=force or output is None)
    typer.echo(f"installed {target}; restart the bot to use it")
