"""Ray Tune integration: the advisor's search across the machines of a Ray cluster.

:func:`tune_search` runs the advisor's warm start and sampler inside Ray Tune: Ray's
``OptunaSearch`` asks :class:`~advisor.search.AdvisorSampler` (the list :meth:`Advisor.suggest`
shows, then its refinement) with the advisor's suggestions evaluated first
(``points_to_evaluate``), an ASHA scheduler stops the unpromising trials at epoch rungs, and
each trial trains the ``mlp`` network with the project's trial runner on a Ray worker. Every
trial reaches the knowledge base once: each worker reports after every epoch the record its
trial would have if stopped there, and at its end its full record; the driver writes the last
one it received when the trial ends (ASHA's stops included), under an id made from the
experiment and the trial, so nothing is written twice. Workers need the data (Ray's object
store carries it) but not the knowledge base.

Ray is an optional extra: ``pip install "tuning-advisor[ray]"``.
"""

from __future__ import annotations

import json
import math
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

from advisor.facade import Advisor, TrialLog, dataset_record, distributions, load_dataset
from advisor_core.errors import AdvisorError, ConfigError, ConflictError, MissingDependencyError

__all__ = ["RayTuneResult", "tune_search"]

try:  # the callback's base class; without Ray, tune_search says what to install
    from ray.tune import Callback as _Callback
except ImportError:  # pragma: no cover - exercised without the ray extra
    _Callback = object  # type: ignore[assignment,misc]

#: The metric the trials report (the validation objective, higher is better).
METRIC = "score"
#: The result key that carries a trial's record (JSON text).
RECORD = "advisor_record"


@dataclass
class RayTuneResult:
    """What :func:`tune_search` found.

    Attributes
    ----------
    best_config : dict or None
        The configuration with the best validation objective among trials that ran their
        whole budget (else among all).
    best_score : float or None
        Its validation objective.
    n_trials : int
        Trials run.
    written : int
        Trials written to the knowledge base by this call.
    experiment : str
        The experiment's key (part of every record id).
    results : ray.tune.ResultGrid
        Ray's own results (one per trial).
    """

    best_config: dict[str, Any] | None
    best_score: float | None
    n_trials: int
    written: int
    experiment: str
    results: Any


def _ray() -> Any:
    try:
        import ray
        from ray import tune
    except ImportError:
        raise MissingDependencyError(
            'the Ray integration needs Ray Tune: pip install "tuning-advisor[ray]"'
        ) from None
    return ray, tune


def _train(
    config: dict[str, Any],
    *,
    dataset: Any,
    epochs: int,
    seed: int,
    experiment: str,
    info: dict[str, Any],
) -> None:
    """One trial on a Ray worker: report the objective (and the record so far) every epoch."""
    from ray import tune
    from ray.tune import get_context

    key = f"{experiment}/{get_context().get_trial_id()}"
    log = TrialLog(dataset, config, key=key, epochs=epochs, seed=seed, info=info)

    def on_epoch(epoch: int, value: float) -> bool:
        record = log.epoch(epoch, value)
        if epoch < epochs:  # the last epoch is reported with the trial's own record below
            tune.report({METRIC: value, "epoch": epoch, RECORD: json.dumps(record)})
        return False

    result, _ = Advisor(device="cpu").evaluate(
        dataset, log.config, epochs=epochs, seed=seed, on_epoch=on_epoch
    )
    score = result.score if result.score is not None else float("-inf")
    tune.report({METRIC: score, "epoch": epochs, RECORD: json.dumps(log.record(result))})


class _KnowledgeBaseWriter(_Callback):
    """A Tune callback that writes each ended trial's last record to the knowledge base."""

    def __init__(self, adv: Advisor | None, contribute: bool) -> None:
        self.adv = adv
        self.contribute = contribute
        self.written = 0
        self.last: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Ray pickles the experiment's state; the knowledge base stays with the driver
        return {**self.__dict__, "adv": None}

    def on_trial_result(
        self, iteration: int, trials: Any, trial: Any, result: Any, **info: Any
    ) -> None:
        if RECORD in result:
            self.last[trial.trial_id] = result[RECORD]

    def _write(self, trial: Any, failed: bool = False) -> None:
        text = self.last.pop(trial.trial_id, None)
        if text is None or not self.contribute or self.adv is None:
            return
        record = json.loads(text)
        if failed:  # a failed trial has no score (the knowledge base's rule)
            record.update(status="failed", score=None, metrics={})
        try:
            self.written += self.adv.contribute([record]).added
        except ConflictError:  # stored already: the same trial again
            pass
        except AdvisorError as exc:  # never stop the search for one record
            warnings.warn(f"trial {trial.trial_id} was not written: {exc}", stacklevel=2)

    def on_trial_complete(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
        self._write(trial)

    def on_trial_error(self, iteration: int, trials: Any, trial: Any, **info: Any) -> None:
        self._write(trial, failed=True)


def tune_search(
    data: Any,
    *,
    target: str | None = None,
    y: Any = None,
    task: str = "auto",
    n_trials: int = 20,
    epochs: int = 20,
    seed: int = 0,
    kb: Any = None,
    warm_k: int = 3,
    max_concurrent: int = 2,
    cpus_per_trial: float = 1.0,
    contribute: bool = True,
    dataset_name: str | None = None,
    storage_path: str | None = None,
) -> RayTuneResult:
    """Search the ``mlp`` space on ``data`` with Ray Tune, warm-started by the advisor.

    Parameters
    ----------
    data, target, y, task
        The data, as for :meth:`Advisor.search`.
    n_trials : int, default=20
        Trials in all (Ray's ``num_samples``).
    epochs : int, default=20
        The full budget of a trial; ASHA stops trials at 1/4 and 3/4 of it (reduction 3).
    seed : int, default=0
        Seed of the split, the sampler and the training.
    kb : str, KnowledgeBase or None
        The knowledge base (as for :class:`Advisor`): the advice comes from it and every trial
        goes to it.
    warm_k : int, default=3
        The advisor's suggestions evaluated first.
    max_concurrent : int, default=2
        Trials running at once (across the cluster).
    cpus_per_trial : float, default=1.0
        Ray resources of one trial.
    contribute : bool, default=True
        Write every trial to the knowledge base.
    dataset_name : str, optional
        The dataset's name in the records.
    storage_path : str, optional
        Where Ray keeps the experiment (default: Ray's).

    Returns
    -------
    RayTuneResult

    Raises
    ------
    ConfigError
        For a budget below 1; :class:`MissingDependencyError` without Ray.
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"n_trials is {n_trials!r}, but must be an integer >= 1")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 1000:
        raise ConfigError(f"epochs is {epochs!r}, but must be an integer in [1, 1000]")
    _, tune = _ray()
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search import ConcurrencyLimiter
    from ray.tune.search.optuna import OptunaSearch

    adv = Advisor(kb)
    if task not in ("auto", "classification", "regression"):
        raise ConfigError(f"task is {task!r}, but must be auto, classification or regression")
    ds = (
        data if hasattr(data, "fingerprint") else load_dataset(data, target=target, y=y, task=task)  # type: ignore[arg-type]
    )
    name = dataset_name or ds.name
    mf = adv.meta_features(ds)
    sampler = adv.sampler(mf.values, task=ds.task, epochs=epochs, seed=seed)
    advice = adv.suggest(ds, k=min(warm_k, n_trials), epochs=epochs, seed=seed)
    warm = [s.config for s in advice.suggestions]
    search = OptunaSearch(
        space=distributions(adv.space("mlp")),
        metric=METRIC,
        mode="max",
        sampler=sampler,
        points_to_evaluate=warm,
    )
    experiment = uuid.uuid4().hex
    trainable = tune.with_resources(
        tune.with_parameters(
            _train,
            dataset=ds,
            epochs=epochs,
            seed=seed,
            experiment=experiment,
            info=dataset_record(ds, name=name),
        ),
        {"cpu": cpus_per_trial},
    )
    writer = _KnowledgeBaseWriter(adv, contribute)
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(
            metric=METRIC,
            mode="max",
            search_alg=ConcurrencyLimiter(search, max_concurrent=max_concurrent),
            scheduler=ASHAScheduler(
                time_attr="epoch",
                max_t=epochs,
                grace_period=max(1, epochs // 4),
                reduction_factor=3,
            ),
            num_samples=n_trials,
        ),
        run_config=tune.RunConfig(
            name=f"advisor-{experiment[:8]}",
            storage_path=storage_path,
            callbacks=[writer],
            verbose=0,
        ),
    )
    grid = tuner.fit()
    scored = [r for r in grid if r.metrics and math.isfinite(r.metrics.get(METRIC, -math.inf))]
    full = [r for r in scored if r.metrics.get("epoch") == epochs]
    pool = full or scored
    best = max(pool, key=lambda r: r.metrics[METRIC], default=None)
    return RayTuneResult(
        best_config=None if best is None else json.loads(best.metrics[RECORD])["config"],
        best_score=None if best is None else float(best.metrics[METRIC]),
        n_trials=len(grid),
        written=writer.written,
        experiment=experiment,
        results=grid,
    )
