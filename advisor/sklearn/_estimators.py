"""``MLPClassifier`` and ``MLPRegressor``: the ``mlp`` network as scikit-learn estimators."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from advisor_core.errors import AdvisorError
from advisor_core.spaces import MLP_SPACE, named_config

__all__ = ["MLPClassifier", "MLPRegressor"]

HP_NAMES = tuple(MLP_SPACE.names)
#: Below this many rows ``hyperparameters="auto"`` uses ``default`` (too little data to judge).
AUTO_MIN_ROWS = 20
_ADVISORS: dict[str, Any] = {}


def _advisor(kb: str | None) -> Any:
    """The advisor of a knowledge base, kept per URL (``None``: the default one, as
    ``$ADVISOR_KB_URL`` names it now)."""
    from advisor.facade import Advisor
    from knowledge_base import default_url

    url = kb or default_url()
    if url not in _ADVISORS:
        # no URL given: the default store, which starts from the shipped seed when new (an
        # explicit URL would create it empty)
        _ADVISORS[url] = Advisor(kb or None)
    return _ADVISORS[url]


def _frame(X: Any, X_checked: np.ndarray) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    arr = np.asarray(X_checked)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


class _AdvisorMLP(BaseEstimator):
    """Shared implementation of the two estimators (parameters: see :class:`MLPClassifier`)."""

    _task: Literal["classification", "regression"] = "classification"

    def __init__(
        self,
        hyperparameters: str | dict[str, Any] = "auto",
        *,
        optimizer: str | None = None,
        learning_rate: float | None = None,
        momentum: float | None = None,
        beta2: float | None = None,
        weight_decay: float | None = None,
        batch_size: int | None = None,
        num_layers: int | None = None,
        width: int | None = None,
        dropout: float | None = None,
        activation: str | None = None,
        normalization: str | None = None,
        parametrization: str | None = None,
        numerical_embedding: str | None = None,
        categorical_encoding: str | None = None,
        feature_scaling: str | None = None,
        lr_schedule: str | None = None,
        warmup: float | None = None,
        regularization_schedule: str | None = None,
        label_smoothing: float | None = None,
        epochs: int = 20,
        random_state: int = 0,
        device: str = "auto",
        kb: str | None = None,
        contribute: bool = False,
        dataset_name: str | None = None,
    ) -> None:
        self.hyperparameters = hyperparameters
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.beta2 = beta2
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.num_layers = num_layers
        self.width = width
        self.dropout = dropout
        self.activation = activation
        self.normalization = normalization
        self.parametrization = parametrization
        self.numerical_embedding = numerical_embedding
        self.categorical_encoding = categorical_encoding
        self.feature_scaling = feature_scaling
        self.lr_schedule = lr_schedule
        self.warmup = warmup
        self.regularization_schedule = regularization_schedule
        self.label_smoothing = label_smoothing
        self.epochs = epochs
        self.random_state = random_state
        self.device = device
        self.kb = kb
        self.contribute = contribute
        self.dataset_name = dataset_name

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
            return named_config(str(hp), task=self._task), None
        if dataset.n_rows < AUTO_MIN_ROWS:
            return named_config("default", task=self._task), None
        try:
            advice = _advisor(self.kb).suggest(dataset, k=1)
        except AdvisorError as exc:
            warnings.warn(
                f"no advice available ({str(exc)[:200]}); using `default`",
                UserWarning,
                stacklevel=3,
            )
            return named_config("default", task=self._task), None
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
        """Choose the configuration (see the class docstring) and train on all of X, y.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features (missing values, text and categorical columns are preprocessed).
        y : array-like of shape (n_samples,)
            The target.

        Returns
        -------
        self
        """
        from advisor.facade import Advisor, load_dataset
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
            ds = load_dataset(
                _frame(X, X_checked),
                y=np.asarray(y_checked),
                task=self._task,
                min_rows=2,
                min_rows_per_class=1,
            )
            config, info = self._config(ds)
            if self.contribute:
                self._contribute(trainer, ds, config)
            try:
                model = trainer.fit_final(ds, config, epochs=self.epochs, seed=self.random_state)
            except SearchError as exc:
                warnings.warn(
                    f"training {exc.status} with {config}; falling back to `default`",
                    ConvergenceWarning,
                    stacklevel=2,
                )
                config, info = named_config("default", task=self._task), None
                model = trainer.fit_final(ds, config, epochs=self.epochs, seed=self.random_state)
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None
        finally:
            trainer.close()
        self.model_ = model
        self.config_ = dict(config)
        self.suggestion_ = info
        if self._task == "classification":
            self.classes_ = np.asarray(self.model_.classes)
        return self

    def _contribute(self, trainer: Any, ds: Any, config: dict[str, Any]) -> None:
        """``contribute=True``: one trial of ``config`` on a 75/25 split, written to the
        knowledge base (the facade says so on stderr); a failed write is a warning."""
        try:
            trainer.evaluate(
                ds,
                config,
                epochs=self.epochs,
                seed=self.random_state,
                contribute=True,
                dataset_name=self.dataset_name,
            )
        except AdvisorError as exc:
            warnings.warn(
                f"the trial was not written to the knowledge base: {str(exc)[:300]}",
                UserWarning,
                stacklevel=3,
            )

    def _predict_input(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        X_checked = validate_data(self, X, reset=False, dtype=None, ensure_all_finite="allow-nan")
        if np.iscomplexobj(X_checked):
            raise ValueError("Complex data not supported")
        frame = _frame(X, X_checked)
        frame.columns = list(self.model_.feature_columns)
        return frame

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for ``X`` (the columns seen at ``fit``)."""
        check_is_fitted(self, "model_")
        try:
            return np.asarray(self.model_.predict(self._predict_input(X)))
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None


class MLPClassifier(ClassifierMixin, _AdvisorMLP):
    """A PyTorch MLP classifier whose hyperparameters come from the advisor by default.

    Parameters
    ----------
    hyperparameters : "auto", str or dict, default="auto"
        ``"auto"``: the advisor's top suggestion for the data seen at ``fit`` (``default``
        below 20 rows or when no advice is available); a named configuration (``"default"``,
        ``"rtdl"``, ...); or a dict of the ``mlp`` space (completed from ``default``).
    optimizer, learning_rate, momentum, beta2, weight_decay, batch_size, num_layers, width, \
dropout, activation, normalization, parametrization, numerical_embedding, categorical_encoding, \
feature_scaling, lr_schedule, warmup, regularization_schedule, label_smoothing : optional
        Hyperparameters of the ``mlp`` space that override ``hyperparameters``.
    epochs : int, default=20
        The training budget.
    random_state : int, default=0
        Seed of the training.
    device : str, default="auto"
        ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    kb : str, optional
        The knowledge base the advice comes from and trials go to (default: the user's).
    contribute : bool, default=False
        Also train one trial of the configuration on a 75/25 split of the data and write it
        (meta-features and outcome, never the data) to the knowledge base; ``fit`` then says
        so in one line on stderr. By default ``fit`` writes nothing.
    dataset_name : str, optional
        The data's name in that trial (default: ``data-`` and the start of its fingerprint).

    Attributes
    ----------
    config_ : dict
        The configuration trained.
    suggestion_ : dict or None
        The suggestion it came from (score, predicted objective, interval, nearest
        datasets), or ``None`` when it was fixed.
    model_ : FittedModel
        The trained network with its preprocessing.
    n_features_in_ : int
        Features seen at ``fit``.
    classes_ : ndarray
        The classes seen at ``fit``.

    Examples
    --------
    >>> from advisor.sklearn import MLPClassifier
    >>> clf = MLPClassifier().fit(X_train, y_train)  # doctest: +SKIP
    >>> clf.score(X_test, y_test), clf.config_["learning_rate"]  # doctest: +SKIP
    """

    _task = "classification"

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X``."""
        proba = self.predict_proba(X)
        return np.asarray(self.classes_)[proba.argmax(axis=1)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of each row of ``X`` (columns in ``classes_`` order)."""
        check_is_fitted(self, "model_")
        try:
            return np.asarray(self.model_.predict_proba(self._predict_input(X)))
        except AdvisorError as exc:
            raise ValueError(str(exc)) from None


class MLPRegressor(RegressorMixin, _AdvisorMLP):
    """A PyTorch MLP regressor whose hyperparameters come from the advisor by default.

    Parameters
    ----------
    hyperparameters : "auto", str or dict, default="auto"
        ``"auto"``: the advisor's top suggestion for the data seen at ``fit`` (``default``
        below 20 rows or when no advice is available); a named configuration (``"default"``,
        ``"rtdl"``, ...); or a dict of the ``mlp`` space (completed from ``default``).
    optimizer, learning_rate, momentum, beta2, weight_decay, batch_size, num_layers, width, \
dropout, activation, normalization, parametrization, numerical_embedding, categorical_encoding, \
feature_scaling, lr_schedule, warmup, regularization_schedule, label_smoothing : optional
        Hyperparameters of the ``mlp`` space that override ``hyperparameters``.
    epochs : int, default=20
        The training budget.
    random_state : int, default=0
        Seed of the training.
    device : str, default="auto"
        ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
    kb : str, optional
        The knowledge base the advice comes from and trials go to (default: the user's).
    contribute : bool, default=False
        Also train one trial of the configuration on a 75/25 split of the data and write it
        (meta-features and outcome, never the data) to the knowledge base; ``fit`` then says
        so in one line on stderr. By default ``fit`` writes nothing.
    dataset_name : str, optional
        The data's name in that trial (default: ``data-`` and the start of its fingerprint).

    Attributes
    ----------
    config_ : dict
        The configuration trained.
    suggestion_ : dict or None
        The suggestion it came from (score, predicted objective, interval, nearest
        datasets), or ``None`` when it was fixed.
    model_ : FittedModel
        The trained network with its preprocessing.
    n_features_in_ : int
        Features seen at ``fit``.

    Examples
    --------
    >>> from advisor.sklearn import MLPRegressor
    >>> reg = MLPRegressor(epochs=40).fit(X_train, y_train)  # doctest: +SKIP
    >>> reg.score(X_test, y_test)  # doctest: +SKIP
    """

    _task = "regression"
