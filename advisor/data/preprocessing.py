"""Preprocessing a user would otherwise write by hand, built from scikit-learn transformers.

* numeric columns: median imputation with missing-value indicators, then scaling
  (``standard``, ``robust`` or ``quantile``, the ``feature_scaling`` hyperparameter);
* boolean columns: 0/1;
* categorical columns with at most ``MAX_ONEHOT`` levels: one-hot (rare levels grouped);
  with more levels: ordinal codes (bounded width), then scaled;
* datetime columns (dtype datetime, or text that looks like ISO dates): expanded into year,
  month, day, weekday and time of day, then treated as numeric;
* text columns whose values are nearly all distinct (identifiers): dropped with a warning.

Everything is fitted on training rows only; the train/validation split is stratified (by class,
or by target quantile for regression) with a fixed seed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from advisor.data.dataset import Dataset, Task
from advisor_core.errors import ConfigError, DataError

__all__ = [
    "MAX_ONEHOT",
    "SCALINGS",
    "PreparedSplit",
    "SplitCache",
    "TabularPreprocessor",
    "TargetEncoder",
    "prepare_split",
    "split_indices",
]

Scaling = Literal["standard", "robust", "quantile"]
SCALINGS: tuple[str, ...] = ("standard", "robust", "quantile")
#: Categorical columns with more levels than this are ordinal-encoded instead of one-hot.
MAX_ONEHOT = 32
#: Text columns with a larger share of distinct values (and > 50 rows) are dropped as identifiers.
ID_UNIQUE_SHARE = 0.95
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def _scaler(scaling: str, n_rows: int) -> Any:
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


class TabularPreprocessor:
    """Turns a feature DataFrame into a float32 matrix; fit on training rows only."""

    def __init__(self, scaling: str = "standard") -> None:
        self.scaling = scaling

    def fit(self, X: pd.DataFrame) -> TabularPreprocessor:
        _scaler(self.scaling, len(X))  # validates the name early
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
                elif n_levels <= MAX_ONEHOT:
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
        n = len(X)
        transformers: list[tuple[str, Any, list[str]]] = []
        if numeric:
            transformers.append(
                (
                    "num",
                    Pipeline(
                        [
                            (
                                "impute",
                                SimpleImputer(
                                    strategy="median", add_indicator=True, keep_empty_features=True
                                ),
                            ),
                            ("scale", _scaler(self.scaling, n)),
                        ]
                    ),
                    numeric,
                )
            )
        if boolean:
            transformers.append(("bool", SimpleImputer(strategy="most_frequent"), boolean))
        if onehot:
            transformers.append(
                (
                    "onehot",
                    Pipeline(
                        [
                            (
                                "impute",
                                SimpleImputer(strategy="constant", fill_value="__missing__"),
                            ),
                            (
                                "encode",
                                OneHotEncoder(
                                    handle_unknown="infrequent_if_exist",
                                    max_categories=MAX_ONEHOT,
                                    sparse_output=False,
                                    dtype=np.float32,
                                ),
                            ),
                        ]
                    ),
                    onehot,
                )
            )
        if ordinal:
            transformers.append(
                (
                    "ordinal",
                    Pipeline(
                        [
                            (
                                "impute",
                                SimpleImputer(strategy="constant", fill_value="__missing__"),
                            ),
                            (
                                "encode",
                                OrdinalEncoder(
                                    handle_unknown="use_encoded_value",
                                    unknown_value=-1,
                                    dtype=np.float64,
                                ),
                            ),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    ordinal,
                )
            )
        if not transformers:
            raise DataError("no usable feature columns (all empty or identifier-like)")
        self.transformer_ = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
        Xe = self._cast(_expand_datetimes(X, self.datetime_columns_), boolean, onehot + ordinal)
        self._bool, self._cat = boolean, onehot + ordinal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            self.transformer_.fit(Xe)
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


def split_indices(
    dataset: Dataset,
    valid_fraction: float = 0.25,
    seed: int = 0,
    max_train_rows: int | None = None,
    max_valid_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of a stratified train/validation split (seeded, deterministic).

    Classification is stratified by class; regression by target quintile. Optional caps
    subsample each side (stratified too), which bounds a trial's cost on large data.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ConfigError(f"valid_fraction is {valid_fraction}, but must be in (0, 1)")
    n = dataset.n_rows
    strata = _strata(dataset)
    idx = np.arange(n)
    train, valid = train_test_split(
        idx, test_size=valid_fraction, random_state=seed, stratify=strata
    )
    train, valid = (
        _cap(train, strata, max_train_rows, seed),
        _cap(valid, strata, max_valid_rows, seed),
    )
    return np.sort(train), np.sort(valid)


def _strata(dataset: Dataset) -> np.ndarray | None:
    if dataset.task == "classification":
        return dataset.y.astype(str).to_numpy()
    y = dataset.y.to_numpy(dtype=float)
    if len(y) < 50:
        return None
    edges = np.quantile(y, [0.2, 0.4, 0.6, 0.8])
    return np.searchsorted(edges, y, side="right")


def _cap(rows: np.ndarray, strata: np.ndarray | None, cap: int | None, seed: int) -> np.ndarray:
    if cap is None or len(rows) <= cap:
        return rows
    s = None if strata is None else strata[rows]
    if s is not None and min(np.unique(s, return_counts=True)[1]) < 2:
        s = None
    kept, _ = train_test_split(rows, train_size=cap, random_state=seed + 1, stratify=s)
    return np.asarray(kept)


@dataclass
class PreparedSplit:
    """Float32 features and encoded targets of one train/validation split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    task: Task
    n_classes: int
    preprocessor: TabularPreprocessor
    target_encoder: TargetEncoder
    train_rows: np.ndarray
    valid_rows: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def prepare_split(
    dataset: Dataset,
    scaling: str = "standard",
    *,
    valid_fraction: float = 0.25,
    seed: int = 0,
    max_train_rows: int | None = None,
    max_valid_rows: int | None = None,
    rows: tuple[np.ndarray, np.ndarray] | None = None,
) -> PreparedSplit:
    """Split ``dataset``, fit preprocessing on the training rows, transform both sides."""
    train, valid = (
        rows
        if rows is not None
        else split_indices(dataset, valid_fraction, seed, max_train_rows, max_valid_rows)
    )
    X_tr, X_va = dataset.X.iloc[train], dataset.X.iloc[valid]
    y_tr, y_va = dataset.y.iloc[train], dataset.y.iloc[valid]
    pre = TabularPreprocessor(scaling).fit(X_tr)
    tenc = TargetEncoder(dataset.task).fit(y_tr, dataset.classes)
    return PreparedSplit(
        X_train=pre.transform(X_tr),
        y_train=tenc.transform(y_tr),
        X_valid=pre.transform(X_va),
        y_valid=tenc.transform(y_va),
        task=dataset.task,
        n_classes=dataset.n_classes or 0,
        preprocessor=pre,
        target_encoder=tenc,
        train_rows=train,
        valid_rows=valid,
    )


class SplitCache:
    """One seeded train/validation split of a dataset, prepared lazily once per scaling.

    The trial runner asks for the split that matches a configuration's ``feature_scaling``;
    every configuration of a search shares the same rows.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        valid_fraction: float = 0.25,
        seed: int = 0,
        max_train_rows: int | None = None,
        max_valid_rows: int | None = None,
    ) -> None:
        self.dataset = dataset
        self.seed = seed
        self.rows = split_indices(dataset, valid_fraction, seed, max_train_rows, max_valid_rows)
        self._prepared: dict[str, PreparedSplit] = {}

    def prepared(self, scaling: str) -> PreparedSplit:
        if scaling not in self._prepared:
            self._prepared[scaling] = prepare_split(self.dataset, scaling, rows=self.rows)
        return self._prepared[scaling]
