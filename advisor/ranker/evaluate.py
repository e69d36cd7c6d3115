"""Offline evaluation, leave-one-group-out (HPO-B style).

For each held-out group, every method is fitted on the other groups only and orders the
configurations evaluated on each held-out dataset. Truth is the dataset's performance table
(seed-averaged, smoothed, floored values). Metrics per dataset, then averaged:

* ``regret@k`` = (best − best of the first k) / (best − worst);
* ``ndcg@5`` with the normalized score as gain;
* ``avg_rank`` = the method's rank among all methods by regret@1 (1 = best, ties shared).

Methods: ``ranker`` (the advice's list: the LambdaMART ranker's first, then alternately
``knn``'s and the ranker's next picks, :mod:`advisor.ranker.knn`), ``default`` (``default``
first, then random order; expected value), ``random`` (expected value, exact), ``portfolio``
(average rank on the training datasets, no meta-features), ``knn`` (auto-sklearn style: the
best configuration of each nearest training dataset by scaled L1 distance, then the
portfolio), ``regressor`` (a pointwise LightGBM regressor on the ranker's features),
``advice`` (``ranker``'s list under the evidence part of the no-harm rule,
:mod:`advisor.ranker.no_harm`: its favourite goes first only when, on the ``N_NEIGHBORS``
nearest training datasets of the task where both ran, it beat ``default`` by at least
``MIN_GAIN`` on average and on more than ``MIN_WIN_SHARE`` of them; otherwise ``default`` goes
first, then ``ranker``'s list).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from advisor.ranker.features import FeatureSpace
from advisor.ranker.fit import fit_ranker, ranker_params, training_rows
from advisor.ranker.knn import interleave, knn_scores, portfolio_rank
from advisor.ranker.model import regressor
from advisor.ranker.no_harm import nearest_differences, neighbours_support
from advisor.ranker.table import PerformanceTable, source_of
from advisor_core.spaces import config_hash, named_config

__all__ = [
    "METHODS",
    "EvaluationResult",
    "HeldOutQuery",
    "evaluate",
    "held_out_query",
    "order_metrics",
    "source_of",
]

METHODS = ("ranker", "default", "random", "portfolio", "knn", "regressor", "advice")
KS = (1, 3, 5)


def _comb(n: int, k: int) -> float:
    return float(math.comb(n, k)) if 0 <= k <= n else 0.0


def _expected_best_random(values_desc: np.ndarray, k: int) -> float:
    """E[max of a uniformly random k-subset] of values sorted in descending order."""
    n = len(values_desc)
    k = min(k, n)
    total = _comb(n, k)
    probs = np.array([_comb(n - i - 1, k - 1) / total for i in range(n)])
    return float(np.dot(probs, values_desc))


def _dcg(gains: np.ndarray) -> float:
    return float(np.sum(gains / np.log2(np.arange(2, len(gains) + 2))))


@dataclass
class EvaluationResult:
    """Per-dataset metrics of every method, and their means."""

    per_dataset: pd.DataFrame
    methods: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def metrics(self, frame: pd.DataFrame | None = None) -> dict[str, dict[str, float]]:
        f = self.per_dataset if frame is None else frame
        out: dict[str, dict[str, float]] = {}
        for col in [*(f"regret@{k}" for k in KS), "ndcg@5", "avg_rank"]:
            out[col] = {m: float(f[f["method"] == m][col].mean()) for m in self.methods}
        return out

    def to_dict(self) -> dict[str, Any]:
        by_task = {task: self.metrics(g) for task, g in self.per_dataset.groupby("task")}
        n = self.per_dataset["dataset"].nunique()
        return {
            "metrics": self.metrics(),
            "by_task": by_task,
            "datasets": n,
            "groups": self.per_dataset["group"].nunique(),
            "params": self.params,
        }


def order_metrics(order_values: np.ndarray, truth_desc: np.ndarray) -> dict[str, float]:
    best, worst = truth_desc[0], truth_desc[-1]
    span = best - worst
    out = {f"regret@{k}": float((best - order_values[:k].max()) / span) for k in KS}
    out["ndcg@5"] = _dcg(order_values[:5]) / _dcg(truth_desc[:5])
    return out


def _random_metrics(truth_desc: np.ndarray, first: float | None = None) -> dict[str, float]:
    """Exact expected metrics of a random order (optionally with a fixed first element)."""
    best, worst = truth_desc[0], truth_desc[-1]
    span = best - worst
    out = {}
    if first is None:
        for k in KS:
            out[f"regret@{k}"] = (best - _expected_best_random(truth_desc, k)) / span
        mean_gain = float(np.mean(truth_desc))
        out["ndcg@5"] = mean_gain * _dcg(np.ones(5)) / _dcg(truth_desc[:5])
        return out
    rest = np.delete(truth_desc, int(np.argmin(np.abs(truth_desc - first))))
    for k in KS:
        if k == 1:
            got = first
        else:
            m = min(k - 1, len(rest))
            total = _comb(len(rest), m)
            probs = np.array([_comb(len(rest) - i - 1, m - 1) / total for i in range(len(rest))])
            got = float(np.dot(probs, np.maximum(rest, first)))
        out[f"regret@{k}"] = (best - got) / span
    gains = np.concatenate([[first], np.full(4, rest.mean())])
    out["ndcg@5"] = _dcg(gains) / _dcg(truth_desc[:5])
    return out


def evaluate(
    table: PerformanceTable,
    *,
    methods: tuple[str, ...] = METHODS,
    params: dict[str, Any] | None = None,
    nested: bool = True,
    progress: Callable[[int, int], None] | None = None,
    n_jobs: int = 1,
    blend_weights: tuple[float, ...] | None = None,
    holdout: str = "group",
) -> EvaluationResult:
    """Leave-one-group-out (or leave-one-source-out) evaluation of the ranker and the
    baselines (``advisor ranker evaluate``; see the module docstring for the methods and
    metrics).

    Parameters
    ----------
    table : PerformanceTable
        The knowledge base's performance table (``Advisor.performance_table``).
    methods : tuple of str, default=METHODS
        The methods compared.
    params : dict, optional
        The ranker's settings when not ``nested`` (default: ``AdvisorRanker``'s).
    nested : bool, default=True
        Choose the ranker's settings by grouped cross-validation inside every training fold
        (never on the held-out group); ``False``: use ``params`` (``--fixed-params``).
    progress : callable, optional
        ``progress(done, total)`` after each held-out group.
    n_jobs : int, default=1
        Processes the held-out groups run in.
    blend_weights : tuple of float, optional
        Without ``nested``: choose the listwise/pointwise weight of each task among these by
        grouped CV inside every training fold (a variant that was not adopted).
    holdout : {"group", "source"}, default="group"
        What is held out at a time: a dataset group (a base dataset and its variants), or a
        whole source (:func:`source_of`: KEEL, scikit-learn, one R package, synthetic), which
        says more about data from a source the knowledge base has never seen.

    Returns
    -------
    EvaluationResult
        Per-dataset metrics of every method; ``metrics()`` and ``to_dict()`` their means.
    """
    from joblib import Parallel, delayed

    if holdout not in ("group", "source"):
        raise ValueError(f"holdout is {holdout!r}, but must be group or source")
    unit = table.datasets["group"].map(source_of) if holdout == "source" else None
    groups = sorted((unit if unit is not None else table.datasets["group"]).unique())
    rows: list[dict[str, Any]] = []
    jobs = (
        delayed(_evaluate_group)(table, g, methods, params, nested, blend_weights, unit)
        for g in groups
    )
    results = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for gi, group_rows in enumerate(results):
        rows.extend(group_rows)
        if progress is not None:
            progress(gi + 1, len(groups))
    frame = pd.DataFrame(rows)
    frame["avg_rank"] = frame.groupby("fingerprint")["regret@1"].rank(method="average")
    return EvaluationResult(frame, tuple(methods), dict(params or {}))


def _evaluate_group(
    table: PerformanceTable,
    g: str,
    methods: tuple[str, ...],
    params: dict[str, Any] | None,
    nested: bool,
    blend_weights: tuple[float, ...] | None = None,
    unit: pd.Series | None = None,
) -> list[dict[str, Any]]:
    """The per-dataset metrics of every method on the datasets of held-out group ``g`` (or of
    held-out source ``g`` when ``unit`` maps datasets to sources)."""

    def default_hash(task: str) -> str | None:
        if table.space.name != "mlp":
            return None
        return config_hash(named_config("default", task=task, version=table.space.version))

    rows: list[dict[str, Any]] = []
    key = table.datasets["group"] if unit is None else unit
    held = table.datasets.index[key == g]
    train = table.subset(table.datasets.index[key != g])
    fs = FeatureSpace.from_table(train)
    X, norm, sizes = training_rows(fs)
    ranker = None
    if "ranker" in methods or "advice" in methods:
        if nested:
            chosen = ranker_params(fs, X, norm, sizes)
        elif blend_weights:  # fixed tree settings, blend weight per task by CV on this fold
            grid = (dict(params or {}),)
            chosen = ranker_params(fs, X, norm, sizes, grid=grid, weights=blend_weights)
        else:
            chosen = dict(params or {})
        ranker = fit_ranker(X, norm, sizes, chosen)
    reg = None
    if "regressor" in methods:
        reg = regressor()
        reg.fit(X, norm)
    # portfolio: average rank over training datasets
    avg_rank = portfolio_rank(fs.norm, fs.config_hashes)
    raw = (  # the training datasets' objectives, for the advice's neighbour evidence
        train.values.pivot_table(
            index="fingerprint", columns="config_hash", values="value"
        ).reindex(index=fs.fingerprints)
        if "advice" in methods
        else pd.DataFrame()
    )
    for fp in held:
        q = held_out_query(table, fs, fp)
        if q is None:
            continue
        info, hashes, truth, truth_desc = q.info, q.hashes, q.truth, q.truth_desc
        base = {"dataset": info["name"], "fingerprint": fp, "group": g, "task": info["task"]}
        for m in methods:
            if m == "random":
                res = _random_metrics(truth_desc)
            elif m == "default":
                h = default_hash(str(info["task"]))
                if h not in hashes:
                    continue
                res = _random_metrics(truth_desc, truth[hashes.index(h)])
            else:
                score: Any
                if m in ("ranker", "advice"):
                    assert ranker is not None
                    knn = knn_scores(fs.norm, fs.config_hashes, q.dist, hashes, avg_rank)
                    order = interleave(
                        np.argsort(-np.asarray(ranker.predict(q.X)), kind="stable"),
                        np.argsort(-knn, kind="stable"),
                    )
                    d = default_hash(str(info["task"]))
                    top = hashes[int(order[0])]
                    if (
                        m == "advice"
                        and d in hashes
                        and top != d
                        and not _neighbours_support(raw, fs, q.dist, str(info["task"]), top, d)
                    ):
                        j = hashes.index(d)
                        order = np.concatenate([[j], order[order != j]])
                    res = order_metrics(truth[order], truth_desc)
                    rows.append({**base, "method": m, **res})
                    continue
                if m == "regressor":
                    assert reg is not None
                    score = reg.predict(q.X)
                elif m == "portfolio":
                    score = -np.array([avg_rank.get(h, avg_rank.max() + 1) for h in hashes])
                elif m == "knn":
                    score = knn_scores(fs.norm, fs.config_hashes, q.dist, hashes, avg_rank)
                else:
                    raise ValueError(f"unknown method {m!r}")
                order = np.argsort(-np.asarray(score), kind="stable")
                res = order_metrics(truth[order], truth_desc)
            rows.append({**base, "method": m, **res})
    return rows


@dataclass(frozen=True)
class HeldOutQuery:
    """A held-out dataset's evaluated configurations, as rows of the ranker's features."""

    info: pd.Series  # the dataset's row of ``table.datasets``
    hashes: list[str]
    truth: np.ndarray  # the objective of each configuration, in ``hashes`` order
    truth_desc: np.ndarray
    X: pd.DataFrame
    dist: np.ndarray  # scaled distance to every training dataset


def held_out_query(table: PerformanceTable, fs: FeatureSpace, fp: str) -> HeldOutQuery | None:
    """The rows a method orders for the held-out dataset ``fp`` (``None`` when every
    configuration scored the same, so no order can be judged)."""
    v = table.values[table.values["fingerprint"] == fp]
    hashes = list(v["config_hash"])
    truth = v["value"].to_numpy()
    truth_desc = np.sort(truth)[::-1]
    if truth_desc[0] == truth_desc[-1]:
        return None
    info: pd.Series = table.datasets.loc[fp]  # type: ignore[assignment]
    mf_row = info[fs.mf_columns].to_numpy(dtype=float)
    pmean, pknn, dist = fs.query_priors(fs.scale(mf_row[None, :])[0])
    configs = [table.configs[h] for h in hashes]
    idx = {h: j for j, h in enumerate(fs.config_hashes)}
    par = fs.parents(configs)
    cols = [idx.get(h, par[i]) for i, h in enumerate(hashes)]
    X = fs.rows(mf_row, configs, pmean[cols], pknn[cols])
    return HeldOutQuery(info, hashes, truth, truth_desc, X, dist)


def _neighbours_support(
    raw: pd.DataFrame, fs: FeatureSpace, dist: np.ndarray, task: str, top: str, default: str
) -> bool:
    """The evidence part of the no-harm rule (:mod:`advisor.ranker.no_harm`) for ``top``
    against ``default`` on the training datasets of the task nearest the held-out one."""
    if top not in raw.columns or default not in raw.columns:
        return False
    d, _ = nearest_differences(
        raw[top].to_numpy(dtype=float),
        raw[default].to_numpy(dtype=float),
        np.where(fs.tasks == task, dist, np.inf),
        [str(fp).rsplit("@", 1)[0] for fp in fs.fingerprints],
    )
    return neighbours_support(len(d), int((d > 0).sum()), float(d.mean()) if len(d) else 0.0)
