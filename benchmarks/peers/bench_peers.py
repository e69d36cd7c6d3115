"""Peer benchmark: the advisor's search against the tools people would use instead.

Every method tunes the ``mlp`` space on the same splits of external datasets (never in the
knowledge base), with the project's own trial runner (20 epochs): the advisor's search as a
user runs it (warm start, refinement, pruning), Optuna's TPE cold and with the advisor's
suggestions enqueued, random, SMAC3, FLAML's CFO and BlendSearch (started from ``default``),
and Syne Tune's transfer-learning schedulers (zero-shot, bounding box, quantile-based
surrogate), given the knowledge base as their transfer data. See ``methods.py``,
``smac_flaml_peers.py``, ``synetune_peers.py``.

Reported (``peer_benchmark.md``, ``.png``): mean normalized regret of the **test** objective of
each method's best configuration so far (by validation) at 5, 10, 20 and 40 trials (the
headline), the same for the validation objective, regret against total epochs trained, and how
many trials the best cold peer needs to match the advisor's validation regret at 10.
Normalized regret = (best seen by any method on that dataset and seed − the method's) /
(that best − the trivial level: chance balanced accuracy, R² 0), clipped to [0, 1].

    .venv/bin/python benchmarks/peers/bench_peers.py [--seeds 0 1 2 3 4] [--budget 40]
        [--datasets NAME ...] [--methods NAME ...] [--report-only]

Needs the ``bench`` extra (``pip install -e .[bench]``) for the peers. Each finished run is
appended to ``runs.jsonl`` here and skipped when the script runs again (resumable).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

RUNS = HERE / "runs.jsonl"
#: 12 external datasets, smallest first: 6 regression, 6 classification; 5 under 500 rows, 3
#: over 5,000 (subsampled to 8,000 rows: 5,600 to search on).
DATASETS = (
    "external:quantreg:barro",
    "external:MASS:crabs",
    "external:MASS:cpus",
    "external:survival:pbc",
    "external:texmex:liver",
    "external:pscl:vote92",
    "external:Stat2Data:GrinnellHouses",
    "external:psych:bfi",
    "external:survival:nwtco",
    "external:ratdat:complete",
    "external:stevedata:gss_wages",
    "external:stevedata:TV16",
)


def run_one(name: str, seed: int, method: str, budget: int) -> dict[str, Any]:
    from advisor.trials import set_threads
    from benchmarks.peers.methods import all_methods
    from benchmarks.peers.problem import Problem, best_so_far, to_json

    set_threads(1)
    problem = Problem(name, seed)
    t0 = time.time()
    trials = to_json(all_methods()[method](problem, budget, seed))
    seconds = time.time() - t0
    tests: dict[str, float | None] = {}
    for _, key in best_so_far(trials):
        if key is not None and key not in tests:
            tests[key] = problem.test_score(json.loads(key))
    return {
        "dataset": name,
        "task": problem.task,
        "floor": problem.floor,
        "seed": seed,
        "method": method,
        "budget": budget,
        "trials": trials,
        "tests": tests,
        "seconds": round(seconds, 1),
    }


def load_runs() -> list[dict[str, Any]]:
    if not RUNS.exists():
        return []
    out = []
    for line in RUNS.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # a torn line: that run is simply redone
            print(f"skipping an unreadable line of {RUNS.name}", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--budget", type=int, default=40)
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS))
    ap.add_argument("--methods", nargs="+", default=None)
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()

    from benchmarks.peers.methods import all_methods
    from benchmarks.peers.report import write_report

    if not args.report_only:
        methods = args.methods or list(all_methods())
        done = {(r["dataset"], r["seed"], r["method"]) for r in load_runs()}
        todo = [
            (d, s, m)
            for s in args.seeds
            for d in args.datasets
            for m in methods
            if (d, s, m) not in done
        ]
        print(f"{len(todo)} runs to do ({len(done)} done)", flush=True)
        for i, (d, s, m) in enumerate(todo, 1):
            try:
                rec = run_one(d, s, m, args.budget)
            except Exception as exc:  # one peer failing must not stop the others
                print(f"[{i}/{len(todo)}] {d} seed {s} {m} FAILED: {exc!r}"[:400], flush=True)
                continue
            with RUNS.open("ab", buffering=0) as f:  # one write: processes may share the file
                f.write((json.dumps(rec) + "\n").encode())
            print(f"[{i}/{len(todo)}] {d} seed {s} {m}: {rec['seconds']} s", flush=True)
    write_report(load_runs(), HERE / "peer_benchmark.md")


if __name__ == "__main__":
    main()
