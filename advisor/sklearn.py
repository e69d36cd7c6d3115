"""scikit-learn estimators that configure themselves: ``MLPClassifier``, ``MLPRegressor`` and
``AdvisorSearchCV``.

``MLPClassifier()`` / ``MLPRegressor()`` train the ``mlp`` space's PyTorch network with the
product's own preprocessing and trial runner. With ``hyperparameters="auto"`` (the default) the
configuration is the advisor's top suggestion for the data seen at ``fit`` (``config_`` and
``suggestion_`` afterwards); a named configuration (``"default"``), a dict, or explicit keyword
hyperparameters (``learning_rate=...``, which override everything else) fix it instead.
``AdvisorSearchCV`` has the ``GridSearchCV`` interface and runs the product's warm-started search
with cross-validated scores.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from advisor_core.errors import AdvisorError
from advisor_core.spaces import MLP_SPACE, named_config

__all__ = ["AdvisorSearchCV", "MLPClassifier", "MLPRegressor"]

HP_NAMES = tuple(MLP_SPACE.names)
#: Below this many rows ``hyperparameters="auto"`` uses ``default`` (too little data to judge).
AUTO_MIN_ROWS = 20
_ADVISORS: dict[str | None, Any] = {}


def _advisor(kb: str | None) -> Any:
    from advisor.facade import Advisor

    if kb not in _ADVISORS:
        _ADVISORS[kb] = Advisor(kb)
    return _ADVISORS[kb]


def _frame(X: Any, X_checked: np.ndarray) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    arr = np.asarray(X_checked)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


class _AdvisorMLP(BaseEstimator):
    """Shared implementation of the two estimators."""

    _task: Literal["classification", "regression"] = "classification"

    def __init__(
        self,
        hyperparameters: str | dict[str, Any] = "auto",
        *,
        optimizer: str | None = None,
        learning_rate: float | None = None,
        momentum: float | None = None,
        weight_decay: float | None = None,
        batch_size: int | None = None,
        num_layers: int | None = None,
        width: int | None = None,
        dropout: float | None = None,
        activation: str | None = None,
        normalization: str | None = None,
        lr_schedule: str | None = None,
        feature_scaling: str | None = None,
        epochs: int = 20,
        random_state: int = 0,
        device: str = "auto",
        kb: str | None = None,
    ) -> None:
        self.hyperparameters = hyperparameters
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.num_layers = num_layers
        self.width = width
        self.dropout = dropout
        self.activation = activation
        self.normalization = normalization
        self.lr_schedule = lr_schedule
        self.feature_scaling = feature_scaling
        self.epochs = epochs
        self.random_state = random_state
        self.device = device
        self.kb = kb

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    # -- configuration --------------------------------------------------------------------------
    def _base_config(self, dataset: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
        hp = self.hyperparameters
        if isinstance(hp, dict):
            return MLP_SPACE.validate(hp, complete=True), None
        if hp != "auto":
            return named_config(str(hp)), None
        if dataset.n_rows < AUTO_MIN_ROWS:
            return named_config("default"), None
        try:
            advice = _advisor(self.kb).suggest(dataset, k=1)
        except AdvisorError as exc:
            warnings.warn(
                f"no advice available ({str(exc)[:200]}); using `default`",
                UserWarning,
                stacklevel=3,
            )
            return named_config("default"), None
        top = advice.suggestions[0]
        info = {
            "config": top.config,
            "score": top.score,
            "predicted": top.predicted,
            "interval": top.interval,
            "out_of_distribution": advice.out_of_distribution,
            "neighbors": [n.name for n in top.neighbors],
        }
        return dict(top.config), info

    def _config(self, dataset: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
        explicit = {n: getattr(self, n) for n in HP_NAMES if getattr(self, n) is not None}
        if len(explicit) == len(HP_NAMES):  # fully specified: nothing to ask
            return MLP_SPACE.validate(explicit), None
        base, info = self._base_config(dataset)
        return MLP_SPACE.validate({**base, **explicit}), info

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> _AdvisorMLP:
        """Choose the configuration (see the class docstring) and train on all of X, y."""
        from advisor.facade import Advisor
        from advisor_core.errors import SearchError

        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        X_checked, y_checked = validate_data(
            self,
            X,
            y,
            reset=True,
            dtype=None,
            ensure_all_finite="allow-nan",
            y_numeric=self._task == "regression",
            ensure_min_samples=2,
        )
        if np.iscomplexobj(X_checked):
            raise ValueError("Complex data not supported")
        if self._task == "classification":
            check_classification_targets(y_checked)
        trainer = Advisor(self.kb, device=self.device)  # opens no knowledge base to train
        try:
            ds = trainer.load(
                _frame(X, X_checked), y=np.asarray(y_checked), task=self._task, min_rows=2
            )
            config, info = self._config(ds)
            try:
                model = trainer.fit_final(ds, config, epochs=self.epochs, seed=self.random_state)
            except SearchError as exc:
                warnings.warn(
                    f"training {exc.status} with {config}; falling back to `default`",
                    ConvergenceWarning,
                    stacklevel=2,
                )
                config, info = named_config("default"), None
                model = trainer.fit_final(ds, config, epochs=self.epochs, seed=self.random_state)
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None
        self.model_ = model
        self.config_ = dict(config)
        self.suggestion_ = info
        if self._task == "classification":
            self.classes_ = np.asarray(self.model_.classes)
        return self

    def _predict_input(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        X_checked = validate_data(self, X, reset=False, dtype=None, ensure_all_finite="allow-nan")
        if np.iscomplexobj(X_checked):
            raise ValueError("Complex data not supported")
        frame = _frame(X, X_checked)
        frame.columns = list(self.model_.feature_columns)
        return frame

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        try:
            return np.asarray(self.model_.predict(self._predict_input(X)))
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None


class MLPClassifier(ClassifierMixin, _AdvisorMLP):
    """A PyTorch MLP classifier whose hyperparameters come from the advisor by default."""

    _task = "classification"

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_)[proba.argmax(axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        try:
            return np.asarray(self.model_.predict_proba(self._predict_input(X)))
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None


class MLPRegressor(RegressorMixin, _AdvisorMLP):
    """A PyTorch MLP regressor whose hyperparameters come from the advisor by default."""

    _task = "regression"


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
    first ones are the advisor's suggestions for the data, the rest come from the advisor's
    sampler (``strategy="advisor"``), or Optuna's TPE / random sampling. Trials are written to
    the knowledge base unless ``contribute=False``.
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
        contribute: bool = True,
        kb: str | None = None,
        random_state: int = 0,
        error_score: float = np.nan,
    ) -> None:
        self.estimator = estimator
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.strategy = strategy
        self.warm_k = warm_k
        self.contribute = contribute
        self.kb = kb
        self.random_state = random_state
        self.error_score = error_score

    def _sampler(
        self,
        X: Any,
        y: Any,
        task: Literal["classification", "regression"],
    ) -> tuple[Any, list[dict[str, Any]], Any]:
        import optuna

        ds = _advisor(self.kb).load(_frame(X, np.asarray(X)), y=np.asarray(y), task=task)
        if self.strategy == "tpe":
            return optuna.samplers.TPESampler(seed=self.random_state), [], ds
        if self.strategy == "random":
            return optuna.samplers.RandomSampler(seed=self.random_state), [], ds
        if self.strategy != "advisor":
            raise ValueError(f"strategy is {self.strategy!r}, but must be advisor, tpe or random")
        adv = _advisor(self.kb)
        mf = adv.meta_features(ds)
        advice = adv.suggest(
            meta_features=mf.values, task=ds.task, k=max(1, min(self.warm_k, self.n_trials))
        )
        return (
            adv.sampler(mf.values, seed=self.random_state),
            [s.config for s in advice.suggestions],
            ds,
        )

    def fit(self, X: Any, y: Any) -> AdvisorSearchCV:
        import optuna
        from sklearn.base import is_classifier
        from sklearn.metrics import check_scoring
        from sklearn.model_selection import check_cv, cross_validate

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
        for cfg in warm:
            study.enqueue_trial(cfg, user_attrs={"warm_start": True})
        dists = _advisor(self.kb).distributions("mlp")
        rows: list[dict[str, Any]] = []
        n_splits = cv.get_n_splits(X, y)
        for _ in range(self.n_trials):
            trial = study.ask(dists)
            config = MLP_SPACE.validate(dict(trial.params))
            params = {f"{prefix}{k}": v for k, v in config.items()}
            est = clone(self.estimator).set_params(**params)
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
        from advisor.facade import Advisor

        name = (
            self.scoring
            if isinstance(self.scoring, str)
            else ("accuracy" if ds.task == "classification" else "r2")
        )
        info = _advisor(self.kb).dataset_record(ds)
        records = []
        for r in rows:
            ok = np.isfinite(r["mean"])
            records.append(
                {
                    "trial_id": Advisor.trial_id(
                        "searchcv",
                        info["fingerprint"],
                        repr(sorted(r["config"].items())),
                        self.random_state,
                        time.time_ns(),
                    ),
                    "dataset": {k: v for k, v in info.items() if v is not None},
                    "config": r["config"],
                    "seed": int(self.random_state),
                    "epochs": int(getattr(_advisor_step(self.estimator)[0], "epochs", 20)),
                    "learning_curve": [],
                    "metrics": {},
                    "objective": f"cv_{name}"[:32],
                    "score": float(r["mean"]) if ok else None,
                    "status": "complete" if ok else "failed",
                    "runtime_s": float(r["elapsed"]),
                    "advisor_version": __version__,
                    "contributor": "AdvisorSearchCV",
                }
            )
        try:
            _advisor(self.kb).contribute(records)
        except AdvisorError as exc:
            warnings.warn(
                f"trials not written to the knowledge base: {exc}", UserWarning, stacklevel=3
            )

    # -- delegation -----------------------------------------------------------------------------
    def _best(self) -> Any:
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self._best().predict(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self._best().predict_proba(X))

    def score(self, X: Any, y: Any) -> float:
        return float(self.scorer_(self._best(), X, y))

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self._best().classes_)
