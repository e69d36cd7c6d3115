"""The warm-started, multi-fidelity search, run as an Optuna study.

* ``advisor``: the ranker's top suggestions are enqueued as the first trials (once per study,
  however many processes join it), then :class:`AdvisorSampler` refines;
* ``warm``: the ranker's suggestions in order, nothing else (warm start alone, for comparison);
* ``tpe`` / ``random``: Optuna's samplers, cold.

Epochs are the budget: every trial reports its validation objective each epoch and a
successive-halving pruner stops the unpromising ones. Diverged, failed and timed-out trials are
recorded with their status and never stop the study. With an RDB ``storage`` several processes
(or machines) cooperate on one study; the total number of trials is ``n_trials``.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from advisor.data import SplitCache
from advisor.search.prior import Prior
from advisor.search.pruning import PatientSuccessiveHalving
from advisor.search.sampler import DIVERSE_DISTANCE, AdvisorSampler, distributions
from advisor.suggest import diverse_picks
from advisor.trials import TrialResult, run_trial
from advisor_core.errors import SearchError
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import SearchSpace, config_hash

__all__ = ["STRATEGIES", "SearchResult", "run_search"]

STRATEGIES = ("advisor", "warm", "tpe", "random")
WARM_START_ATTR = "advisor_warm_start"
ResultHook = Callable[[TrialResult, int], None]
ProgressHook = Callable[[int, float | None], None]


@dataclass
class SearchResult:
    """What a search found: the best configuration and every trial it ran."""

    strategy: str
    best_config: dict[str, Any] | None
    best_score: float | None
    n_trials: int
    trials: pd.DataFrame
    study: Any
    objective: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "objective": self.objective,
            "best_config": self.best_config,
            "best_score": self.best_score,
            "n_trials": self.n_trials,
            "trials": [
                {
                    "number": int(r["number"]),
                    "config": r["config"],
                    "status": r["status"],
                    "score": None
                    if r["score"] is None or r["score"] != r["score"]
                    else float(r["score"]),
                    "epochs": int(r["epochs"]),
                    "warm_start": bool(r["warm_start"]),
                }
                for r in self.trials.to_dict("records")
            ],
        }


class _WarmSampler(optuna.samplers.BaseSampler):
    """Proposes the ranker's diverse suggestions in order (warm start alone)."""

    def __init__(self, configs: list[dict[str, Any]], space: SearchSpace, seed: int) -> None:
        self.configs, self.space = configs, space
        self._dists = distributions(space)
        self._fallback = optuna.samplers.RandomSampler(seed=seed)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return dict(self._dists)

    def sample_relative(
        self,
        study: Any,
        trial: Any,
        search_space: dict[str, Any],
    ) -> dict[str, Any]:
        if trial.number < len(self.configs):
            return dict(self.configs[trial.number])
        return {}

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return self._fallback.sample_independent(study, trial, name, dist)


def _diverse(
    prior: Prior, configs: list[dict[str, Any]], k: int, min_distance: float = DIVERSE_DISTANCE
) -> list[dict[str, Any]]:
    idx = diverse_picks(prior.space, prior.units(configs), range(len(configs)), k, min_distance)
    return [configs[i] for i in idx]


def warm_start_list(
    prior: Prior, k: int, seed: int, list_distance: float = DIVERSE_DISTANCE
) -> list[dict[str, Any]]:
    """The ranker's first ``k`` configurations at least ``list_distance`` apart: the warm start
    (strategy ``advisor``) or the whole list (strategy ``warm``)."""
    ranked, _ = prior.ranked_candidates(600, np.random.default_rng(seed))
    return _diverse(prior, ranked, k, list_distance)


def _storage_lock(storage: str | None) -> Any:
    from contextlib import nullcontext

    if storage is None:
        return nullcontext()
    from knowledge_base.stores import open_store

    return open_store(storage).init_lock("optuna-study")


def run_search(
    cache: SplitCache,
    space: SearchSpace,
    *,
    strategy: str = "advisor",
    prior: Prior | None = None,
    n_trials: int | None = None,
    time_budget: float | None = None,
    epochs: int = 20,
    seed: int = 0,
    storage: str | None = None,
    study_name: str | None = None,
    device: str = "auto",
    objective: str | None = None,
    trial_time_limit: float | None = None,
    warm_k: int = 3,
    prune: bool = True,
    on_result: ResultHook | None = None,
    on_progress: ProgressHook | None = None,
    sampler_options: Mapping[str, Any] | None = None,
) -> SearchResult:
    """Search ``space`` on the split ``cache``; see the module docstring for the strategies.

    ``sampler_options`` are passed to :class:`AdvisorSampler` (strategy ``advisor``)."""
    if strategy not in STRATEGIES:
        raise SearchError(f"strategy is {strategy!r}, but must be one of {', '.join(STRATEGIES)}")
    if n_trials is None and time_budget is None:
        raise SearchError("give a budget: n_trials or time_budget")
    if n_trials is not None and (isinstance(n_trials, bool) or n_trials < 1):
        raise SearchError(f"n_trials is {n_trials!r}, but must be an integer >= 1")
    if time_budget is not None and not time_budget > 0:
        raise SearchError(f"time_budget is {time_budget!r}, but must be > 0 seconds")
    if strategy in ("advisor", "warm") and prior is None:
        raise SearchError(f"strategy {strategy!r} needs the ranker's prior")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    options = dict(sampler_options or {})
    if strategy == "warm" and set(options) - {"list_distance"}:
        raise SearchError(
            f"strategy 'warm' takes only the sampler option list_distance, not "
            f"{', '.join(sorted(set(options) - {'list_distance'}))}"
        )
    if strategy not in ("advisor", "warm") and options:
        raise SearchError(f"strategy {strategy!r} takes no sampler options")
    warm: list[dict[str, Any]] = []
    if prior is not None and strategy in ("advisor", "warm"):
        k = warm_k if strategy == "advisor" else max(warm_k, n_trials or 50)
        distance = float(options.get("list_distance", DIVERSE_DISTANCE))
        warm = warm_start_list(prior, min(k, n_trials or k), seed, distance)
    sampler: optuna.samplers.BaseSampler
    if strategy == "advisor":
        assert prior is not None
        allowed = set(inspect.signature(AdvisorSampler).parameters) - {"prior", "seed"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise SearchError(
                f"unknown sampler option {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )
        sampler = AdvisorSampler(prior, seed=seed, **options)
    elif strategy == "warm":
        assert prior is not None
        sampler = _WarmSampler(warm, space, seed)
    elif strategy == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    pruner: optuna.pruners.BasePruner = (
        PatientSuccessiveHalving(min_resource=max(1, epochs // 4), reduction_factor=3)
        if prune
        else optuna.pruners.NopPruner()
    )
    dists = distributions(space)
    with _storage_lock(storage):
        try:
            study = optuna.create_study(
                storage=storage,
                study_name=study_name,
                sampler=sampler,
                pruner=pruner,
                direction="maximize",
                load_if_exists=True,
            )
        except Exception as exc:
            raise SearchError(
                f"cannot open the study in {storage!r}: {str(exc).splitlines()[0][:200]}"
            ) from None
        if strategy == "advisor" and WARM_START_ATTR not in study.user_attrs:
            for cfg in warm:
                study.enqueue_trial(dict(cfg), user_attrs={"warm_start": True}, skip_if_exists=True)
            study.set_user_attr(WARM_START_ATTR, [config_hash(c) for c in warm])
    floor = {"value": None}

    def objective_fn(trial: optuna.Trial) -> float:
        if n_trials is not None and trial.number >= n_trials:
            trial.set_user_attr("surplus", True)
            trial.study.stop()
            raise optuna.TrialPruned()
        config = space.validate({n: trial._suggest(n, d) for n, d in dists.items()})

        def on_epoch(epoch: int, value: float) -> bool:
            trial.report(value, epoch)
            return trial.should_prune()

        result = run_trial(
            cache,
            config,
            epochs=epochs,
            seed=seed,
            device=device,
            time_limit=trial_time_limit,
            on_epoch=on_epoch,
            objective=objective,
            max_epochs=epochs,
        )
        trial.set_user_attr("status", result.status)
        trial.set_user_attr("epochs", result.epochs)
        if result.message:
            trial.set_user_attr("message", result.message[:500])
        if on_result is not None:
            on_result(result, trial.number)
        if result.status == "pruned":
            raise optuna.TrialPruned()
        if result.score is None:  # diverged or failed: the worst value seen so far
            seen = [
                t.value
                for t in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None
            ]
            return float(min([*seen, floor["value"] if floor["value"] is not None else 0.0]))
        return float(result.score)

    callbacks: list[Any] = []
    if n_trials is not None:
        # every trial started or finished, by any process; not the enqueued warm-start trials
        # still waiting (counting them stopped a search of n_trials <= warm_k after one trial)
        started_states = (
            TrialState.COMPLETE,
            TrialState.PRUNED,
            TrialState.FAIL,
            TrialState.RUNNING,
        )
        callbacks.append(optuna.study.MaxTrialsCallback(n_trials, states=started_states))
    started = time.time()
    best_so_far: dict[str, float | None] = {"v": None}

    def progress_cb(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("surplus"):
            return
        v = trial.value if trial.state == TrialState.COMPLETE else None
        if v is not None and (best_so_far["v"] is None or v > best_so_far["v"]):
            best_so_far["v"] = v
        if on_progress is not None:
            on_progress(len(_real_trials(study)), best_so_far["v"])

    callbacks.append(progress_cb)
    remaining = None if time_budget is None else max(0.0, time_budget - (time.time() - started))
    study.optimize(
        objective_fn,
        n_trials=None,
        timeout=remaining,
        callbacks=callbacks,
        catch=(Exception,),
        gc_after_trial=False,
    )
    return _result(study, strategy, space, objective or DEFAULT_OBJECTIVE[cache.dataset.task])


def _real_trials(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if not t.user_attrs.get("surplus")
        and t.state != TrialState.RUNNING
        and t.state != TrialState.WAITING
    ]


def _result(
    study: optuna.Study,
    strategy: str,
    space: SearchSpace,
    objective: str,
) -> SearchResult:
    rows = []
    for t in _real_trials(study):
        try:
            cfg = space.validate(t.params, complete=True)
        except Exception:
            cfg = dict(t.params)
        status = t.user_attrs.get("status") or {TrialState.FAIL: "failed"}.get(t.state, "failed")
        score = None
        if status in ("complete", "timeout") and t.value is not None:
            score = float(t.value)
        elif status == "pruned" and t.intermediate_values:
            score = float(t.intermediate_values[max(t.intermediate_values)])
        rows.append(
            {
                "number": t.number,
                "config": cfg,
                "status": status,
                "score": score,
                "epochs": int(t.user_attrs.get("epochs", 0)),
                "warm_start": bool(t.user_attrs.get("warm_start", False)),
                "duration_s": (t.duration.total_seconds() if t.duration else math.nan),
            }
        )
    trials = pd.DataFrame(
        rows, columns=["number", "config", "status", "score", "epochs", "warm_start", "duration_s"]
    )
    done = trials[trials["status"].isin(["complete", "timeout"]) & trials["score"].notna()]
    if done.empty:
        done = trials[trials["score"].notna()]
    best_cfg: dict[str, Any] | None = None
    best_score: float | None = None
    if not done.empty:
        best = max(done.to_dict("records"), key=lambda r: float(r["score"]))
        best_cfg, best_score = dict(best["config"]), float(best["score"])
    return SearchResult(
        strategy=strategy,
        best_config=best_cfg,
        best_score=best_score,
        n_trials=len(trials),
        trials=trials,
        study=study,
        objective=objective,
    )


def prior_for(art: Any, meta_features: Mapping[str, float | None]) -> Prior:
    return Prior(art, meta_features)
