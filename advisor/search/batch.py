"""Training several of a study's trials at once: the warm start's trials, waiting in the study
when the search starts, train as one batch through :func:`advisor.trials.run_trials`, which
stacks those that share an architecture, a batch size and an optimizer (one vectorised
program). Each trial keeps its own curve, pruning decisions, status and Optuna trial."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import TrialState

from advisor.search.liveness import beating, judged
from advisor.search.warm_start import WARM_START
from advisor.trials import StackEpochCallback, TrialResult

__all__ = ["train_warm_start_together"]


def train_warm_start_together(
    study: optuna.Study,
    n_trials: int | None,
    start: Callable[[optuna.Trial], dict[str, Any]],
    train: Callable[[list[dict[str, Any]], StackEpochCallback], list[TrialResult]],
    finish: Callable[[optuna.Trial, TrialResult], float],
    progress: Callable[[optuna.Study, optuna.trial.FrozenTrial], None],
    storage: Any = None,
    surplus: Callable[[optuna.Trial], bool] | None = None,
) -> None:
    """Train the warm-start trials still waiting in the study as one batch: one call of the
    search's ``train`` (:func:`~advisor.trials.run_trials`, which stacks those that share an
    architecture, a batch size and an optimizer); ``start`` and ``finish`` are the search's own
    steps before and after training a trial. Each trial keeps its own pruning decisions and its
    own Optuna trial; another process that joins the study later finds them taken (a trial
    that ``surplus`` says is past the budget is marked so and not trained). With a
    ``storage`` that has heartbeats (:func:`~advisor.search.liveness.open_storage`) the batch's
    trials beat while they train."""
    waiting = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if t.user_attrs.get(WARM_START)
    ]
    n = len(waiting)
    if n_trials is not None:
        n = min(n, n_trials - judged(study))
    if n < 2:  # one trial or none: the study's own loop trains it
        return
    with warnings.catch_warnings():  # this batch records its own heartbeats (``beating``)
        warnings.filterwarnings("ignore", "Heartbeat of storage")
        trials = [study.ask() for _ in range(n)]
    if surplus is not None:  # workers starting together: a trial past the budget is not run
        for t in [t for t in trials if surplus(t)]:
            t.set_user_attr("surplus", True)
            study.tell(t, state=TrialState.PRUNED)
            trials.remove(t)
    if not trials:
        return
    with beating(storage, study, [t.number for t in trials]):
        _train_batch(study, trials, start, train, finish, progress)


def _train_batch(
    study: optuna.Study,
    trials: list[optuna.Trial],
    start: Callable[[optuna.Trial], dict[str, Any]],
    train: Callable[[list[dict[str, Any]], StackEpochCallback], list[TrialResult]],
    finish: Callable[[optuna.Trial, TrialResult], float],
    progress: Callable[[optuna.Study, optuna.trial.FrozenTrial], None],
) -> None:
    """Start, train and finish the batch's trials (see :func:`train_warm_start_together`)."""
    configs = [start(t) for t in trials]

    def on_epoch(member: int, epoch: int, value: float) -> bool:
        trials[member].report(value, epoch)
        return trials[member].should_prune()

    try:
        results = train(configs, on_epoch)
    except Exception as exc:  # the study's loop would record these trials as failed too
        for t in trials:
            t.set_user_attr("message", f"{type(exc).__name__}: {str(exc)[:300]}")
            progress(study, study.tell(t, state=TrialState.FAIL))
        return
    for t, result in zip(trials, results, strict=True):
        try:
            value = finish(t, result)
        except optuna.TrialPruned:
            frozen = study.tell(t, state=TrialState.PRUNED)
        else:
            frozen = study.tell(t, value)
        progress(study, frozen)
