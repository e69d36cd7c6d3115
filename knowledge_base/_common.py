"""Small helpers shared by the knowledge base's modules (private)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

#: Values per ``IN (...)`` clause.
IN_CHUNK = 500


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dumps_sorted(v: Any) -> str:
    """Canonical JSON text (sorted keys)."""
    return orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()
