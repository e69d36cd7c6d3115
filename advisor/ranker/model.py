"""``AdvisorRanker``: a scikit-learn-style LightGBM LambdaMART ranker over configurations.

One query group per dataset; labels are relevance grades from the within-dataset normalized
score (``GRADES`` levels, finer at the top, where regret is decided).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

__all__ = ["GRADE_EDGES", "AdvisorRanker", "Blend", "grades", "regressor"]

#: Normalized-score edges of the relevance grades 0..len(GRADE_EDGES): finer near the top.
GRADE_EDGES = (0.5, 0.7, 0.8, 0.88, 0.94, 0.97, 0.99)


#: Grading schemes: normalized-score edges, and whether gains grow exponentially.
GRADINGS: dict[str, tuple[tuple[float, ...], bool]] = {
    "top8": (GRADE_EDGES, True),
    "fine16": (tuple(np.round(np.linspace(1 / 16, 15 / 16, 15), 4)), False),
    # the top8 edges over the within-dataset rank quantile (1 = best) instead of the score
    "rank8": (GRADE_EDGES, True),
}


def rank_quantiles(norm: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Within-query rank quantile of each row: 1 for the best, 0 for the worst (ties share)."""
    out = np.empty(len(norm))
    start = 0
    for n in np.asarray(group, dtype=int):
        block = pd.Series(norm[start : start + n])
        out[start : start + n] = (block.rank(method="average") - 1) / max(n - 1, 1)
        start += n
    return out


def grades(norm: np.ndarray, grading: str = "top8") -> np.ndarray:
    """Relevance grade of each normalized score (``top8``: 0 = poor ... 7 = within 1% of
    the best)."""
    edges, _ = GRADINGS[grading]
    return np.searchsorted(np.asarray(edges), norm, side="right").astype(int)


def _tree_params(
    n_estimators: int = 300,
    learning_rate: float = 0.05,
    num_leaves: int = 15,
    min_child_samples: int = 40,
    colsample_bytree: float = 0.8,
    subsample: float = 0.8,
    reg_lambda: float = 1.0,
    random_state: int = 0,
) -> dict[str, Any]:
    """The LightGBM settings every model of the ranker package shares."""
    return {
        "n_estimators": n_estimators,
        "learning_rate": learning_rate,
        "num_leaves": num_leaves,
        "min_child_samples": min_child_samples,
        "colsample_bytree": colsample_bytree,
        "subsample": subsample,
        "subsample_freq": 1,
        "reg_lambda": reg_lambda,
        "random_state": random_state,
        "n_jobs": 1,
        "verbose": -1,
    }


_TREE_ARGS = (
    "n_estimators",
    "learning_rate",
    "num_leaves",
    "min_child_samples",
    "colsample_bytree",
    "subsample",
    "reg_lambda",
    "random_state",
)


def regressor(**overrides: Any) -> Any:
    """A pointwise (or quantile, with ``objective="quantile", alpha=...``) LightGBM
    regressor with the shared settings."""
    from lightgbm import LGBMRegressor

    tree = {k: overrides.pop(k) for k in list(overrides) if k in _TREE_ARGS}
    return LGBMRegressor(**_tree_params(**tree), **overrides)


@dataclass(frozen=True)
class Blend:
    """How the ranker's parts make its score: the one implementation, used by
    :meth:`AdvisorRanker.predict` and by the saved artifact (``RankerArtifact.score``).

    ``score = (1 - w) * listwise / scales[0] + w * pointwise / scales[1] + offset * prior_knn``,
    where ``w`` is ``weight``, or ``weight_regression`` (when set) on the rows of regression
    datasets (``mf.is_classification`` = 0). Without a pointwise model the score is the
    listwise one as it is (plus the offset).

    Parameters
    ----------
    weight : float
        The pointwise model's weight (every row, or the classification rows).
    scales : tuple of float
        The spread (standard deviation) of the listwise and of the pointwise model's training
        predictions; each part is divided by its own.
    weight_regression : float or None
        The pointwise weight on regression rows; ``None``: ``weight`` everywhere.
    offset : float
        Weight of the ``prior_knn`` feature added to the score (a residual ranker; 0: none).
    """

    weight: float = 0.0
    scales: tuple[float, float] = (1.0, 1.0)
    weight_regression: float | None = None
    offset: float = 0.0

    def weights(self, is_classification: np.ndarray | None, n: int) -> np.ndarray:
        """The pointwise weight of each of ``n`` rows (by the row's task, when known)."""
        w = np.full(n, float(self.weight))
        if self.weight_regression is not None and is_classification is not None:
            w[np.asarray(is_classification, dtype=float) == 0] = float(self.weight_regression)
        return w

    def scaled(self, listwise: np.ndarray, pointwise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each part divided by its scale."""
        return listwise / self.scales[0], pointwise / self.scales[1]

    @staticmethod
    def mix(listwise: np.ndarray, pointwise: np.ndarray, w: float | np.ndarray) -> np.ndarray:
        """``(1 - w) * listwise + w * pointwise`` of scaled parts."""
        return np.asarray((1 - w) * listwise + w * pointwise, dtype=float)

    def score(
        self,
        listwise: np.ndarray,
        pointwise: np.ndarray | None = None,
        *,
        is_classification: np.ndarray | None = None,
        prior_knn: np.ndarray | None = None,
    ) -> np.ndarray:
        """The score of each row from the models' raw predictions (see the class docstring)."""
        out = np.asarray(listwise, dtype=float)
        if pointwise is not None:
            lw, pw = self.scaled(out, np.asarray(pointwise, dtype=float))
            out = self.mix(lw, pw, self.weights(is_classification, len(lw)))
        if self.offset and prior_knn is not None:
            out = out + self.offset * np.asarray(prior_knn, dtype=float)
        return out

    def to_list(self) -> list[float]:
        """``[weight, scale, scale(, weight_regression)]``: the artifact's ``blend`` entry."""
        out = [float(self.weight), *map(float, self.scales)]
        return out if self.weight_regression is None else [*out, float(self.weight_regression)]

    @classmethod
    def from_list(cls, values: list[float] | tuple[float, ...], offset: float = 0.0) -> Blend:
        """The inverse of :meth:`to_list` (the offset is stored apart)."""
        v = [float(x) for x in values]
        return cls(v[0], (v[1], v[2]), v[3] if len(v) > 3 else None, float(offset))


class AdvisorRanker(BaseEstimator):
    """LightGBM ``LGBMRanker`` (``lambdarank``) with the advisor's defaults.

    ``fit(X, norm, group)`` takes normalized scores and turns them into grades; ``predict``
    returns a score per row (higher = better; comparable within one dataset). With
    ``pointwise_weight`` > 0 the ranker is blended with a pointwise LightGBM regressor of the
    normalized score on the same features (each scaled by the spread of its training
    predictions): the listwise model orders the top, the pointwise one keeps the scale of
    differences (``experiments/ranker_variants/README.md``). ``pointwise_weight_regression``, when
    set, is the weight for regression datasets (rows with ``mf.is_classification`` = 0);
    :func:`advisor.ranker.fit.ranker_params` chooses both by grouped cross-validation.
    After ``fit``: ``model_`` (the listwise model), ``pointwise_`` (or ``None``),
    ``feature_names_`` and ``blend_`` (the :class:`Blend` that ``predict`` applies).
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
        colsample_bytree: float = 0.8,
        subsample: float = 0.8,
        reg_lambda: float = 1.0,
        objective: str = "lambdarank",
        feature_set: str = "all",
        prior_offset: float = 0.0,
        grading: str = "top8",
        pointwise_weight: float = 0.5,
        pointwise_weight_regression: float | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.colsample_bytree = colsample_bytree
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.objective = objective
        self.feature_set = feature_set
        self.prior_offset = prior_offset
        self.grading = grading
        self.pointwise_weight = pointwise_weight
        self.pointwise_weight_regression = pointwise_weight_regression
        self.random_state = random_state

    def _tree(self) -> dict[str, Any]:
        return _tree_params(
            self.n_estimators,
            self.learning_rate,
            self.num_leaves,
            self.min_child_samples,
            self.colsample_bytree,
            self.subsample,
            self.reg_lambda,
            self.random_state,
        )

    def _model(self) -> Any:
        from lightgbm import LGBMRanker

        return LGBMRanker(
            objective=self.objective,
            label_gain=self._gains(),
            lambdarank_truncation_level=20,
            **self._tree(),
        )

    def _gains(self) -> list[float]:
        edges, exponential = GRADINGS[self.grading]
        n = len(edges) + 1
        return [float(2**g - 1) if exponential else float(g) for g in range(n)]

    def _columns(self, X: pd.DataFrame) -> list[str]:
        """``all``; ``no_priors`` (meta-features + configuration); ``no_meta`` (configuration +
        priors); ``config`` (configuration only)."""
        cols = list(X.columns)
        if self.feature_set in ("no_priors", "config"):
            cols = [c for c in cols if not c.startswith("prior_")]
        if self.feature_set in ("no_meta", "config"):
            cols = [c for c in cols if not c.startswith("mf.")]
        return cols

    def _offset(self, X: pd.DataFrame) -> np.ndarray | None:
        """The initial score of training rows (a residual ranker): ``prior_offset * prior_knn``."""
        if not self.prior_offset or "prior_knn" not in X.columns:
            return None
        return self.prior_offset * X["prior_knn"].to_numpy(dtype=float)

    def _label_source(self, norm: np.ndarray, group: np.ndarray) -> np.ndarray:
        return rank_quantiles(norm, group) if self.grading.startswith("rank") else norm

    def fit(self, X: pd.DataFrame, norm: np.ndarray, group: np.ndarray) -> AdvisorRanker:
        self.feature_names_ = self._columns(X)
        self.model_ = self._model()
        self.model_.fit(
            X[self.feature_names_],
            grades(self._label_source(np.asarray(norm), np.asarray(group)), self.grading),
            group=np.asarray(group),
            init_score=self._offset(X),
        )
        self.pointwise_ = None
        self.blend_ = Blend(offset=float(self.prior_offset or 0.0))
        if self.pointwise_weight or self.pointwise_weight_regression:
            self.pointwise_ = regressor(**{k: getattr(self, k) for k in _TREE_ARGS}).fit(
                X[self.feature_names_], np.asarray(norm)
            )
            # fixed scales (so a blend does not depend on which rows are scored together)
            scales = (
                float(np.std(self.model_.predict(X[self.feature_names_]))) or 1.0,
                float(np.std(self.pointwise_.predict(X[self.feature_names_]))) or 1.0,
            )
            regression = self.pointwise_weight_regression
            self.blend_ = Blend(
                weight=float(self.pointwise_weight),
                scales=scales,
                weight_regression=None if regression is None else float(regression),
                offset=float(self.prior_offset or 0.0),
            )
        return self

    def parts(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """The listwise and the pointwise score of each row, each divided by its scale
        (without a pointwise model: the listwise score as it is, and ``None``)."""
        lw, pw = self._raw_parts(X)
        return (lw, None) if pw is None else self.blend_.scaled(lw, pw)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The score of each row (higher = better): the parts blended by ``blend_``."""
        lw, pw = self._raw_parts(X)
        return self.blend_.score(
            lw,
            pw,
            is_classification=_column(X, "mf.is_classification"),
            prior_knn=_column(X, "prior_knn"),
        )

    def _raw_parts(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        check_is_fitted(self, "model_")
        rows = X[self.feature_names_]
        lw = np.asarray(self.model_.predict(rows), dtype=float)
        if self.pointwise_ is None:
            return lw, None
        return lw, np.asarray(self.pointwise_.predict(rows), dtype=float)


def _column(X: pd.DataFrame, name: str) -> np.ndarray | None:
    return X[name].to_numpy(dtype=float) if name in X.columns else None
