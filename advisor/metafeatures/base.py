"""The plug-in point for meta-feature groups and the context they share."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

__all__ = ["Context", "MetaFeatureGroup", "Spec"]


@dataclass(frozen=True)
class Spec:
    """One meta-feature: its name, group and a one-line description."""

    name: str
    group: str
    description: str


class Context:
    """What every group may read: the full-size counts and a bounded, seeded subsample.

    ``X`` is the subsampled feature frame, ``y`` the subsampled target (class codes for
    classification, floats for regression). Derived matrices are computed once, lazily.
    """

    def __init__(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        task: str,
        n_rows_total: int,
        categorical: list[bool],
        seed: int,
    ) -> None:
        self.X = X
        self.y = y
        self.task = task
        self.n_rows_total = n_rows_total
        self.categorical = np.asarray(categorical, dtype=bool)
        self.seed = seed

    @property
    def is_classification(self) -> bool:
        return self.task == "classification"

    @cached_property
    def numeric(self) -> np.ndarray:
        """Numeric columns as float64, missing values left as NaN."""
        cols = [c for c, cat in zip(self.X.columns, self.categorical, strict=True) if not cat]
        if not cols:
            return np.empty((len(self.X), 0))
        return self.X[cols].to_numpy(dtype=np.float64, na_value=np.nan)

    @cached_property
    def numeric_imputed(self) -> np.ndarray:
        N = self.numeric.copy()
        if N.size:
            all_missing = np.isnan(N).all(axis=0)
            N[:, all_missing] = 0.0
            med = np.nanmedian(N, axis=0)
            idx = np.where(np.isnan(N))
            N[idx] = np.take(med, idx[1])
        return N

    @cached_property
    def codes(self) -> np.ndarray:
        """Categorical columns as integer codes (missing = its own code)."""
        cols = [c for c, cat in zip(self.X.columns, self.categorical, strict=True) if cat]
        out = np.empty((len(self.X), len(cols)), dtype=np.int64)
        for j, c in enumerate(cols):
            out[:, j] = pd.factorize(self.X[c].astype(str), sort=True)[0]
        return out

    @cached_property
    def encoded(self) -> np.ndarray:
        """All columns as a standardised float matrix (numeric imputed, categoricals as codes)."""
        M = np.hstack([self.numeric_imputed, self.codes.astype(np.float64)])
        if M.shape[1] == 0:
            return M
        sd = M.std(axis=0)
        return (M - M.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

    @cached_property
    def target_bins(self) -> np.ndarray:
        """Class codes, or the regression target cut into 10 quantile bins."""
        if self.is_classification:
            return self.y.astype(np.int64)
        edges = np.unique(np.quantile(self.y, np.linspace(0.1, 0.9, 9)))
        return np.searchsorted(edges, self.y, side="right").astype(np.int64)


class MetaFeatureGroup(abc.ABC):
    """A group of meta-features computed together from a :class:`Context`.

    ``specs`` declares the names it returns; ``compute`` returns a value (float or ``None``
    when not applicable to the task) for every declared name.
    """

    name: str
    specs: tuple[Spec, ...]

    @abc.abstractmethod
    def compute(self, ctx: Context) -> dict[str, float | None]:
        """Compute every meta-feature of the group."""
