"""Plain-text layouts that read at any terminal width: nothing is cut, long lines wrap
between words (``key=value`` tokens, dataset names) and continue indented."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.cli._common import console

__all__ = ["KEY_PARAMS", "fmt_value", "key_params", "say", "say_tokens", "width"]

#: The hyperparameters a one-line summary of an ``mlp`` configuration shows.
KEY_PARAMS = (
    "optimizer",
    "learning_rate",
    "batch_size",
    "num_layers",
    "width",
    "activation",
    "dropout",
    "normalization",
    "numerical_embedding",
)
_SHORT = {
    "learning_rate": "lr",
    "batch_size": "batch",
    "normalization": "norm",
    "numerical_embedding": "embedding",
}


def width() -> int:
    """The terminal's width in columns (at least 40)."""
    return max(40, console.width)


def fmt_value(v: Any) -> str:
    """A hyperparameter value, floats to 4 significant digits."""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def key_params(config: Mapping[str, Any]) -> list[str]:
    """A configuration's key hyperparameters as short tokens (``adamw``, ``lr=0.001``,
    ``3x256``, ...); a configuration of another space: every ``key=value``."""
    if "num_layers" not in config or "optimizer" not in config:
        return [f"{k}={fmt_value(v)}" for k, v in config.items()]
    out: list[str] = []
    for k in KEY_PARAMS:
        if k not in config or k == "width":
            continue
        v = config[k]
        if k == "num_layers":
            out.append(f"{v}x{config.get('width', '?')}")
        elif k in ("optimizer", "activation"):
            out.append(str(v))
        else:
            out.append(f"{_SHORT.get(k, k)}={fmt_value(v)}")
    return out


def say(text: str, indent: int = 0, style: str | None = None) -> None:
    """Print ``text`` wrapped between words at the terminal's width; continuation lines and
    the first are indented by ``indent`` spaces. A word longer than a line is never cut."""
    pad = " " * indent
    lines = textwrap.wrap(
        text,
        width=width(),
        initial_indent=pad,
        subsequent_indent=pad + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]
    for line in lines:
        console.print(line, markup=False, highlight=False, style=style, soft_wrap=True)


def say_tokens(tokens: Sequence[str], indent: int = 0, sep: str = "  ") -> None:
    """Print tokens separated by ``sep``, wrapped between tokens (never inside one)."""
    pad = " " * indent
    line = ""
    for tok in tokens:
        candidate = tok if not line else f"{line}{sep}{tok}"
        if line and len(pad) + len(candidate) > width():
            console.print(pad + line, markup=False, highlight=False, soft_wrap=True)
            line = tok
        else:
            line = candidate
    if line:
        console.print(pad + line, markup=False, highlight=False, soft_wrap=True)
