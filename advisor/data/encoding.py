"""Encoding a user would otherwise write by hand, built from scikit-learn transformers.

* numeric columns: median imputation with missing-value indicators, then scaling
  (``standard``, ``robust``, ``quantile`` or ``smooth_clip``, the ``feature_scaling``
  hyperparameter; ``smooth_clip`` is RealMLP's robust scaling with smooth clipping);
* boolean columns: 0/1;
* categorical columns (``categorical_encoding``): ``onehot``: one-hot up to ``MAX_ONEHOT``
  levels (rare levels grouped), ordinal codes (bounded width, then scaled) beyond;
  ``embedding`` (RealMLP's): one-hot up to ``MAX_ONEHOT_EMBEDDING`` levels, integer codes
  beyond, which the network embeds (``categorical_columns_``, ``cardinalities_``);
* datetime columns (dtype datetime, or text that looks like ISO dates): expanded into year,
  month, day, weekday and time of day, then treated as numeric;
* text columns whose values are nearly all distinct (identifiers): dropped with a warning.

Everything is fitted on training rows only; the train/validation split is stratified (by class,
or by target quantile for regression) with a fixed seed.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from advisor.data.dataset import Task
from advisor_core.errors import ConfigError, DataError

__all__ = [
    "CATEGORICAL_ENCODINGS",
    "MAX_ONEHOT",
    "MAX_ONEHOT_EMBEDDING",
    "SCALINGS",
    "SmoothClipScaler",
    "TabularPreprocessor",
    "TargetEncoder",
]

Scaling = Literal["standard", "robust", "quantile", "smooth_clip"]
SCALINGS: tuple[str, ...] = ("standard", "robust", "quantile", "smooth_clip")
CATEGORICAL_ENCODINGS: tuple[str, ...] = ("onehot", "embedding")
#: Categorical columns with more levels than this are ordinal-encoded instead of one-hot.
MAX_ONEHOT = 32
#: With ``embedding``: more levels than this are embedded (RealMLP's ``max_one_hot_cat_size``).
MAX_ONEHOT_EMBEDDING = 9
#: Text columns with a larger share of distinct values (and > 50 rows) are dropped as identifiers.
ID_UNIQUE_SHARE = 0.95
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


class SmoothClipScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """RealMLP's robust scaling with smooth clipping (Holzmüller et al., 2024).

    Centre each column at its median, divide by its interquartile range (half its range where
    that is 0; constant columns become 0), then ``x / sqrt(1 + (x / 3) ** 2)``: outliers are
    squashed smoothly towards +-3 instead of dominating the scale.
    """

    def fit(self, X: Any, y: Any = None) -> SmoothClipScaler:
        A = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = A.shape[1]
        self.median_ = np.median(A, axis=0)
        iqr = np.quantile(A, 0.75, axis=0) - np.quantile(A, 0.25, axis=0)
        half_range = 0.5 * (A.max(axis=0) - A.min(axis=0))
        iqr = np.where(iqr > 0, iqr, half_range)
        self.factor_ = np.where(iqr > 0, 1.0 / np.where(iqr > 0, iqr, 1.0), 0.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        z = (np.asarray(X, dtype=np.float64) - self.median_) * self.factor_
        return np.asarray(z / np.sqrt(1.0 + (z / 3.0) ** 2))


def _scaler(scaling: str, n_rows: int) -> Any:
    if scaling == "smooth_clip":
        return SmoothClipScaler()
    if scaling == "standard":
        return StandardScaler()
    if scaling == "robust":
        return RobustScaler(quantile_range=(5.0, 95.0), unit_variance=True)
    if scaling == "quantile":
        return QuantileTransformer(
            n_quantiles=max(2, min(1000, n_rows)),
            output_distribution="normal",
            subsample=100_000,
            random_state=0,
        )
    raise ConfigError(f"feature_scaling is {scaling!r}, but must be one of {', '.join(SCALINGS)}")


def _looks_like_dates(col: pd.Series) -> bool:
    sample = col.dropna().astype(str).head(200)
    return len(sample) > 0 and sample.map(lambda s: bool(_ISO_DATE.match(s))).mean() >= 0.9


def _expand_datetimes(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if not columns:
        return X
    X = X.copy()
    for c in columns:
        ts = pd.to_datetime(X[c], errors="coerce", format="ISO8601", utc=True)
        X[f"{c}__year"] = ts.dt.year.astype(float)
        X[f"{c}__month"] = ts.dt.month.astype(float)
        X[f"{c}__day"] = ts.dt.day.astype(float)
        X[f"{c}__weekday"] = ts.dt.weekday.astype(float)
        X[f"{c}__hour"] = (ts.dt.hour + ts.dt.minute / 60.0).astype(float)
        X = X.drop(columns=[c])
    return X


def _impute_constant() -> SimpleImputer:
    return SimpleImputer(strategy="constant", fill_value="__missing__")


def _onehot(max_levels: int) -> Pipeline:
    encoder = OneHotEncoder(
        handle_unknown="infrequent_if_exist",
        max_categories=max_levels,
        sparse_output=False,
        dtype=np.float32,
    )
    return Pipeline([("impute", _impute_constant()), ("encode", encoder)])


def _codes(scaled: bool) -> Pipeline:
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64)
    steps: list[tuple[str, Any]] = [("impute", _impute_constant()), ("encode", encoder)]
    if scaled:
        steps.append(("scale", StandardScaler()))
    return Pipeline(steps)


class TabularPreprocessor:
    """Turns a feature DataFrame into a float32 matrix; fit on training rows only.

    After ``fit``: ``numeric_columns_`` are the output columns of scaled numeric features (the
    ones numerical embeddings apply to); with ``categorical="embedding"``,
    ``categorical_columns_`` hold integer category codes (``cardinalities_[i]`` marks an
    unknown level) for the network to embed.
    """

    def __init__(self, scaling: str = "standard", categorical: str = "onehot") -> None:
        self.scaling = scaling
        self.categorical = categorical

    def fit(self, X: pd.DataFrame) -> TabularPreprocessor:
        _scaler(self.scaling, len(X))  # validates the name early
        if self.categorical not in CATEGORICAL_ENCODINGS:
            raise ConfigError(
                f"categorical_encoding is {self.categorical!r}, but must be one of "
                f"{', '.join(CATEGORICAL_ENCODINGS)}"
            )
        embed = self.categorical == "embedding"
        max_onehot = MAX_ONEHOT_EMBEDDING if embed else MAX_ONEHOT
        self.columns_ = [str(c) for c in X.columns]
        self.datetime_columns_: list[str] = []
        self.dropped_columns_: list[str] = []
        numeric, boolean, onehot, ordinal = [], [], [], []
        for c in X.columns:
            col = X[c]
            if pd.api.types.is_datetime64_any_dtype(col):
                self.datetime_columns_.append(str(c))
            elif col.dtype == bool:
                boolean.append(str(c))
            elif pd.api.types.is_numeric_dtype(col):
                numeric.append(str(c))
            elif _looks_like_dates(col):
                self.datetime_columns_.append(str(c))
            else:
                n_levels = col.nunique(dropna=True)
                looks_like_id = len(col) > 50 and n_levels >= ID_UNIQUE_SHARE * col.notna().sum()
                if n_levels == 0 or looks_like_id:
                    self.dropped_columns_.append(str(c))
                elif n_levels <= max_onehot:
                    onehot.append(str(c))
                else:
                    ordinal.append(str(c))
        if self.dropped_columns_:
            warnings.warn(
                "dropped column(s) that look like identifiers or are empty: "
                + ", ".join(self.dropped_columns_[:10]),
                stacklevel=2,
            )
        for c in self.datetime_columns_:
            numeric.extend(f"{c}__{p}" for p in ("year", "month", "day", "weekday", "hour"))
        impute = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        num = Pipeline([("impute", impute), ("scale", _scaler(self.scaling, len(X)))])
        transformers: list[tuple[str, Any, list[str]]] = []
        if numeric:
            transformers.append(("num", num, numeric))
        if boolean:
            transformers.append(("bool", SimpleImputer(strategy="most_frequent"), boolean))
        if onehot:
            transformers.append(("onehot", _onehot(max_onehot), onehot))
        if ordinal:
            transformers.append(("ordinal", _codes(scaled=not embed), ordinal))
        if not transformers:
            raise DataError("no usable feature columns (all empty or identifier-like)")
        self.transformer_ = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
        Xe = self._cast(_expand_datetimes(X, self.datetime_columns_), boolean, onehot + ordinal)
        self._bool, self._cat = boolean, onehot + ordinal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            self.transformer_.fit(Xe)
        self.numeric_columns_ = tuple(range(len(numeric)))
        self.categorical_columns_: tuple[int, ...] = ()
        self.cardinalities_: tuple[int, ...] = ()
        if embed and ordinal:
            width = int(self.transform(X.head(1)).shape[1])
            encoder = self.transformer_.named_transformers_["ordinal"].named_steps["encode"]
            self.cardinalities_ = tuple(len(c) for c in encoder.categories_)
            self.categorical_columns_ = tuple(range(width - len(ordinal), width))
        return self

    @staticmethod
    def _cast(X: pd.DataFrame, boolean: list[str], categorical: list[str]) -> pd.DataFrame:
        X = X.copy()
        for c in boolean:
            X[c] = X[c].astype(float)
        for c in categorical:
            col = X[c]
            X[c] = [None if pd.isna(v) else str(v) for v in col.astype(object)]
        return X

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            raise DataError(
                f"column(s) {', '.join(repr(m) for m in missing[:5])} missing from the data "
                "(the model was trained with them)"
            )
        Xe = self._cast(
            _expand_datetimes(X[self.columns_], self.datetime_columns_), self._bool, self._cat
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            out = self.transformer_.transform(Xe)
        out = np.asarray(out, dtype=np.float32)
        np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        for j, card in zip(self.categorical_columns_, self.cardinalities_, strict=True):
            out[:, j] = np.where(out[:, j] < 0, card, out[:, j])
        return out

    def fit_transform(self, X: pd.DataFrame) -> np.ndarray:
        return self.fit(X).transform(X)


class TargetEncoder:
    """Class labels to codes ``0..C-1`` (classification) or standardisation (regression)."""

    def __init__(self, task: Task) -> None:
        self.task = task

    def fit(self, y: pd.Series, classes: list[Any] | None = None) -> TargetEncoder:
        if self.task == "classification":
            self.classes_ = list(classes) if classes is not None else sorted(y.unique().tolist())
            self._index = {c: i for i, c in enumerate(self.classes_)}
        else:
            v = y.to_numpy(dtype=np.float64)
            self.mean_ = float(v.mean())
            self.scale_ = float(v.std()) or 1.0
        return self

    def transform(self, y: pd.Series) -> np.ndarray:
        if self.task == "classification":
            unknown = [v for v in y.unique().tolist() if v not in self._index]
            if unknown:
                raise DataError(f"target has class {unknown[0]!r} that training never saw")
            return y.map(self._index).to_numpy(dtype=np.int64)
        return ((y.to_numpy(dtype=np.float64) - self.mean_) / self.scale_).astype(np.float32)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        if self.task == "classification":
            return np.asarray(self.classes_, dtype=object)[values]
        return values.astype(np.float64) * self.scale_ + self.mean_
