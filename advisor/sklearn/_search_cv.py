"""``AdvisorSearchCV``: the warm-started search with the ``GridSearchCV`` interface."""

from __future__ import annotations

import time
import warnings
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.validation import check_is_fitted

from advisor.sklearn._estimators import _advisor, _AdvisorMLP, _frame
from advisor_core.errors import AdvisorError
from advisor_core.spaces import MLP_SPACE

__all__ = ["AdvisorSearchCV"]


def _advisor_step(estimator: Any) -> tuple[_AdvisorMLP, str]:
    """The advisor estimator inside ``estimator`` (itself, or a Pipeline's last step)."""
    if isinstance(estimator, _AdvisorMLP):
        return estimator, ""
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[-1][1], _AdvisorMLP):
        return steps[-1][1], f"{steps[-1][0]}__"
    raise ValueError(
        "estimator must be an MLPClassifier/MLPRegressor or a Pipeline ending "
        f"with one, got {type(estimator).__name__}"
    )


class AdvisorSearchCV(MetaEstimatorMixin, BaseEstimator):
    """A warm-started hyperparameter search with the ``GridSearchCV`` interface.

    Every trial is a full configuration of the ``mlp`` space scored by cross-validation; the
    first ones are the advisor's suggestions for the data (its warm start), the rest continue
    the same list and refine it (the advisor's sampler, ``strategy="advisor"``), or come from
    Optuna's TPE / random sampling. With ``contribute=True`` the trials are written to the
    knowledge base (``fit`` says so in one line on stderr); by default nothing is written.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        The estimator to tune, or a Pipeline whose last step is one.
    n_trials : int, default=20
        How many configurations to cross-validate.
    cv : int, cross-validation generator or iterable, optional
        As for ``GridSearchCV`` (default: 5-fold, stratified for classifiers).
    scoring : str or callable, optional
        As for ``GridSearchCV`` (default: the estimator's ``score``).
    refit : bool, default=True
        Refit the best configuration on all the data (``best_estimator_``).
    strategy : {"advisor", "tpe", "random"}, default="advisor"
        Who proposes the trials.
    warm_k : int, default=5
        How many of the advisor's suggestions run first (``strategy="advisor"``).
    contribute : bool, default=False
        Write the trials (meta-features and cross-validated scores, never the data) to the
        knowledge base. The cross-validation fits themselves never contribute.
    dataset_name : str, optional
        The data's name in the written trials (default: ``data-`` and the start of its
        fingerprint).
    kb : str, optional
        The knowledge base (default: the user's).
    random_state : int, default=0
        Seed of the suggestions' list and of the sampler.
    error_score : float, default=nan
        The score of a failed fit, as for ``cross_validate``.
    progress : bool, optional
        Show a progress bar on stderr (configurations done, best mean score). Default: only
        when stderr is a terminal.

    Attributes
    ----------
    cv_results_ : dict of ndarray
        As ``GridSearchCV``'s, with a ``warm_start`` column.
    best_index_ : int
        The best trial's row of ``cv_results_``.
    best_score_ : float
        Its mean cross-validated score.
    best_params_ : dict
        Its parameters (with the Pipeline step's prefix).
    best_config_ : dict
        Its configuration of the ``mlp`` space.
    best_estimator_ : estimator
        Refitted on all the data (with ``refit=True``).
    refit_time_ : float
        Seconds the refit took.
    scorer_ : callable
        The scorer used.
    n_splits_ : int
        Cross-validation splits.
    study_ : optuna.Study
        The search's study (user attributes ``warm_start`` and ``proposed_by`` per trial).

    Examples
    --------
    >>> from advisor.sklearn import AdvisorSearchCV, MLPClassifier
    >>> search = AdvisorSearchCV(MLPClassifier(), n_trials=8, cv=3)  # doctest: +SKIP
    >>> search.fit(X_train, y_train).best_params_  # doctest: +SKIP
    """

    def __init__(
        self,
        estimator: Any,
        *,
        n_trials: int = 20,
        cv: Any = None,
        scoring: Any = None,
        refit: bool = True,
        strategy: str = "advisor",
        warm_k: int = 5,
        contribute: bool = False,
        dataset_name: str | None = None,
        kb: str | None = None,
        random_state: int = 0,
        error_score: float = np.nan,
        progress: bool | None = None,
    ) -> None:
        self.estimator = estimator
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.strategy = strategy
        self.warm_k = warm_k
        self.contribute = contribute
        self.dataset_name = dataset_name
        self.kb = kb
        self.random_state = random_state
        self.error_score = error_score
        self.progress = progress

    def _sampler(
        self,
        X: Any,
        y: Any,
        task: Literal["classification", "regression"],
    ) -> tuple[Any, list[dict[str, Any]], Any]:
        import optuna

        from advisor.facade import load_dataset

        ds = load_dataset(_frame(X, np.asarray(X)), y=np.asarray(y), task=task)
        if self.strategy == "tpe":
            return optuna.samplers.TPESampler(seed=self.random_state), [], ds
        if self.strategy == "random":
            return optuna.samplers.RandomSampler(seed=self.random_state), [], ds
        if self.strategy != "advisor":
            raise ValueError(f"strategy is {self.strategy!r}, but must be advisor, tpe or random")
        adv = _advisor(self.kb)
        mf = adv.meta_features(ds)
        advice = adv.suggest(
            meta_features=mf.values,
            task=ds.task,
            k=max(1, min(self.warm_k, self.n_trials)),
            seed=self.random_state,
        )
        return (
            adv.sampler(mf.values, task=ds.task, seed=self.random_state),
            [s.config for s in advice.suggestions],
            ds,
        )

    def fit(self, X: Any, y: Any) -> AdvisorSearchCV:
        """Run the search and, with ``refit=True``, refit the best configuration.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            The target.

        Returns
        -------
        self
        """
        from contextlib import nullcontext

        import optuna
        from sklearn.base import is_classifier
        from sklearn.metrics import check_scoring
        from sklearn.model_selection import check_cv

        from advisor.facade import (
            distributions,
            enqueue_warm_start,
            progress_bar,
            wants_progress,
        )

        if (
            not isinstance(self.n_trials, int)
            or isinstance(self.n_trials, bool)
            or self.n_trials < 1
        ):
            raise ValueError(f"n_trials is {self.n_trials!r}, but must be an integer >= 1")
        base, prefix = _advisor_step(self.estimator)
        task = base._task
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.scorer_ = check_scoring(self.estimator, scoring=self.scoring)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            sampler, warm, ds = self._sampler(X, y, task)
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None
        study = optuna.create_study(direction="maximize", sampler=sampler)
        enqueue_warm_start(study, warm)
        dists = distributions(MLP_SPACE)
        rows: list[dict[str, Any]] = []
        n_splits = cv.get_n_splits(X, y)
        bar = (
            progress_bar("configurations", self.n_trials, None)
            if wants_progress(self.progress)
            else nullcontext(None)
        )
        with bar as report:
            for _ in range(self.n_trials):
                self._cross_validate_one(study, sampler, dists, X, y, cv, prefix, rows)
                if report is not None:
                    means = [r["mean"] for r in rows if np.isfinite(r["mean"])]
                    report(len(rows), max(means) if means else None)
        self._set_results(rows, n_splits)
        self.study_ = study
        if self.contribute:
            self._contribute(ds, rows)
        if self.refit and self.best_index_ is not None:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            t0 = time.perf_counter()
            self.best_estimator_.fit(X, y)
            self.refit_time_ = time.perf_counter() - t0
        return self

    def _cross_validate_one(
        self,
        study: Any,
        sampler: Any,
        dists: Any,
        X: Any,
        y: Any,
        cv: Any,
        prefix: str,
        rows: list[dict[str, Any]],
    ) -> None:
        """Ask the study for one configuration, cross-validate it, tell the mean score and
        append the result to ``rows``."""
        import optuna
        from sklearn.model_selection import cross_validate

        trial = study.ask(dists)
        who = sampler.proposer(study, trial.number) if self.strategy == "advisor" else None
        if who is not None:
            trial.set_user_attr("proposed_by", who)
        config = MLP_SPACE.validate(dict(trial.params))
        params = {f"{prefix}{k}": v for k, v in config.items()}
        est = clone(self.estimator).set_params(**params, **{f"{prefix}contribute": False})
        t0 = time.perf_counter()
        res = cross_validate(
            est,
            X,
            y,
            cv=cv,
            scoring=self.scorer_,
            error_score=self.error_score,
            return_train_score=False,
        )
        scores = np.asarray(res["test_score"], dtype=float)
        mean = float(np.nanmean(scores)) if np.isfinite(scores).any() else float("nan")
        if np.isfinite(mean):
            study.tell(trial, mean)
        else:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        rows.append(
            {
                "params": params,
                "config": config,
                "scores": scores,
                "mean": mean,
                "fit_time": res["fit_time"],
                "score_time": res["score_time"],
                "warm_start": bool(trial.user_attrs.get("warm_start", False)),
                "elapsed": time.perf_counter() - t0,
            }
        )

    def _set_results(self, rows: list[dict[str, Any]], n_splits: int) -> None:
        means = np.array([r["mean"] for r in rows], dtype=float)
        ranked = np.where(np.isnan(means), -np.inf, means)
        order = np.argsort(-ranked, kind="stable")
        rank = np.empty(len(rows), dtype=int)
        rank[order] = np.arange(1, len(rows) + 1)
        results: dict[str, Any] = {
            "params": [r["params"] for r in rows],
            "mean_test_score": means,
            "std_test_score": np.array([np.nanstd(r["scores"]) for r in rows]),
            "rank_test_score": rank,
            "mean_fit_time": np.array([np.mean(r["fit_time"]) for r in rows]),
            "std_fit_time": np.array([np.std(r["fit_time"]) for r in rows]),
            "mean_score_time": np.array([np.mean(r["score_time"]) for r in rows]),
            "std_score_time": np.array([np.std(r["score_time"]) for r in rows]),
            "warm_start": np.array([r["warm_start"] for r in rows]),
        }
        for k in range(n_splits):
            results[f"split{k}_test_score"] = np.array([r["scores"][k] for r in rows])
        for name in rows[0]["params"] if rows else []:
            results[f"param_{name}"] = np.ma.MaskedArray(
                np.array([r["params"][name] for r in rows], dtype=object)
            )
        self.cv_results_ = results
        self.n_splits_ = n_splits
        finite = np.isfinite(means)
        self.best_index_ = int(order[0]) if finite.any() else None
        if self.best_index_ is None:
            raise ValueError("every trial failed; see cv_results_")
        self.best_score_ = float(means[self.best_index_])
        self.best_params_ = dict(rows[self.best_index_]["params"])
        self.best_config_ = dict(rows[self.best_index_]["config"])

    def _contribute(self, ds: Any, rows: list[dict[str, Any]]) -> None:
        from advisor._version import __version__
        from advisor.facade import announce_contribution, dataset_record, make_trial_id
        from knowledge_base import TrialRecord

        name = (
            self.scoring
            if isinstance(self.scoring, str)
            else ("accuracy" if ds.task == "classification" else "r2")
        )
        info = dataset_record(ds, name=self.dataset_name)  # named data-<fingerprint> by default
        records: list[TrialRecord] = []
        for r in rows:
            ok = np.isfinite(r["mean"])
            records.append(
                TrialRecord(
                    trial_id=make_trial_id(
                        "searchcv",
                        info["fingerprint"],
                        repr(sorted(r["config"].items())),
                        self.random_state,
                        time.time_ns(),
                    ),
                    dataset=info,
                    config=r["config"],
                    seed=int(self.random_state),
                    epochs=int(getattr(_advisor_step(self.estimator)[0], "epochs", 20)),
                    objective=f"cv_{name}"[:32],
                    score=float(r["mean"]) if ok else None,
                    status="complete" if ok else "failed",
                    runtime_s=float(r["elapsed"]),
                    advisor_version=__version__,
                    contributor="AdvisorSearchCV",
                )
            )
        adv = _advisor(self.kb)
        try:
            report = adv.contribute(records)
        except AdvisorError as exc:
            warnings.warn(
                f"trials not written to the knowledge base: {exc}", UserWarning, stacklevel=3
            )
            return
        announce_contribution(adv.kb.url, report.added, info["name"], "contribute=False")

    # -- delegation -----------------------------------------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def predict(self, X: Any) -> np.ndarray:
        """``best_estimator_.predict(X)``."""
        return np.asarray(self._best().predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """``best_estimator_.predict_proba(X)``."""
        return np.asarray(self._best().predict_proba(X))

    def score(self, X: Any, y: Any) -> float:
        """``scorer_`` of ``best_estimator_`` on ``X``, ``y``."""
        return float(self.scorer_(self._best(), X, y))

    @property
    def classes_(self) -> np.ndarray:
        """``best_estimator_.classes_``."""
        return np.asarray(self._best().classes_)
