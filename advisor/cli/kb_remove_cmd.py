"""``advisor kb remove``: take contributed trials back, by dataset or by trial id."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli._common import emit_json, fail, user_errors
from advisor.cli.kb_cmds import JsonOpt, KbOpt, kb_app

if TYPE_CHECKING:
    from knowledge_base import RemovalReport

__all__ = ["remove"]

_LISTED = 5


def _summary(report: RemovalReport) -> str:
    """``12 trials of 2 datasets (iris, data-1a2b3c4d)``."""
    names = [d.name or d.fingerprint for d in report.datasets]
    shown = ", ".join(names[:_LISTED]) + (
        f" and {len(names) - _LISTED} more" if names[_LISTED:] else ""
    )
    trials = "trial" if report.removed == 1 else "trials"
    of = "dataset" if len(names) == 1 else "datasets"
    return f"{report.removed} {trials} of {len(names)} {of} ({shown})"


def _confirm(plan: RemovalReport, url: str) -> None:
    """Ask on a terminal; refuse (exit code 2) when there is none to ask on."""
    if not sys.stdin.isatty():
        fail(
            f"not removing {_summary(plan)} without confirmation: stdin is not a terminal; "
            "pass --yes to remove them"
        )
    if not typer.confirm(f"remove {_summary(plan)} from {url}?", default=False, err=True):
        typer.echo("nothing was removed")
        raise typer.Exit(1)


@kb_app.command("remove")
def remove(
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            metavar="NAME_OR_FINGERPRINT",
            help="remove the contributed trials of this dataset (repeatable)",
        ),
    ] = None,
    trial: Annotated[
        list[str] | None,
        typer.Option("--trial", metavar="ID", help="remove this trial (repeatable)"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="remove without asking")] = False,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take contributed trials back: a dataset's (--dataset) or named ones (--trial).

    Everything named goes in one transaction, or nothing does (an unknown dataset or trial id
    removes nothing). Datasets left without trials go too, with their meta-features. The
    shipped seed's trials cannot be removed. Asks first, unless --yes.
    """
    if not dataset and not trial:
        fail("give --dataset NAME_OR_FINGERPRINT or --trial ID (each repeatable)")
    with user_errors():
        from knowledge_base import KnowledgeBase

        store = KnowledgeBase(kb, create=False)
        try:
            plan = store.remove_trials(trial or [], datasets=dataset or [], dry_run=True)
            if not yes:
                _confirm(plan, store.display_url)
            report = store.remove_trials(trial or [], datasets=dataset or [])
            url = store.display_url
        finally:
            store.close()
    if as_json:
        emit_json({"url": url, **report.to_dict()})
        return
    typer.echo(f"removed {_summary(report)} from {url}")
    for d in report.datasets:
        left = "the dataset is gone" if d.deleted else f"{d.left} left"
        typer.echo(f"  {d.name or '-'}  {d.fingerprint}: {d.removed} removed, {left}")
