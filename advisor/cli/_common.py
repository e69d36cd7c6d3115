"""What every CLI command shares: error handling, warnings, JSON and table output."""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from advisor_core.errors import AdvisorError, ConfigError

__all__ = [
    "USER_ERROR",
    "console",
    "emit_json",
    "err_console",
    "fail",
    "load_config_arg",
    "user_errors",
]

USER_ERROR = 2
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with code 2 (a user's error)."""
    err_console.print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(USER_ERROR)


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    sys.stderr.write(f"warning: {str(message).splitlines()[0]}\n")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn advisor errors into one stderr line and exit code 2; warnings into one line each."""
    previous = warnings.showwarning
    warnings.showwarning = _one_line_warning
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default", UserWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            yield
    except AdvisorError as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    finally:
        warnings.showwarning = previous


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _clean(value.item())
    return value


def emit_json(payload: Any) -> None:
    """Print strict JSON (no NaN or infinity: they become null) on stdout."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def load_config_arg(
    value: str,
    complete: Callable[[dict[str, Any]], dict[str, Any]],
    named: Callable[[str], dict[str, Any]],
) -> dict[str, Any]:
    """A config given as a JSON object, a path to a JSON file, or a named configuration."""
    text = value.strip()
    if text.startswith(("{", "[")):
        source = "--config"
    elif text and Path(text).is_file():
        source = text
        text = Path(text).read_text(encoding="utf-8")
    elif text.endswith(".json"):
        raise ConfigError(f"--config file {value!r} not found")
    else:
        return named(text)
    try:
        obj = json.loads(
            text,
            parse_constant=lambda c: (_ for _ in ()).throw(
                ConfigError(f"{source}: {c} is not allowed in a configuration")
            ),
        )
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{source}: a configuration must be a JSON object")
    return complete(obj)
