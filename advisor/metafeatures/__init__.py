"""A versioned vector of dataset meta-features, computed on a bounded, seeded subsample.

Four groups (see :mod:`advisor.metafeatures.groups`): simple, statistical,
information-theoretic and landmarking. The same input gives bit-identical output; the cost is
bounded for any dataset size because statistics use at most ``MAX_ROWS`` rows and landmarking
at most 1,000. Values are floats, or ``None`` where a feature does not apply to the task (class
features for regression, target moments for classification).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from advisor.data import Dataset
from advisor.metafeatures.base import Context, MetaFeatureGroup, Spec
from advisor.metafeatures.groups import (
    InfoTheoryGroup,
    LandmarkingGroup,
    SimpleGroup,
    StatisticalGroup,
)
from advisor_core.metafeature_schema import VERSION, check_vector, feature_names

__all__ = [
    "GROUPS",
    "MAX_ROWS",
    "VERSION",
    "MetaFeatureGroup",
    "MetaFeatures",
    "Spec",
    "check_vector",
    "extract",
    "feature_names",
    "specs",
]

#: Rows used for statistical and information-theoretic features (seeded subsample).
MAX_ROWS = 5000
GROUPS: tuple[MetaFeatureGroup, ...] = (
    SimpleGroup(),
    StatisticalGroup(),
    InfoTheoryGroup(),
    LandmarkingGroup(),
)


def specs() -> list[Spec]:
    """Every meta-feature with its group and one-line description, in vector order."""
    return [s for g in GROUPS for s in g.specs]


@dataclass(frozen=True)
class MetaFeatures:
    """A meta-feature vector: ``values`` maps name to float (or ``None``) for ``version``."""

    task: str
    version: str
    values: Mapping[str, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "version": self.version, "meta_features": dict(self.values)}

    def as_array(self) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in self.values.values()], dtype=float)


def _round(v: float | None) -> float | None:
    if v is None:
        return None
    if not math.isfinite(v):
        return None
    return float(f"{v:.10g}")


def _categorical_mask(X: pd.DataFrame) -> list[bool]:
    """Text, boolean and category columns are categorical; numbers and datetimes are numeric."""
    return [
        not (
            (pd.api.types.is_numeric_dtype(X[c]) and X[c].dtype != bool)
            or pd.api.types.is_datetime64_any_dtype(X[c])
        )
        for c in X.columns
    ]


def extract(dataset: Dataset, *, seed: int = 0, max_rows: int = MAX_ROWS) -> MetaFeatures:
    """Compute the meta-feature vector of ``dataset`` (deterministic for a given ``seed``)."""
    n = dataset.n_rows
    rows = np.arange(n)
    if n > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
    X = dataset.X.iloc[rows].reset_index(drop=True)
    mask = _categorical_mask(X)
    X = X.apply(lambda c: c.astype("int64").astype(float) if c.dtype == bool else c)
    if dataset.task == "classification":
        classes = dataset.classes or []
        index = {c: i for i, c in enumerate(classes)}
        y = dataset.y.iloc[rows].map(index).to_numpy(dtype=np.int64)
    else:
        y = dataset.y.iloc[rows].to_numpy(dtype=np.float64)
    dt = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])]
    for c in dt:
        X[c] = X[c].astype("int64").astype(float)
    ctx = Context(X, y, dataset.task, n, mask, seed)
    values: dict[str, float | None] = {}
    for group in GROUPS:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = group.compute(ctx)
        for s in group.specs:
            values[s.name] = _round(got[s.name])
    return MetaFeatures(task=dataset.task, version=VERSION, values=values)
