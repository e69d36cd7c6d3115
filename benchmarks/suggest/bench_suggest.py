"""Benchmark of ``advisor suggest``: end to end on new data, and from precomputed meta-features.

1. ``advisor suggest DATA --target y --json`` as a fresh process on a synthetic 10,000 x 50
   dataset that shares no rows with the knowledge base (goal: under 3 s, imports included);
2. ``Advisor.suggest(meta_features=..., task=...)`` in Python with 2,000 candidates, repeated
   (goal: median under 50 ms).

    .venv/bin/python benchmarks/suggest/bench_suggest.py [--kb URL] [--repeats 50]

Without ``--kb`` it uses a temporary copy of the shipped seed (the ranker is trained or loaded
once before timing, as it is for a user after the first call).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=None)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    from advisor.facade import Advisor
    from advisor.metafeatures import extract
    from knowledge_base import KnowledgeBase

    tmp = Path(tempfile.mkdtemp())
    os.environ.setdefault("ADVISOR_HOME", str(tmp / "home"))
    url = args.kb or f"sqlite:///{tmp / 'kb.sqlite'}"
    if args.kb is None:
        KnowledgeBase(url, seed=True).close()
    adv = Advisor(url)
    t = time.perf_counter()
    adv.ranker("mlp", progress=lambda m: print(m, file=sys.stderr))
    print(f"ranker ready in {time.perf_counter() - t:.2f} s (first use; cached afterwards)")

    X, y = make_classification(
        n_samples=10_000, n_features=50, n_informative=12, random_state=12345
    )
    data = tmp / "new_10k_x_50.csv"
    pd.DataFrame(X, columns=[f"f{i}" for i in range(50)]).assign(y=y).to_csv(data, index=False)
    exe = Path(sys.executable).parent / "advisor"
    times = []
    for _ in range(3):
        t = time.perf_counter()
        res = subprocess.run(
            [str(exe), "suggest", str(data), "--target", "y", "--kb", url, "--json"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ},
        )
        times.append(time.perf_counter() - t)
        if res.returncode != 0:
            sys.exit(res.stderr)
    print(
        f"advisor suggest (new process, 10,000 x 50 CSV): median {statistics.median(times):.2f}"
        f" s over 3 runs (min {min(times):.2f} s)"
    )

    from advisor.data import load_dataset

    mf = extract(load_dataset(data, "y"))
    lat = []
    for i in range(args.repeats + 3):
        t = time.perf_counter()
        adv.suggest(meta_features=mf.values, task=mf.task, k=5, n_candidates=2000, seed=i)
        if i >= 3:
            lat.append((time.perf_counter() - t) * 1000)
    print(
        f"Advisor.suggest(meta_features=..., 2,000 candidates): median {np.median(lat):.1f} ms,"
        f" p90 {np.percentile(lat, 90):.1f} ms, over {args.repeats} calls"
    )


if __name__ == "__main__":
    main()
