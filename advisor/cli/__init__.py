"""The ``advisor`` command line (Typer + Rich). User errors exit with code 2 and one line."""

from __future__ import annotations

import sys
from typing import Any

import typer
from typer._click import exceptions as click_errors  # Typer's own click (pinned typer)
from typer.core import TyperGroup

from advisor._version import __version__
from advisor.cli import data_cmds, kb_remove_cmd  # noqa: F401 (registers `kb remove`)
from advisor.cli.advice_cmds import ranker_app, suggest
from advisor.cli.kb_cmds import kb_app
from advisor.cli.search_cmds import predict, search
from advisor.cli.service_cmds import keys_app, serve

__all__ = ["app", "main"]


class _OneLineErrors(TyperGroup):
    """Usage errors (a bad option value, a missing option, an unknown command) as one line
    on stderr with exit code 2, like every other user error; help as plain text where flags
    read as flags."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = run(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "advisor"
            message = " ".join(exc.format_message().split())
            sys.stderr.write(f"error: {message} (see '{where} --help')\n")
            sys.exit(2)
        except click_errors.ClickException as exc:
            sys.stderr.write(f"error: {' '.join(exc.format_message().split())}\n")
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.stderr.write("aborted\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_OneLineErrors,
    rich_markup_mode=None,
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
