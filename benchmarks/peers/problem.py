"""One tuning problem of the peer benchmark, as every method sees it.

A :class:`Problem` is an external dataset (never in the knowledge base), split 70/30 into a
search part and a test part with a fixed seed; the search part is split again 80/20 into
train and validation by the project's own runner (``SplitCache``). Every method proposes
configurations of the ``mlp`` space and gets back the validation objective of a full trial
(:meth:`Problem.evaluate`: the project's runner, ``EPOCHS`` epochs, the run's seed), except the
advisor's own search, which runs as a user would run it (warm start, pruning) and is read
back from its trials. After a run, the best configuration so far after each trial is scored
on the test part (:meth:`Problem.test_score`: the same training, its best-epoch model).

Peers plug in as functions ``run(problem, budget, seed) -> list[Trial]``; a peer that learns
from other datasets takes :meth:`Problem.transfer_data` (the shipped seed knowledge base: it
never saw these datasets).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

EPOCHS = 20


@dataclass
class Trial:
    """One finished trial: its configuration, validation objective (``None`` if it failed or
    diverged), epochs trained and who proposed it."""

    config: dict[str, Any]
    valid: float | None
    epochs: int
    proposed_by: str = ""


@dataclass
class Problem:
    """The dataset ``name`` (``benchmarks.external.datasets``) split with ``seed``."""

    name: str
    seed: int
    max_rows: int = 8000
    _cache: Any = field(default=None, repr=False)

    @cached_property
    def parts(self) -> tuple[Any, Any]:
        """(search part, test part) as :class:`advisor.data.Dataset`."""
        from advisor.data import load_dataset
        from benchmarks.external.datasets import _resolve, train_test

        train, test = train_test(
            self.name, seed=self.seed, test_fraction=0.3, max_rows=self.max_rows
        )
        target = _resolve(self.name).target
        search = load_dataset(train, target)
        held = load_dataset(test, target, task=search.task, min_rows=1, min_rows_per_class=1)
        return search, held

    @property
    def task(self) -> str:
        return str(self.parts[0].task)

    @property
    def floor(self) -> float:
        """The trivial objective: chance balanced accuracy, or R² 0."""
        ds = self.parts[0]
        return 1.0 / float(ds.n_classes) if self.task == "classification" else 0.0

    @property
    def objective(self) -> str:
        return "balanced_accuracy" if self.task == "classification" else "r2"

    @cached_property
    def cache(self) -> Any:
        """The search part's train/validation split (``SplitCache``), shared by every trial."""
        from advisor.data import SplitCache

        return SplitCache(self.parts[0], seed=self.seed)

    @property
    def space(self) -> Any:
        from advisor_core.spaces import MLP_SPACE

        return MLP_SPACE

    def evaluate(self, config: dict[str, Any], epochs: int = EPOCHS) -> Trial:
        """Train ``config`` (completed from the space's default) with the project's runner;
        its validation objective at the best epoch."""
        from advisor.trials import TrialSpec, run_trials

        cfg = self.space.validate(config, complete=True)
        spec = TrialSpec(cfg, self.seed, epochs, epochs, 300.0)
        res = run_trials(self.cache, [spec], device="cpu")[0][0]
        ok = res.status in ("complete", "timeout") and res.score is not None
        valid = float(res.score) if ok and math.isfinite(float(res.score)) else None
        return Trial(cfg, valid, int(res.epochs))

    def test_score(self, config: dict[str, Any]) -> float | None:
        """The test objective of ``config`` trained as in :meth:`evaluate` (best-epoch model)."""
        from advisor.trials import fit_model

        _, model = fit_model(self.cache, config, epochs=EPOCHS, seed=self.seed, device="cpu")
        if model is None:
            return None
        v = model.metrics(self.parts[1]).get(self.objective)
        return None if v is None or not math.isfinite(float(v)) else float(v)

    def meta_features(self) -> dict[str, float | None]:
        from advisor.metafeatures import extract

        return dict(extract(self.parts[0]).values)


def transfer_data(kb_url: str | None = None, task: str | None = None) -> pd.DataFrame:
    """The knowledge base's trials as transfer data for the peers: one row per (dataset,
    configuration) with the seed-averaged validation objective at 20 epochs, normalized within
    the dataset (``norm``: 1 best, 0 worst), the configuration (``config``, a dict of the space)
    and the dataset's meta-features (``mf.*`` columns). ``task`` keeps one task's datasets."""
    from advisor.facade import Advisor

    adv = Advisor(kb_url)
    table = adv.performance_table("mlp")
    values = table.values
    values = values[values["fingerprint"].str.endswith(f"@{EPOCHS}")]  # the 20-epoch budget
    datasets = table.datasets
    if task is not None:
        datasets = datasets[datasets["task"] == task]
        values = values[values["fingerprint"].isin(datasets.index)]
    rows = values[["fingerprint", "config_hash", "value", "norm"]].copy()
    rows["config"] = [table.configs[h] for h in rows["config_hash"]]
    mf = datasets[[c for c in datasets.columns if c.startswith("mf.")]]
    out = rows.join(mf, on="fingerprint")
    out["dataset"] = out["fingerprint"]
    return out.reset_index(drop=True)


def to_json(trials: list[Trial]) -> list[dict[str, Any]]:
    return [
        {"config": t.config, "valid": t.valid, "epochs": t.epochs, "proposed_by": t.proposed_by}
        for t in trials
    ]


def best_so_far(trials: list[dict[str, Any]]) -> list[tuple[float | None, str | None]]:
    """After each trial: the best validation objective so far and its configuration (JSON)."""
    best, key, out = -np.inf, None, []
    for t in trials:
        if t["valid"] is not None and t["valid"] > best:
            best, key = float(t["valid"]), json.dumps(t["config"], sort_keys=True)
        out.append((None if key is None else best, key))
    return out
