"""Reading and writing trial-log files: JSON Lines (the contribution format) and Parquet.

Parquet holds one row per record; nested fields (``dataset``, ``config``, ``learning_curve``,
``metrics``, ``space_definition``) are JSON strings, so both formats round-trip every field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from advisor_core.errors import KnowledgeBaseError
from knowledge_base.jsonl import iter_jsonl

__all__ = ["FORMATS", "read_records", "write_jsonl", "write_parquet"]

FORMATS = ("jsonl", "parquet")
_NESTED = ("dataset", "config", "learning_curve", "metrics", "space_definition")


def _kind(path: Path) -> str:
    name = path.name.lower()
    return "parquet" if name.endswith((".parquet", ".pq")) else "jsonl"


def read_records(path: str | Path) -> Iterator[Any]:
    """Records of a ``.jsonl`` or ``.parquet`` trial log (unparsable lines are reported later)."""
    p = Path(path)
    if not p.is_file():
        raise KnowledgeBaseError(f"{p}: file not found")
    if _kind(p) == "jsonl":
        yield from iter_jsonl(p)
        return
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as exc:
        raise KnowledgeBaseError(f"{p}: cannot read as Parquet ({str(exc)[:120]})") from None
    for row in table.to_pylist():
        rec = {k: v for k, v in row.items() if v is not None or k == "score"}
        for k in _NESTED:
            if isinstance(rec.get(k), str):
                rec[k] = json.loads(rec[k])
        yield rec


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    n = 0
    for rec in records:
        out.write(json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n")
        n += 1
    return n


def write_parquet(records: Iterable[dict[str, Any]], path: str | Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for rec in records:
        row = dict(rec)
        for k in _NESTED:
            if k in row:
                row[k] = json.dumps(row[k], separators=(",", ":"), allow_nan=False)
        rows.append(row)
    columns = sorted({k for r in rows for k in r})
    table = pa.table({c: [r.get(c) for r in rows] for c in columns})
    pq.write_table(table, path, compression="zstd")
    return len(rows)
