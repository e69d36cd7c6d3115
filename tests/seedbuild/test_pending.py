"""A long seed build keeps its finished trials without changing the shipped seed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from knowledge_base import KnowledgeBase
from knowledge_base.logfiles import write_parquet
from seedbuild import build
from tests.ranker_helpers import records


def test_pending_holds_exactly_the_trials_the_shipped_seed_lacks(
    tmp_path: Path, monkeypatch
) -> None:
    recs = records()[:40]
    seed_dir = tmp_path / "seed"
    seed_dir.mkdir()
    write_parquet(recs[:25], seed_dir / "trials.parquet")  # what is shipped
    monkeypatch.setattr(build, "SEED_DIR", seed_dir)
    monkeypatch.setattr(build, "PENDING", tmp_path / "pending" / "trials.parquet")
    kb = KnowledgeBase(f"sqlite:///{tmp_path / 'work.sqlite'}")
    kb.contribute(recs)  # the work store: the seed and 15 new trials
    assert build.export_pending(kb) == 15
    pending = set(pq.read_table(build.PENDING, columns=["trial_id"]).column(0).to_pylist())
    assert pending == {r["trial_id"] for r in recs[25:]}
    assert pq.read_table(seed_dir / "trials.parquet").num_rows == 25  # the seed is untouched
