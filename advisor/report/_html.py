"""The page: one self-contained HTML file (inline CSS, figures as ``data:`` URIs, no script).

Every piece of text that reaches the page goes through :func:`esc`; the helpers here take plain
text and escape it themselves, so callers never build markup from unescaped values.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor._version import __version__
from advisor_core.errors import ConfigError

__all__ = [
    "esc",
    "facts",
    "figure",
    "fmt",
    "fmt_config",
    "fmt_value",
    "note",
    "page",
    "section",
    "table",
    "write_page",
]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:24px 32px;color:#1d2330;background:#fff;line-height:1.45}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:28px 0 8px;
border-bottom:1px solid #d9dde5;padding-bottom:4px}
.sub{color:#5b6475;margin:0 0 16px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:12px 0;
padding:12px 16px;background:#f4f6fa;border-radius:6px}
dl.facts dt{font-weight:600;color:#3b4456}dl.facts dd{margin:0}
dl.facts.wide{grid-template-columns:repeat(3,max-content minmax(0,1fr))}
dl.facts.wide dd{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em}
div.wrap{overflow-x:auto;max-width:100%}
figure{margin:12px 0 20px}figure img{max-width:100%;height:auto;border:1px solid #e3e6ec}
figcaption{color:#5b6475;font-size:.92em;margin-top:4px}
p.note{background:#fff8e6;border-left:4px solid #f0b429;padding:8px 12px;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:.86em;margin:8px 0 20px}
th,td{border:1px solid #d9dde5;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef1f6}tr.best td{background:#e7f6ea;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:.88em;color:#36405a}
footer{color:#8a92a3;font-size:.85em;margin-top:32px}
"""


def esc(value: Any) -> str:
    """``value`` as text, escaped for HTML (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, digits: int = 4, *, signed: bool = False) -> str:
    """A number for a reader: ``digits`` decimals (``—`` for none or NaN); other values as
    text (not escaped)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return str(value)


def fmt_value(value: Any) -> str:
    """A hyperparameter's value for a reader (floats to 3 significant digits), not escaped."""
    if isinstance(value, float) and not isinstance(value, bool):
        return f"{value:.3g}"
    return str(value)


def fmt_config(config: Mapping[str, Any], names: Iterable[str] | None = None) -> str:
    """``name=value`` pairs (floats to 3 significant digits), not escaped."""
    keys = list(config) if names is None else [n for n in names if n in config]
    return ", ".join(f"{k}={fmt_value(config[k])}" for k in keys)


def facts(items: Sequence[tuple[str, Any]], *, wide: bool = False) -> str:
    """A definition list of ``(label, value)`` pairs (both escaped); ``wide``: three pairs a
    row, values in a monospace font (a configuration)."""
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    cls = "facts wide" if wide else "facts"
    return f'<dl class="{cls}">{rows}</dl>'


def note(text: str) -> str:
    """A highlighted sentence (why a figure is missing, for instance)."""
    return f'<p class="note">{esc(text)}</p>'


def figure(fig_id: str, png: bytes, alt: str, caption: str) -> str:
    """A PNG embedded as a base64 ``data:`` URI, with its caption."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure id="{esc(fig_id)}"><img alt="{esc(alt)}" '
        f'src="data:image/png;base64,{data}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    numeric: Iterable[int] = (),
    highlight: Iterable[int] = (),
    code: Iterable[int] = (),
) -> str:
    """A table of escaped cells; ``numeric`` columns align right, ``highlight`` rows stand out,
    ``code`` columns use a monospace font."""
    num, hi, mono = set(numeric), set(highlight), set(code)
    # a long name may break after its underscores (learning_<wbr>rate)
    head = "".join(f"<th>{esc(h).replace('_', '_<wbr>')}</th>" for h in headers)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            text = f"<code>{esc(value)}</code>" if c in mono else esc(value)
            cells.append(f'<td class="num">{text}</td>' if c in num else f"<td>{text}</td>")
        cls = ' class="best"' if r in hi else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f'<div class="wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def section(title: str, *parts: str) -> str:
    """A titled section of already-built parts (markup from the helpers above)."""
    return f"<section><h2>{esc(title)}</h2>{''.join(parts)}</section>"


def page(title: str, subtitle: str, *parts: str) -> str:
    """The whole document."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>{"".join(parts)}'
        f"<footer>Made by tuning-advisor {esc(__version__)}. Self-contained: no network access "
        "or script needed to read it.</footer></body></html>\n"
    )


def write_page(text: str, path: str | Path) -> Path:
    """Write the page to ``path`` (parent directories created); the path written.

    Raises
    ------
    ConfigError
        When the file cannot be written.
    """
    out = Path(path).expanduser()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"report path is {str(out)!r}, but it cannot be written: {exc.strerror or exc}"
        ) from None
    return out
