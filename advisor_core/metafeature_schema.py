"""The meta-feature vector's schema: its version, the names in vector order, and validation of
a contributed vector.

The extractors live in :mod:`advisor.metafeatures` (one group of features per module); this leaf
holds only what the knowledge base needs to store and check vectors without computing them. A
test checks that the extractors' specs list exactly these names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from advisor_core.errors import ConfigError

__all__ = ["NAMES", "VERSION", "check_vector", "feature_names"]

#: Bumped whenever a feature's definition or the list of features changes.
VERSION = "1"

#: The names of version ``VERSION``, in vector order (simple, statistical,
#: information-theoretic, landmarking).
NAMES: tuple[str, ...] = (
    "is_classification",
    "n_rows",
    "log10_n_rows",
    "n_features",
    "log10_n_features",
    "features_to_rows",
    "log10_rows_to_features",
    "n_numeric",
    "n_categorical",
    "share_categorical",
    "share_missing_cells",
    "share_rows_with_missing",
    "n_classes",
    "class_entropy",
    "class_balance",
    "minority_class_share",
    "majority_class_share",
    "log10_imbalance_ratio",
    "target_skewness",
    "target_kurtosis",
    "target_distinct_share",
    "skewness_mean",
    "skewness_abs_max",
    "kurtosis_mean",
    "kurtosis_max",
    "cor_abs_mean",
    "cor_abs_max",
    "pca_components_95",
    "pca_first_share",
    "pca_spectrum_entropy",
    "outlier_cells_share",
    "zero_cells_share",
    "binary_columns_share",
    "numeric_distinct_share_mean",
    "attr_entropy_mean",
    "target_entropy",
    "mutual_info_mean",
    "mutual_info_max",
    "mutual_info_norm_mean",
    "equivalent_n_attributes",
    "noise_signal_ratio",
    "lm_stump",
    "lm_tree3",
    "lm_naive_bayes",
    "lm_1nn",
    "lm_linear",
    "lm_nonlinearity",
    "lm_best",
)


def feature_names(version: str = VERSION) -> list[str]:
    """Names of the meta-features of ``version``, in vector order."""
    if version != VERSION:
        raise ConfigError(
            f"meta-feature version is {version!r}, but this advisor knows only {VERSION!r}"
        )
    return list(NAMES)


def check_vector(version: Any, values: Any) -> dict[str, float | None]:
    """Validate a contributed meta-feature vector; return it as ``{name: float | None}``.

    Accepts a mapping with exactly the names of ``version`` or a list in vector order.
    """
    names = feature_names(str(version)) if isinstance(version, str | int) else None
    if names is None:
        raise ConfigError(f"meta-feature version is {version!r}, but must be {VERSION!r}")
    if isinstance(values, Mapping):
        missing = [n for n in names if n not in values]
        extra = [k for k in values if k not in names]
        if missing or extra:
            what = f"missing {missing[0]!r}" if missing else f"unknown {extra[0]!r}"
            raise ConfigError(
                f"meta-feature vector has {len(values)} values ({what}), but version {version} "
                f"has exactly {len(names)}"
            )
        seq = [values[n] for n in names]
    elif isinstance(values, list | tuple):
        if len(values) != len(names):
            raise ConfigError(
                f"meta-feature vector has {len(values)} values, but version {version} has "
                f"exactly {len(names)}"
            )
        seq = list(values)
    else:
        raise ConfigError("meta_features must be an object {name: number} or a list of numbers")
    out: dict[str, float | None] = {}
    for name, v in zip(names, seq, strict=True):
        if v is None:
            out[name] = None
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
            raise ConfigError(
                f"meta-feature {name!r} is {v!r}, but must be a finite number or null"
            )
        out[name] = float(v)
    return out
