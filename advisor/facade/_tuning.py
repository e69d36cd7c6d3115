"""Suggestions, the warm-started search, and an Optuna sampler."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from advisor.data import Dataset, SplitCache
from advisor.facade._helpers import (
    DataArg,
    _dataset,
    _study_lock,
    announce_contribution,
    dataset_name_for,
    make_trial_id,
)
from advisor.facade._progress import ProgressCallback, progress_bar, wants_progress
from advisor.metafeatures import extract
from advisor_core.errors import ConfigError, ConflictError
from advisor_core.metafeature_schema import VERSION as META_VERSION
from advisor_core.metafeature_schema import check_vector

if TYPE_CHECKING:
    from advisor.search import SearchResult
    from advisor.suggest import Advice
    from advisor.trials import TrialResult

from advisor.facade._base import AdvisorBase

__all__ = ["TuningMixin"]


class TuningMixin(AdvisorBase):
    """Advice from the ranker and the search that starts from it."""

    def suggest(
        self,
        data: DataArg | Dataset | None = None,
        y: Any = None,
        *,
        target: str | None = None,
        meta_features: Mapping[str, Any] | None = None,
        task: str = "auto",
        k: int = 5,
        space: str = "mlp",
        epochs: int = 20,
        n_candidates: int = 2000,
        seed: int = 0,
    ) -> Advice:
        """Ranked, diverse starting configurations for a dataset.

        Parameters
        ----------
        data, y, target
            The data, as for :meth:`meta_features`; or none, with ``meta_features``.
        meta_features : mapping, optional
            The dataset's meta-features instead of its data (``MetaFeatures.values``).
        task : {"auto", "classification", "regression"}, default="auto"
            The task (with ``meta_features``: classification or regression).
        k : int, default=5
            How many suggestions (1 to 50).
        space : str, default="mlp"
            The search space (``"mlp@1"``: its version 1).
        epochs : int, default=20
            The training budget the advice is for: the best configuration at 10 epochs is
            not the best at 128.
        n_candidates : int, default=2000
            Perturbed configurations scored besides the knowledge base's.
        seed : int, default=0
            Seed of the perturbations.

        Returns
        -------
        Advice
            ``suggestions`` (configuration, score, predicted objective with an 80% interval,
            nearest datasets) and ``out_of_distribution``; ``to_dict()`` is the JSON answer.
            Neither data nor meta-features, a bad vector or task raise :class:`ConfigError`.

        Examples
        --------
        >>> Advisor().suggest("examples/credit_card.csv", target="card", k=3)
        >>> Advisor().suggest(meta_features=mf.values, task="classification")
        """
        from advisor.suggest import suggest as _suggest

        if meta_features is None:
            if data is None:
                raise ConfigError("give the data (X, y or a file with target) or meta_features")
            mf = extract(_dataset(data, target, y, task))
            values, resolved = dict(mf.values), mf.task
        else:
            if task not in ("classification", "regression"):
                raise ConfigError(
                    f"with meta_features, task must be classification or regression, got {task!r}"
                )
            values, resolved = check_vector(META_VERSION, dict(meta_features)), task
        art = self.ranker(space)
        return _suggest(
            art, values, resolved, k=k, epochs=epochs, n_candidates=n_candidates, seed=seed
        )

    def search(
        self,
        data: DataArg | Dataset,
        y: Any = None,
        *,
        target: str | None = None,
        task: str = "auto",
        n_trials: int | None = None,
        time_budget: float | None = None,
        strategy: str = "advisor",
        epochs: int = 20,
        seed: int = 0,
        storage: str | None = None,
        study_name: str | None = None,
        contribute: bool = True,
        space: str = "mlp",
        objective: str | None = None,
        trial_time_limit: float | None = None,
        dataset_name: str | None = None,
        on_progress: Callable[[int, float | None], None] | None = None,
        sampler_options: dict[str, Any] | None = None,
        compare_default: bool = True,
        progress: bool | None = None,
        confirm: int = 0,
        heartbeat: int = 10,
    ) -> SearchResult:
        """Tune the ``mlp`` space on ``data`` with short PyTorch trials (an Optuna study).

        Parameters
        ----------
        data, y, target, task
            The data, as for :meth:`meta_features`.
        n_trials, time_budget : int, float, optional
            The budget in trials and/or in wall-clock seconds (at least one).
        strategy : {"advisor", "warm", "tpe", "random"}, default="advisor"
            ``advisor``: warm start and ranker-guided refinement; ``warm``: the ranker's
            suggestions alone; ``tpe``, ``random``: cold.
        epochs : int, default=20
            The full budget of a trial (successive halving stops some early).
        seed : int, default=0
            Seed of the split, the samplers and the training.
        storage, study_name : str, optional
            An Optuna storage URL and study name, to share the study between processes.
        contribute : bool, default=True
            Write every finished trial to the knowledge base.
        space : str, default="mlp"
            The search space (the built-in trial runner trains ``mlp`` only).
        objective : str, optional
            The metric maximized (default: balanced accuracy / R²).
        trial_time_limit : float, optional
            Seconds after which a trial stops with status ``timeout``.
        dataset_name : str, optional
            The dataset's name in contributed trials.
        on_progress : callable, optional
            ``on_progress(finished_trials, best_score)`` after each trial.
        sampler_options : dict, optional
            Options of the ``advisor`` strategy's ``AdvisorSampler`` (``handover``,
            ``list_until``, ``interleave``, ``list_distance``, ``policy``).
        compare_default : bool, default=True
            Measure ``default`` on the same split and budget (``default_score`` of the
            result): the search's own trial of it, else one reference run after the search.
        progress : bool, optional
            Show a progress bar on stderr (trials done, best score). Default: only when stderr
            is a terminal, and never when ``on_progress`` is given.
        confirm : int, default=0
            Choose the answer among the ``confirm`` best configurations by their mean
            objective over the search's split and two further train/validation splits (a less
            noisy estimate on small data); the 2 x ``confirm`` confirmation trials count in
            ``n_trials``. 0: the best validation score on the search's split.
        heartbeat : int, default=10
            With a shared ``storage``: seconds between the heartbeats of a running trial. A
            trial silent for three of them (its process was killed) is marked failed and its
            configuration retried once by a surviving process.

        Returns
        -------
        SearchResult
            ``best_config``, ``best_score``, ``trials`` (a DataFrame) and the Optuna ``study``.
            No budget or an unknown strategy raise :class:`SearchError`.

        Examples
        --------
        >>> result = Advisor().search(X, y, n_trials=20)
        >>> result.best_config, result.trials.head()
        """
        from advisor.candidates import Prior, rank_candidates
        from advisor.records import dataset_info, trial_from_result
        from advisor.search import measure_default, run_search
        from advisor.search.confirm import searched

        started = time.time()  # a time budget counts from here: loading and ranking included
        ds = _dataset(data, target, y, task)
        sp = self.space(space)
        if sp.name != "mlp":
            raise ConfigError("the built-in trial runner trains the mlp space only")
        mf = extract(ds)
        ranked = None
        if strategy in ("advisor", "warm"):  # the list suggest() shows for this data and seed
            prior = Prior(self.ranker(space), mf.values, ds.task, epochs=epochs)
            ranked = rank_candidates(prior, seed=seed)
        name = dataset_name_for(ds, dataset_name)
        info = dataset_info(ds, mf, name=name)
        added = [0]

        def write(result: TrialResult, key: str | None) -> None:
            """Contribute one trial. A study's trial has an id from its key in the study: the
            retry of a lost trial that its dead worker had stored already is not stored again
            (the same id with other timings: the knowledge base keeps the first)."""
            if not contribute:
                return
            trial_id = None if key is None else make_trial_id("advisor-search", key)
            record = trial_from_result(
                result, info, contributor="advisor-search", trial_id=trial_id
            )
            try:
                added[0] += self.kb.contribute([record]).added
            except ConflictError:
                if key is None:
                    raise

        cache = SplitCache(ds, seed=seed)
        bar: AbstractContextManager[ProgressCallback | None] = (
            progress_bar("trials", searched(n_trials, confirm), time_budget)
            if on_progress is None and wants_progress(progress)
            else nullcontext(on_progress)
        )
        with bar as report:
            result = run_search(
                cache,
                sp,
                strategy=strategy,
                ranked=ranked,
                n_trials=n_trials,
                time_budget=_left(time_budget, started),
                epochs=epochs,
                seed=seed,
                storage=storage,
                study_name=study_name,
                device=self.device,
                objective=objective,
                trial_time_limit=trial_time_limit,
                on_result=write,
                on_progress=report,
                sampler_options=sampler_options,
                lock=_study_lock(storage),
                confirm=confirm,
                heartbeat=heartbeat,
            )
        left = _left(time_budget, started)
        if compare_default and left is not None and left < MIN_REFERENCE_S:
            result.default_source = "not measured: the time budget was spent"
        elif compare_default:
            run = measure_default(
                result,
                cache,
                sp,
                epochs=epochs,
                seed=seed,
                device=self.device,
                objective=objective,
                trial_time_limit=trial_time_limit
                if left is None
                else min(left, trial_time_limit or left),
            )
            if run is not None:
                write(run, None)  # each process's own reference run
        announce_contribution(
            self.kb.url, added[0], name, "contribute=False (advisor search: --no-contribute)"
        )
        return result

    def sampler(
        self,
        meta_features: Mapping[str, Any],
        *,
        task: str,
        space: str = "mlp",
        epochs: int = 20,
        seed: int = 0,
        param_map: dict[str, str] | None = None,
    ) -> Any:
        """An Optuna sampler (``AdvisorSampler``) that continues the list :meth:`suggest`
        shows for a dataset with these meta-features and refines it with the study's trials.

        Parameters
        ----------
        meta_features : mapping
            The dataset's meta-features (``MetaFeatures.values``).
        task : {"classification", "regression"}
            The dataset's task.
        space : str, default="mlp"
            The search space.
        epochs : int, default=20
            The training budget of the study's trials (as for :meth:`suggest`).
        seed : int, default=0
            The sampler's seed; the list is :meth:`suggest`'s with the same seed.
        param_map : dict, optional
            Space name to study name; with a map only the mapped parameters are guided.

        Returns
        -------
        optuna.samplers.BaseSampler
            Its ``proposer(study, trial_number)`` names who proposed a trial.
        """
        from advisor.candidates import Prior, rank_candidates
        from advisor.search import AdvisorSampler

        values = check_vector(META_VERSION, dict(meta_features))
        ranked = rank_candidates(Prior(self.ranker(space), values, task, epochs=epochs), seed=seed)
        return AdvisorSampler(ranked, seed=seed, param_map=param_map)


#: Seconds of a time budget that must be left to train ``default``'s reference run.
MIN_REFERENCE_S = 1.0


def _left(time_budget: float | None, started: float) -> float | None:
    """What is left of a time budget (at least a small positive amount), or ``None``."""
    if time_budget is None:
        return None
    return max(0.05, time_budget - (time.time() - started))
