"""A small synthetic knowledge base whose best learning rate depends on the dataset's size.

Meta-features are real (extracted from small generated datasets); trial outcomes follow a known
rule, so a ranker that uses meta-features can be told apart from a portfolio that cannot.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from advisor.data import load_dataset
from advisor.metafeatures import extract
from advisor.records import deterministic_trial_id
from advisor_core.spaces import MLP_SPACE, named_config


def best_log_lr(n_rows: int) -> float:
    """Small datasets like large learning rates; large ones small (the hidden rule)."""
    return -1.5 - 1.8 * (math.log10(n_rows) - 2.0)


@lru_cache(maxsize=1)
def synthetic_datasets(n: int = 36) -> tuple[tuple[dict[str, Any], int], ...]:
    from sklearn.datasets import make_classification, make_regression

    out = []
    rng = np.random.default_rng(0)
    for i in range(n):
        rows = int(10 ** rng.uniform(2.0, 3.4))
        if i % 3 == 2:
            X, y = make_regression(n_samples=rows, n_features=6, noise=5.0, random_state=i)
        else:
            X, y = make_classification(n_samples=rows, n_features=6, random_state=i)
        ds = load_dataset(X, y=y, task="regression" if i % 3 == 2 else "classification")
        mf = extract(ds)
        info = {
            "fingerprint": ds.fingerprint(),
            "name": f"syn{i}",
            "source": "tests",
            "group": f"g{i // 2}",
            "task": ds.task,
            "n_rows": ds.n_rows,
            "n_features": ds.n_features,
            "n_classes": ds.n_classes,
            "meta_features_version": mf.version,
            "meta_features": dict(mf.values),
        }
        out.append((info, rows))
    return tuple(out)


def design(n: int = 24) -> list[dict[str, Any]]:
    return [named_config("default"), *MLP_SPACE.sample(n - 1, seed=7)]


def records(n_datasets: int = 36, n_configs: int = 24) -> list[dict[str, Any]]:
    recs = []
    rng = np.random.default_rng(1)
    for info, rows in synthetic_datasets(n_datasets):
        target = best_log_lr(rows)
        for cfg in design(n_configs):
            gap = abs(math.log10(cfg["learning_rate"]) - target)
            value = 0.95 - 0.12 * gap + 0.01 * rng.normal()
            if info["task"] == "regression":
                value = 0.9 - 0.2 * gap + 0.01 * rng.normal()
            curve = [
                {
                    "epoch": e,
                    "objective": float(value - 0.02 * (3 - e) ** 2 / 9),
                    "train_loss": 0.5,
                    "valid_loss": 0.5,
                }
                for e in (1, 2, 3)
            ]
            recs.append(
                {
                    "trial_id": deterministic_trial_id("syn", info["fingerprint"], repr(cfg)),
                    "dataset": info,
                    "space_version": MLP_SPACE.version,
                    "config": cfg,
                    "seed": 0,
                    "epochs": 3,
                    "max_epochs": 3,
                    "learning_curve": curve,
                    "metrics": {},
                    "objective": "balanced_accuracy" if info["task"] == "classification" else "r2",
                    "score": curve[-1]["objective"],
                    "status": "complete",
                    "runtime_s": 0.1,
                }
            )
    return recs
