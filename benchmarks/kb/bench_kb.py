"""Benchmark of the knowledge base: contribution rate and DataFrame load time.

Contributes N synthetic-but-valid trial records (200 datasets, real `mlp` configurations)
through ``KnowledgeBase.contribute`` in batches (validation included), on SQLite and on
PostgreSQL, then times ``KnowledgeBase.trials("mlp")`` (all trials with their datasets'
meta-features as a DataFrame).

    .venv/bin/python benchmarks/kb/bench_kb.py [--n 100000] [--batch 10000] [--pg URL | --no-pg]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid

import numpy as np

from advisor.metafeatures import VERSION, feature_names
from advisor_core.spaces import MLP_SPACE
from knowledge_base import KnowledgeBase


def make_records(n: int, n_datasets: int = 200) -> list[dict]:
    rng = np.random.default_rng(0)
    configs = MLP_SPACE.sample(512, seed=1)
    names = feature_names()
    datasets = []
    for d in range(n_datasets):
        mf = {k: float(v) for k, v in zip(names, rng.random(len(names)), strict=True)}
        datasets.append(
            {
                "fingerprint": f"{d:016x}",
                "name": f"ds{d}",
                "source": "bench",
                "group": f"g{d // 2}",
                "task": "classification",
                "n_rows": 1000,
                "n_features": 10,
                "n_classes": 2,
                "meta_features_version": VERSION,
                "meta_features": mf,
            }
        )
    out = []
    for i in range(n):
        score = float(rng.random())
        out.append(
            {
                "trial_id": f"bench-{i}",
                "dataset": datasets[i % n_datasets],
                "config": configs[i % len(configs)],
                "seed": 0,
                "epochs": 20,
                "max_epochs": 20,
                "learning_curve": [
                    {"epoch": e, "objective": score, "train_loss": 0.5, "valid_loss": 0.6}
                    for e in range(1, 21)
                ],
                "metrics": {"accuracy": score, "balanced_accuracy": score},
                "objective": "balanced_accuracy",
                "score": score,
                "status": "complete",
                "runtime_s": 1.0,
            }
        )
    return out


def bench(url: str, records: list[dict], batch: int) -> None:
    kb = KnowledgeBase(url)
    t = time.perf_counter()
    for start in range(0, len(records), batch):
        kb.contribute(records[start : start + batch])
    insert = time.perf_counter() - t
    t = time.perf_counter()
    again = kb.contribute(records[:batch])
    dup = time.perf_counter() - t
    loads = []
    for _ in range(3):
        t = time.perf_counter()
        df = kb.trials("mlp")
        loads.append(time.perf_counter() - t)
    assert len(df) == len(records) and again.duplicates == min(batch, len(records))
    print(f"{kb.display_url.split('?')[0]}")
    print(
        f"  contribute {len(records):,} trials in batches of {batch:,}: {insert:6.2f} s "
        f"= {len(records) / insert:8,.0f} trials/s (validation included)"
    )
    print(f"  re-send {min(batch, len(records)):,} duplicates: {dup:6.2f} s")
    print(
        f"  load all trials + meta-features into a DataFrame ({df.shape[0]:,} x "
        f"{df.shape[1]}): best of 3 {min(loads):.2f} s"
    )
    kb.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    records = make_records(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.sqlite", records, args.batch)
    if not args.no_pg:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        raw = args.pg.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            bench(f"{args.pg}?options=-csearch_path%3D{schema}", records, args.batch)
        finally:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
