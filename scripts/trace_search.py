"""Prints the trials of one search, one line each, on a dataset held out of the ranker.

The same split, knowledge base (the dataset's group removed) and runner as
``scripts/bench_search.py``: for looking at where a strategy spends its trials (which regions
of the space the ranker's list covers, what the refinement proposes, what is pruned).

    .venv/bin/python scripts/trace_search.py keel:german [--strategy advisor] [--seed 0]
        [--budget 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


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
    from _heldout import heldout_knowledge_base
    from bench_search import _split, parse_strategy

    from advisor.facade import Advisor
    from advisor.trials import set_threads

    set_threads(2)
    kb_url, groups = heldout_knowledge_base((args.dataset,))
    print(f"ranker trained without groups {groups}", file=sys.stderr)
    search_part, _ = _split(args.dataset, args.seed)
    base, options = parse_strategy(args.strategy)
    result = Advisor(kb_url, device="cpu").search(
        search_part,
        n_trials=args.budget,
        strategy=base,
        seed=args.seed,
        contribute=False,
        sampler_options=options or None,
    )
    for r in result.trials.sort_values("number").to_dict("records"):
        score = "-" if r["score"] is None else f"{r['score']:.4f}"
        head = f"{r['number']:>3} {r['status']:<9} {score:>7} {r['epochs']:>3}"
        print(f"{head}  {_short(r['config'])}")
    print(f"best {result.best_score}")


if __name__ == "__main__":
    main()
