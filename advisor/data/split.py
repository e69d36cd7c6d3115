"""The train/validation split: seeded, stratified row positions, and the prepared (encoded)
float matrices of each side, cached per preprocessing setting."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from advisor.data.dataset import Dataset, Task
from advisor.data.encoding import TabularPreprocessor, TargetEncoder
from advisor_core.errors import ConfigError

__all__ = ["PreparedSplit", "SplitCache", "prepare_split", "split_indices"]


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

    @property
    def numeric_columns(self) -> tuple[int, ...]:
        """Columns of scaled numeric features (where numerical embeddings apply)."""
        return tuple(self.preprocessor.numeric_columns_)

    @property
    def categorical_columns(self) -> tuple[int, ...]:
        """Columns of category codes to embed (``categorical_encoding="embedding"``)."""
        return tuple(self.preprocessor.categorical_columns_)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(self.preprocessor.cardinalities_)


def prepare_split(
    dataset: Dataset,
    scaling: str = "standard",
    *,
    categorical: str = "onehot",
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
    pre = TabularPreprocessor(scaling, categorical).fit(X_tr)
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
        self._settings = (valid_fraction, max_train_rows, max_valid_rows)
        self.rows = split_indices(dataset, valid_fraction, seed, max_train_rows, max_valid_rows)
        self._prepared: dict[tuple[str, str], PreparedSplit] = {}

    def reseeded(self, seed: int) -> SplitCache:
        """Another split of the same dataset with the same fraction and caps.

        Parameters
        ----------
        seed : int
            The new split's seed.

        Returns
        -------
        SplitCache
        """
        fraction, max_train, max_valid = self._settings
        return SplitCache(
            self.dataset,
            valid_fraction=fraction,
            seed=seed,
            max_train_rows=max_train,
            max_valid_rows=max_valid,
        )

    def prepared(self, scaling: str, categorical: str = "onehot") -> PreparedSplit:
        """The split encoded with ``feature_scaling`` and ``categorical_encoding``."""
        key = (scaling, categorical)
        if key not in self._prepared:
            self._prepared[key] = prepare_split(
                self.dataset, scaling, categorical=categorical, rows=self.rows
            )
        return self._prepared[key]
