"""The ``advisor`` command line (Typer + Rich). User errors exit with code 2 and one line."""

from __future__ import annotations

import typer

from advisor._version import __version__
from advisor.cli import data_cmds
from advisor.cli.advice_cmds import ranker_app, suggest
from advisor.cli.kb_cmds import kb_app
from advisor.cli.search_cmds import predict, search
from advisor.cli.service_cmds import keys_app, serve

__all__ = ["app", "main"]

app = typer.Typer(
    name="advisor",
    help="Metalearning advisor for neural-network hyperparameters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"advisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Metalearning advisor for neural-network hyperparameters."""


app.command("meta-features")(data_cmds.meta_features)
app.command("evaluate")(data_cmds.evaluate)
app.add_typer(kb_app, name="kb")
app.command("suggest")(suggest)
app.add_typer(ranker_app, name="ranker")
app.command("search")(search)
app.command("predict")(predict)
app.command("serve")(serve)
app.add_typer(keys_app, name="keys")


def main() -> None:
    app()
