"""Offline simulation of the search strategies on knowledge-base datasets (no training).

A cheap proxy of ``benchmarks/search/bench_search.py`` for design decisions of the search (for
example the sampler's hand-over from the ranker's prior to the observed trials): the objective
of a configuration on a dataset is looked up in the seed knowledge base (the value of the
nearest of the design's configurations evaluated on that dataset, in unit space; diverged trials
count as the worst). The ranker is trained without the simulated datasets' groups. The simulated
datasets are real corpus datasets chosen by a fixed rule and disjoint from the groups of the
online benchmark (``benchmarks/_shared/heldout.py``), so that a choice made here is not tuned on
the datasets that judge it.

Every trial costs 1 (no pruning, no noise), so the figures are optimistic for every strategy
alike; normalized regret = (best of the design - best found) / (best - worst of the design).

    .venv/bin/python experiments/search_simulation/search_simulation.py [--n 12] [--seeds 3]
        [--budget 20]
        [--strategies advisor advisor:handover=10 advisor:n_explore=200 warm:list_distance=0.2]
        [--no-cold] [--out experiments/search_simulation/search_simulation.md]

Prints the mean normalized regret per strategy at 3, 5, 10 and 20 trials (``--out FILE``:
also as a markdown report). Strategies are those of the search (the warm start and the list
are exactly ``suggest``'s for the seed); the design runs' variants (``refiner``, ``tpe_after``,
``list_adapt``, ``n_explore``, ``local_scales``) are the policies of
``experiments/search_design/policies.py``.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # benchmarks, seedbuild
BUDGETS = (3, 5, 10, 20)


def pick_datasets(n: int) -> list[str]:
    """``n`` real, fully built seed datasets outside the online benchmark's groups (2/3
    classification, 1/3 regression; one per group; a fixed pseudo-random order)."""
    from collections import Counter

    from benchmarks._shared.heldout import HELD_OUT
    from knowledge_base import SEED_FILE
    from knowledge_base.logfiles import read_records
    from seedbuild.corpus import corpus

    entries = {e.name: e for e in corpus()}
    banned = {entries[h].group for h in HELD_OUT}
    counts = Counter(r["dataset"]["name"] for r in read_records(SEED_FILE) if r["seed"] == 0)
    full = [k for k, v in counts.items() if v >= 96 and k in entries]
    out: dict[str, list[str]] = {"classification": [], "regression": []}
    groups: set[str] = set()
    for name in sorted(full, key=lambda s: zlib.crc32(("sim" + s).encode())):
        e = entries[name]
        if e.synthetic or e.group in banned or e.group in groups:
            continue
        want = {"classification": n - n // 3, "regression": n // 3}[e.task]
        if len(out[e.task]) < want:
            out[e.task].append(name)
            groups.add(e.group)
    return out["classification"] + out["regression"]


def run(
    prior: Any, table: tuple[np.ndarray, np.ndarray], strategy: str, seed: int, budget: int
) -> list[float]:
    """Best-so-far objective after each trial."""
    import optuna

    from advisor.candidates import MIN_DISTANCE, rank_candidates
    from advisor.search import AdvisorSampler, distributions, enqueue_warm_start, suggest_config
    from benchmarks.search.bench_search import parse_strategy
    from experiments.search_design.policies import sampler_options

    units, values = table
    space = prior.space
    dists = distributions(space)

    def lookup(config: dict[str, Any]) -> float:
        d = prior.distance(prior.units([config]), units)[0]
        return float(values[int(np.argmin(d))])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler: optuna.samplers.BaseSampler
    warm: list[dict[str, Any]] = []
    base, opts = parse_strategy(strategy)
    distance = opts.get("list_distance", MIN_DISTANCE)
    ranked = rank_candidates(prior, seed=seed)  # the list suggest() shows for this seed
    if base == "advisor":
        options = sampler_options(ranked, seed, opts) or {}
        sampler = AdvisorSampler(ranked, seed=seed, **options)
        warm = ranked.diverse_configs(3, distance)
    elif base == "warm":  # the list alone: all of it enqueued
        sampler = optuna.samplers.RandomSampler(seed=seed)
        warm = ranked.diverse_configs(budget, distance)
    elif strategy == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    enqueue_warm_start(study, warm)
    study.optimize(
        lambda t: lookup(space.validate(suggest_config(t, dists))),
        n_trials=budget,
    )
    vals = [t.value for t in sorted(study.trials, key=lambda t: t.number)]
    return list(np.maximum.accumulate(np.array(vals, dtype=float)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="simulated datasets")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=20)
    ap.add_argument(
        "--strategies",
        nargs="*",
        default=["advisor", "warm"],
        help="strategies as in bench_search.py, e.g. advisor:handover=10 warm:list_distance=0.2",
    )
    ap.add_argument("--no-cold", action="store_true", help="skip tpe and random")
    ap.add_argument("--out", default=None, help="also write the table (markdown) to this file")
    args = ap.parse_args()
    from advisor.candidates import MIN_DISTANCE, Prior
    from advisor.facade import Advisor
    from benchmarks._shared.heldout import heldout_knowledge_base
    from knowledge_base import SEED_FILE
    from knowledge_base.logfiles import read_records

    names = pick_datasets(args.n)
    print(f"simulated datasets: {', '.join(names)}", file=sys.stderr)
    kb_url, _ = heldout_knowledge_base(tuple(names))
    art = Advisor(kb_url).ranker("mlp")
    recs: dict[str, list[dict[str, Any]]] = {n: [] for n in names}
    for r in read_records(SEED_FILE):
        if r["dataset"]["name"] in recs and r["seed"] == 0:
            recs[r["dataset"]["name"]].append(r)
    strategies = list(args.strategies)
    if not args.no_cold:
        strategies += ["tpe", "random"]
    regrets: dict[str, dict[int, list[float]]] = {s: {b: [] for b in BUDGETS} for s in strategies}
    for name in names:
        rs = recs[name]
        prior = Prior(art, rs[0]["dataset"]["meta_features"], rs[0]["dataset"]["task"])
        scores = np.array([np.nan if r["score"] is None else float(r["score"]) for r in rs])
        worst = float(np.nanmin(scores))
        values = np.where(np.isnan(scores), worst, scores)
        table = (prior.units([r["config"] for r in rs]), values)
        best = float(values.max())
        span = max(best - worst, 1e-9)
        for seed in range(args.seeds):
            for s in strategies:
                curve = run(prior, table, s, seed, args.budget)
                for b in BUDGETS:
                    if b <= len(curve):
                        regrets[s][b].append((best - curve[b - 1]) / span)
        print(f"  {name} done", file=sys.stderr, flush=True)
    lines = [
        f"{len(names)} datasets x {args.seeds} seeds; mean normalized regret (lookup objective)",
        "",
        "| strategy | " + " | ".join(f"{b} trials" for b in BUDGETS) + " |",
        "| --- |" + " --- |" * len(BUDGETS),
    ]
    for s in strategies:
        cells = [f"{np.mean(regrets[s][b]):.4f}" if regrets[s][b] else "-" for b in BUDGETS]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    if args.out:
        cmd = " ".join(["experiments/search_simulation/search_simulation.py", *sys.argv[1:]])
        head = [
            "# Offline search simulation (objective looked up in the seed knowledge base)",
            "",
            f"Generated by `{cmd}`. Simulated datasets (outside the online benchmark's "
            f"groups; the ranker is trained without them): {', '.join(names)}.",
            "",
            f"Strategies without options use the defaults (the list at least "
            f"{MIN_DISTANCE:g} apart). The objective of a configuration is that of the "
            "nearest design configuration evaluated on the dataset, so a refinement near the "
            "best trial often looks up the same value: these figures judge the ranker's list, "
            "not the refinement after it (the online design runs do).",
            "",
        ]
        Path(args.out).write_text("\n".join(head + lines) + "\n")


if __name__ == "__main__":
    main()
