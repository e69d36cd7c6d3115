"""Prints the trials of one search, one line each, on a dataset held out of the ranker.

A tool of the search benchmark: the same split, knowledge base (the dataset's group removed)
and runner as ``bench_search.py`` next to it, for looking at where a strategy spends its trials
(which regions of the space the ranker's list covers, what the refinement proposes, what is
pruned); each line names who proposed the trial.

    .venv/bin/python benchmarks/search/trace_search.py keel:german [--strategy advisor]
        [--seed 0] [--budget 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))  # benchmarks, seedbuild


def _short(config: dict[str, object]) -> str:
    return " ".join(
        f"{k}={v:.2g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items()
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", help="a corpus dataset name, e.g. keel:german")
    ap.add_argument("--strategy", default="advisor", help="as in bench_search.py")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=int, default=20)
    args = ap.parse_args()
    from advisor.facade import Advisor
    from advisor.trials import set_threads
    from benchmarks._shared.heldout import heldout_knowledge_base
    from benchmarks.search.bench_search import _split, parse_strategy
    from experiments.search_design.policies import search_options

    set_threads(2)
    kb_url, groups = heldout_knowledge_base((args.dataset,))
    print(f"ranker trained without groups {groups}", file=sys.stderr)
    search_part, _ = _split(args.dataset, args.seed)
    base, options = parse_strategy(args.strategy)
    adv = Advisor(kb_url, device="cpu")
    result = adv.search(
        search_part,
        n_trials=args.budget,
        strategy=base,
        seed=args.seed,
        contribute=False,
        sampler_options=search_options(adv, search_part, args.seed, options),
    )
    who = {t.number: t.user_attrs.get("proposed_by", "") for t in result.study.trials}
    for r in result.trials.sort_values("number").to_dict("records"):
        score = "-" if r["score"] is None else f"{r['score']:.4f}"
        head = f"{r['number']:>3} {r['status']:<9} {score:>7} {r['epochs']:>3}"
        print(f"{head} {who.get(r['number'], ''):<10}  {_short(r['config'])}")
    print(f"best {result.best_score}")


if __name__ == "__main__":
    main()
