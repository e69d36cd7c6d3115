"""The warm-started, multi-fidelity search, run as an Optuna study.

* ``advisor``: the ranker's top ``warm_k`` suggestions (exactly what ``suggest`` returns for
  the same data, space and seed) are enqueued as the first trials, once per study however many
  processes join it; then :class:`AdvisorSampler` continues the same list and refines it;
* ``warm``: the ranker's list in order, nothing else (warm start alone, for comparison; the
  whole list is enqueued, random trials follow if the budget outlasts it);
* ``tpe`` / ``random``: Optuna's samplers, cold.

The warm-start trials waiting when a search starts train together, as one batch of the
stacked trial engine (:mod:`advisor.search.batch`); later trials train one at a time as the
sampler proposes them. Epochs are the budget: every trial reports its validation objective each
epoch and a successive-halving pruner stops the unpromising ones. Diverged, failed and timed-out
trials are recorded with their status and never stop the study. With an RDB ``storage``
several processes (or machines) cooperate on one study; the total number of trials is
``n_trials``. A worker killed mid-trial loses nothing (:mod:`advisor.search.liveness`): its
trial is marked failed once its heartbeat stops and its configuration is retried once by a
surviving worker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import optuna
from optuna.trial import TrialState

from advisor.candidates import MIN_DISTANCE, RankedList
from advisor.data import SplitCache
from advisor.search.batch import train_warm_start_together
from advisor.search.confirm import SPLITS, apply_confirmation
from advisor.search.liveness import (
    HEARTBEAT_S,
    WORKER,
    is_retry,
    judged,
    lost_numbers,
    open_storage,
    original_number,
    settle,
    worker_name,
)
from advisor.search.optuna_io import distributions, suggest_config
from advisor.search.pruning import PatientSuccessiveHalving
from advisor.search.result import SearchResult, real_trials, search_result
from advisor.search.sampler import PROPOSED_BY, AdvisorSampler
from advisor.search.warm_start import WARM_START, enqueue_warm_start
from advisor.trials import StackEpochCallback, TrialResult, TrialSpec, run_trials
from advisor_core.errors import SearchError
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import SearchSpace

__all__ = ["SAMPLER_OPTIONS", "STRATEGIES", "run_search"]

STRATEGIES = ("advisor", "warm", "tpe", "random")
ResultHook = Callable[[TrialResult, str], None]
ProgressHook = Callable[[int, float | None], None]


#: What ``sampler_options`` may set (see :class:`AdvisorSampler`); ``warm`` takes
#: ``list_distance`` only.
SAMPLER_OPTIONS = ("handover", "interleave", "list_distance", "list_until", "policy")
#: Study user attribute: a random key of the study, part of every trial key.
STUDY_KEY = "advisor_study_key"
#: Study user attribute: the heartbeat interval of its first worker, which all workers use.
HEARTBEAT_ATTR = "advisor_heartbeat_s"


def run_search(
    cache: SplitCache,
    space: SearchSpace,
    *,
    strategy: str = "advisor",
    ranked: RankedList | None = None,
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
    lock: AbstractContextManager[Any] | None = None,
    confirm: int = 0,
    confirm_splits: int = SPLITS,
    heartbeat: int = HEARTBEAT_S,
) -> SearchResult:
    """Search ``space`` on a split with real trials, as an Optuna study.

    Parameters
    ----------
    cache : SplitCache
        The dataset's train/validation split.
    space : SearchSpace
        The space (the trial runner trains ``mlp``-like spaces).
    strategy : {"advisor", "warm", "tpe", "random"}, default="advisor"
        See the module docstring.
    ranked : RankedList, optional
        The dataset's ranked list (:func:`advisor.candidates.rank_candidates`, built with
        ``seed``); needed by ``advisor`` and ``warm``.
    n_trials : int, optional
        The trial budget, over every process that joins the study.
    time_budget : float, optional
        Seconds (give this, ``n_trials``, or both).
    epochs : int, default=20
        The full budget of one trial; successive halving stops some early.
    seed : int, default=0
        Seed of the samplers and of the training.
    storage, study_name : str, optional
        An Optuna storage URL and study name, to share the study between processes.
    device : str, default="auto"
        Where trials train.
    objective : str, optional
        The metric maximised (default: balanced accuracy / R²).
    trial_time_limit : float, optional
        Seconds after which one trial stops with status ``timeout``.
    warm_k : int, default=3
        How many suggestions the ``advisor`` strategy enqueues first.
    prune : bool, default=True
        Successive halving over epochs.
    on_result : callable, optional
        ``on_result(trial_result, trial_key)`` after each trial; ``trial_key`` is unique in
        the study and the same for a lost trial and its retry (an idempotent record id).
    on_progress : callable, optional
        ``on_progress(finished_trials, best_score)`` after each trial.
    sampler_options : mapping, optional
        Options of :class:`AdvisorSampler` (``SAMPLER_OPTIONS``); ``warm`` takes
        ``list_distance`` only.
    lock : context manager, optional
        Held while the study is created and its warm start enqueued; processes sharing a
        study in ``storage`` must pass one lock (``Advisor.search`` does).
    confirm : int, default=0
        Choose the answer among the ``confirm`` best configurations by their mean objective
        over the search's split and ``confirm_splits`` further splits
        (:mod:`advisor.search.confirm`); the confirmation trials count in ``n_trials``.
    confirm_splits : int, default=2
        Further splits per confirmed configuration.
    heartbeat : int, default=10
        Seconds between the heartbeats of a running trial in an RDB ``storage``; a trial
        silent for three of them (its worker died) is failed and retried once.

    Returns
    -------
    SearchResult

    Raises
    ------
    SearchError
        Without a budget, with an unknown strategy or option, or a study that cannot open.
    """
    started = time.time()  # the time budget counts from here
    if strategy not in STRATEGIES:
        raise SearchError(f"strategy is {strategy!r}, but must be one of {', '.join(STRATEGIES)}")
    if n_trials is None and time_budget is None:
        raise SearchError("give a budget: n_trials or time_budget")
    if n_trials is not None and (isinstance(n_trials, bool) or n_trials < 1):
        raise SearchError(f"n_trials is {n_trials!r}, but must be an integer >= 1")
    if time_budget is not None and not time_budget > 0:
        raise SearchError(f"time_budget is {time_budget!r}, but must be > 0 seconds")
    if isinstance(heartbeat, bool) or not isinstance(heartbeat, int) or heartbeat < 1:
        raise SearchError(f"heartbeat is {heartbeat!r}, but must be an integer >= 1 (seconds)")
    options = dict(sampler_options or {})
    _check_options(strategy, options)
    n_trials = _reserve_confirmation(n_trials, confirm, confirm_splits)
    sampler: optuna.samplers.BaseSampler
    warm: list[dict[str, Any]] = []
    if strategy in ("advisor", "warm"):
        if ranked is None:
            raise SearchError(f"strategy {strategy!r} needs the ranker's list (ranked)")
        k = warm_k if strategy == "advisor" else max(warm_k, n_trials or 50)
        distance = float(options.get("list_distance", MIN_DISTANCE))
        warm = ranked.diverse_configs(min(k, n_trials or k), distance)
    if strategy == "advisor":
        assert ranked is not None
        sampler = AdvisorSampler(ranked, seed=seed, **options)
    elif strategy == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:  # random, and warm after its list
        sampler = optuna.samplers.RandomSampler(seed=seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner: optuna.pruners.BasePruner = (
        PatientSuccessiveHalving(min_resource=max(1, epochs // 4), reduction_factor=3)
        if prune
        else optuna.pruners.NopPruner()
    )
    dists = distributions(space)
    with lock if lock is not None else nullcontext():
        try:
            store = open_storage(storage, heartbeat)
            study = optuna.create_study(
                storage=store,
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
        enqueue_warm_start(study, warm)
        if STUDY_KEY not in study.user_attrs:
            study.set_user_attr(STUDY_KEY, uuid.uuid4().hex)
        if store is not None and not isinstance(store, str):  # one heartbeat for all workers
            beat = study.user_attrs.get(HEARTBEAT_ATTR)
            if beat is None:
                study.set_user_attr(HEARTBEAT_ATTR, heartbeat)
            elif int(beat) != heartbeat:
                store = open_storage(storage, int(beat))
                assert store is not None
                study = optuna.load_study(
                    study_name=study.study_name, storage=store, sampler=sampler, pruner=pruner
                )
    study_key = str(study.user_attrs[STUDY_KEY])

    def start(trial: optuna.Trial) -> dict[str, Any]:
        config = space.validate(suggest_config(trial, dists))
        trial.set_user_attr(WORKER, worker_name())
        who = _proposer(sampler, trial)
        if who is not None:
            trial.set_user_attr(PROPOSED_BY, who)
        return config

    def finish(trial: optuna.Trial, result: TrialResult) -> float:
        """The trial's value from its result (raises ``TrialPruned`` for a pruned one)."""
        trial.set_user_attr("status", result.status)
        trial.set_user_attr("epochs", result.epochs)
        if result.message:
            trial.set_user_attr("message", result.message[:500])
        if on_result is not None:
            on_result(result, f"{study_key}/{original_number(_frozen(trial))}")
        if result.status == "pruned":
            raise optuna.TrialPruned()
        if result.score is None:  # diverged or failed: the worst value seen so far
            seen = [
                t.value
                for t in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None
            ]
            return float(min([*seen, 0.0]))
        return float(result.score)

    # a trial running when the time budget ends stops cleanly as ``timeout`` and is recorded
    deadline = None if time_budget is None else started + time_budget

    def train(configs: list[dict[str, Any]], on_epoch: StackEpochCallback) -> list[TrialResult]:
        """Train ``configs`` together (stacked where they can be) at the search's budget."""
        specs = [TrialSpec(c, seed, epochs, epochs, trial_time_limit) for c in configs]
        return run_trials(
            cache, specs, device=device, objective=objective, on_epoch=on_epoch, deadline=deadline
        )[0]

    def objective_fn(trial: optuna.Trial) -> float:
        if n_trials is not None and _surplus(trial, n_trials):
            trial.set_user_attr("surplus", True)
            trial.study.stop()
            raise optuna.TrialPruned()
        config = start(trial)

        def on_epoch(_member: int, epoch: int, value: float) -> bool:
            trial.report(value, epoch)
            return trial.should_prune()

        return finish(trial, train([config], on_epoch)[0])

    callbacks: list[Any] = []
    if n_trials is not None:
        # every trial started or finished, by any process, less the lost ones; not the
        # enqueued warm-start trials still waiting (counting them stopped a search of
        # n_trials <= warm_k after one trial)
        budget = n_trials

        def stop_at_budget(study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
            if judged(study) >= budget:
                study.stop()

        callbacks.append(stop_at_budget)
    best_so_far: dict[str, float | None] = {"v": None}

    def progress_cb(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("surplus"):
            return
        v = trial.value if trial.state == TrialState.COMPLETE else None
        if v is not None and (best_so_far["v"] is None or v > best_so_far["v"]):
            best_so_far["v"] = v
        if on_progress is not None:
            done = real_trials(study)  # a lost trial is not counted: its retry is
            on_progress(len(done) - len(lost_numbers(done)), best_so_far["v"])

    callbacks.append(progress_cb)
    train_warm_start_together(
        study,
        n_trials,
        start,
        train,
        finish,
        progress_cb,
        store,
        None if n_trials is None else (lambda t: _surplus(t, budget)),
    )
    remaining = None if time_budget is None else max(0.0, time_budget - (time.time() - started))
    study.optimize(
        objective_fn,
        n_trials=None,
        timeout=remaining,
        callbacks=callbacks,
        catch=(Exception,),
        gc_after_trial=False,
    )

    def run_retry() -> None:
        study.optimize(objective_fn, n_trials=1, callbacks=callbacks, catch=(Exception,))

    settle(study, store, run_retry, None if time_budget is None else started + time_budget)
    result = search_result(
        study, strategy, space, objective or DEFAULT_OBJECTIVE[cache.dataset.task]
    )
    if confirm:

        def train_on(split: SplitCache, configs: list[dict[str, Any]]) -> list[TrialResult]:
            specs = [TrialSpec(c, seed, epochs, epochs, trial_time_limit) for c in configs]
            return run_trials(split, specs, device=device, objective=objective, deadline=deadline)[
                0
            ]

        apply_confirmation(result, cache, confirm, confirm_splits, train_on)
    return result


def _reserve_confirmation(n_trials: int | None, confirm: int, splits: int) -> int | None:
    """The trials left to the search once the confirmation's are reserved."""
    if not confirm:
        return n_trials
    if isinstance(confirm, bool) or confirm < 2:
        raise SearchError(f"confirm is {confirm!r}, but must be 0 (off) or an integer >= 2")
    if isinstance(splits, bool) or splits < 1:
        raise SearchError(f"confirm_splits is {splits!r}, but must be an integer >= 1")
    if n_trials is None:
        raise SearchError("confirm needs a trial budget (n_trials) to reserve its trials in")
    left = n_trials - confirm * splits
    if left < confirm:
        raise SearchError(
            f"n_trials is {n_trials}, but confirming {confirm} configurations on {splits} "
            f"further splits takes {confirm * splits} of them: give n_trials >= "
            f"{confirm * (splits + 1)} or confirm fewer"
        )
    return left


def _check_options(strategy: str, options: Mapping[str, Any]) -> None:
    """Reject, before any trial, sampler options the strategy cannot use."""
    if strategy == "warm" and set(options) - {"list_distance"}:
        raise SearchError(
            f"strategy 'warm' takes only the sampler option list_distance, not "
            f"{', '.join(sorted(set(options) - {'list_distance'}))}"
        )
    if strategy not in ("advisor", "warm") and options:
        raise SearchError(f"strategy {strategy!r} takes no sampler options")
    unknown = sorted(set(options) - set(SAMPLER_OPTIONS))
    if unknown:
        raise SearchError(
            f"unknown sampler option {', '.join(unknown)}; allowed: {', '.join(SAMPLER_OPTIONS)}"
        )


def _frozen(trial: optuna.Trial) -> optuna.trial.FrozenTrial:
    """The stored state of a running trial (its system attributes name a retried trial)."""
    trials = trial.study.get_trials(deepcopy=False)
    if trial.number < len(trials) and trials[trial.number].number == trial.number:
        return trials[trial.number]
    return next(t for t in trials if t.number == trial.number)


def _surplus(trial: optuna.Trial, n_trials: int) -> bool:
    """Whether a new trial is past the budget: its number less the lost trials before it is
    ``n_trials`` or more (trial numbers are unique across processes, so two processes never
    both take the last place); a retry of a lost trial never is."""
    if is_retry(_frozen(trial)):
        return False
    if trial.number < n_trials:
        return False
    lost = lost_numbers(trial.study.get_trials(deepcopy=False))
    return trial.number - sum(1 for n in lost if n < trial.number) >= n_trials


def _proposer(sampler: optuna.samplers.BaseSampler, trial: optuna.Trial) -> str | None:
    """Who proposed the trial: the advisor's sampler says; otherwise the warm start or the
    cold sampler."""
    if isinstance(sampler, AdvisorSampler):
        return sampler.proposer(trial.study, trial.number)
    if trial.user_attrs.get(WARM_START):
        return "warm start"
    return "tpe" if isinstance(sampler, optuna.samplers.TPESampler) else "random"
