"""Reading trial logs in JSON Lines: one record per line, a bad line becomes a problem.

A line that is not JSON (or is too long) is yielded as a :class:`BadLine`, which validation
reports with the line's index instead of stopping the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from knowledge_base.log_format import LIMITS

__all__ = ["BadLine", "iter_jsonl"]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def iter_jsonl(path: str | Path) -> Iterator[Any]:
    """Records of a JSON Lines file; a line that is not JSON becomes a problem, not a crash."""
    p = Path(path)
    with p.open("r", encoding="utf-8", errors="strict") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            if len(line) > LIMITS["line_bytes"]:
                yield BadLine(lineno, f"line {lineno} is longer than {LIMITS['line_bytes']} bytes")
                continue
            try:
                yield json.loads(line, parse_constant=_reject_constant)
            except ValueError as exc:
                yield BadLine(lineno, f"line {lineno} is not valid JSON ({str(exc)[:80]})")


class BadLine(dict[str, str]):
    """Stands in for an unparsable line so validation reports it with its index."""

    def __init__(self, lineno: int, reason: str) -> None:
        super().__init__({"__bad_line__": reason})
        self.reason = reason
