"""AdvisorSearchCV(n_trials=8) against RandomizedSearchCV(n_iter=8) over the same space.

On knowledge-base datasets held out of the ranker (their groups removed from the knowledge base
the advisor uses), each dataset is split 75/25; both searches run 3-fold cross-validation on
the first part over the full ``mlp`` space (RandomizedSearchCV samples the same ranges and
scales with scipy distributions) and are scored on the test part after refitting.

    .venv/bin/python benchmarks/sklearn/bench_sklearn.py [--seeds 2] [--datasets NAME ...]

Writes ``sklearn_benchmark.{md,json}`` next to this script.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))  # benchmarks, seedbuild
N_TRIALS = 8


def distributions() -> dict[str, Any]:
    from scipy.stats import loguniform, randint, uniform

    from advisor_core.spaces import MLP_SPACE, CategoricalParam, FloatParam, IntParam

    out: dict[str, Any] = {}
    for p in MLP_SPACE.params:
        if isinstance(p, CategoricalParam):
            out[p.name] = list(p.choices)
        elif isinstance(p, IntParam):
            out[p.name] = _LogInt(p.low, p.high) if p.log else randint(p.low, p.high + 1)
        else:
            assert isinstance(p, FloatParam)
            out[p.name] = loguniform(p.low, p.high) if p.log else uniform(p.low, p.high - p.low)
    return out


class _LogInt:
    """Integers log-uniform in [low, high] (what the space's int-log parameters mean)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def rvs(self, random_state: Any = None) -> int:
        rng = (
            random_state
            if hasattr(random_state, "uniform")
            else np.random.default_rng(random_state)
        )
        v = np.exp(rng.uniform(np.log(self.low - 0.5), np.log(self.high + 0.5)))
        return int(min(self.high, max(self.low, round(v))))


def run(name: str, seed: int, kb_url: str) -> dict[str, Any]:
    from sklearn.model_selection import RandomizedSearchCV, train_test_split

    from advisor.sklearn import AdvisorSearchCV, MLPClassifier, MLPRegressor
    from advisor.trials import set_threads
    from seedbuild.corpus import corpus, load_entry

    set_threads(1)
    ds = load_entry({e.name: e for e in corpus()}[name])
    X, y = ds.X, ds.y.to_numpy()
    clf = ds.task == "classification"
    tr, te = train_test_split(
        np.arange(ds.n_rows), test_size=0.25, random_state=seed, stratify=y if clf else None
    )
    scoring = "balanced_accuracy" if clf else "r2"
    est = (MLPClassifier if clf else MLPRegressor)(random_state=seed, kb=kb_url)
    out: dict[str, Any] = {"dataset": name, "task": ds.task, "seed": seed}
    t = time.time()
    adv = AdvisorSearchCV(
        est,
        n_trials=N_TRIALS,
        cv=3,
        scoring=scoring,
        kb=kb_url,
        random_state=seed,
        contribute=False,
    )
    adv.fit(X.iloc[tr], y[tr])
    out["advisor"] = {
        "cv": adv.best_score_,
        "test": adv.score(X.iloc[te], y[te]),
        "seconds": time.time() - t,
    }
    t = time.time()
    rnd = RandomizedSearchCV(
        est.set_params(hyperparameters="default"),
        distributions(),
        n_iter=N_TRIALS,
        cv=3,
        scoring=scoring,
        random_state=seed,
        error_score=np.nan,
    )
    rnd.fit(X.iloc[tr], y[tr])
    out["random"] = {
        "cv": rnd.best_score_,
        "test": rnd.score(X.iloc[te], y[te]),
        "seconds": time.time() - t,
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--datasets", nargs="*", default=None)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from concurrent.futures import ProcessPoolExecutor

    from advisor.facade import Advisor
    from benchmarks._shared.heldout import HELD_OUT, heldout_knowledge_base

    names = tuple(args.datasets or HELD_OUT[:6])
    kb_url, groups = heldout_knowledge_base(names)
    Advisor(kb_url).ranker("mlp", progress=lambda m: print(m, file=sys.stderr))
    jobs = [(n, s, kb_url) for n in names for s in range(args.seeds)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, *zip(*jobs, strict=True)))
    rows = [
        "| dataset | seed | AdvisorSearchCV test | RandomizedSearchCV test | "
        "AdvisorSearchCV CV | RandomizedSearchCV CV |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        rows.append(
            f"| {r['dataset']} | {r['seed']} | {r['advisor']['test']:.4f} | "
            f"{r['random']['test']:.4f} | {r['advisor']['cv']:.4f} | "
            f"{r['random']['cv']:.4f} |"
        )
    diff_test = [r["advisor"]["test"] - r["random"]["test"] for r in results]
    diff_cv = [r["advisor"]["cv"] - r["random"]["cv"] for r in results]
    wins = sum(d > 0 for d in diff_test)
    summary = (
        f"Mean test-score difference (advisor − random): {np.mean(diff_test):+.4f} "
        f"({wins}/{len(results)} runs won); mean CV difference {np.mean(diff_cv):+.4f}."
    )
    text = [
        "# AdvisorSearchCV(n_trials=8) vs RandomizedSearchCV(n_iter=8)",
        "",
        f"Generated by `benchmarks/sklearn/bench_sklearn.py`; datasets held out of the ranker "
        f"(groups {', '.join(groups)}); 3-fold CV on 75%, test on 25%; "
        "balanced accuracy / R².",
        "",
        summary,
        "",
        *rows,
        "",
    ]
    (HERE / "sklearn_benchmark.md").write_text("\n".join(text))
    (HERE / "sklearn_benchmark.json").write_text(json.dumps(results, indent=1))
    print(summary)


if __name__ == "__main__":
    main()
