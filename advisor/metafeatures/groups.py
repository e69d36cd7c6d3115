"""The four meta-feature groups: simple, statistical, information-theoretic, landmarking."""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from advisor.metafeatures.base import Context, MetaFeatureGroup, Spec

__all__ = ["InfoTheoryGroup", "LandmarkingGroup", "SimpleGroup", "StatisticalGroup"]


def _nanmean(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.mean()) if v.size else 0.0


def _nanmax(values: np.ndarray) -> float:
    v = values[np.isfinite(values)]
    return float(v.max()) if v.size else 0.0


def _entropy_bits(codes: np.ndarray) -> float:
    counts = np.bincount(codes)
    p = counts[counts > 0] / codes.size
    return float(-(p * np.log2(p)).sum())


def _specs(group: str, items: list[tuple[str, str]]) -> tuple[Spec, ...]:
    return tuple(Spec(n, group, d) for n, d in items)


class SimpleGroup(MetaFeatureGroup):
    name = "simple"
    specs = _specs(
        "simple",
        [
            ("is_classification", "1 for a classification task, 0 for regression"),
            ("n_rows", "number of rows with a target value (full data, not the subsample)"),
            ("log10_n_rows", "log10 of n_rows"),
            ("n_features", "number of feature columns"),
            ("log10_n_features", "log10 of n_features"),
            ("features_to_rows", "n_features / n_rows (pymfe attr_to_inst)"),
            ("log10_rows_to_features", "log10(n_rows / n_features) (pymfe inst_to_attr, log)"),
            ("n_numeric", "number of numeric feature columns (pymfe nr_num)"),
            ("n_categorical", "number of categorical (text, boolean, category) columns (nr_cat)"),
            ("share_categorical", "n_categorical / n_features"),
            ("share_missing_cells", "share of feature cells that are missing"),
            ("share_rows_with_missing", "share of rows with at least one missing feature"),
            ("n_classes", "number of classes (pymfe nr_class); none for regression"),
            ("class_entropy", "Shannon entropy of the class distribution in bits (class_ent)"),
            ("class_balance", "class entropy / log2(n_classes): 1 balanced, near 0 skewed"),
            ("minority_class_share", "share of rows in the rarest class (min of freq_class)"),
            ("majority_class_share", "share of rows in the most common class (max of freq_class)"),
            ("log10_imbalance_ratio", "log10(majority class size / minority class size)"),
            ("target_skewness", "skewness of a regression target; none for classification"),
            ("target_kurtosis", "excess kurtosis of a regression target; none for classification"),
            ("target_distinct_share", "distinct target values / rows, regression only"),
        ],
    )

    def compute(self, ctx: Context) -> dict[str, float | None]:
        n, p = ctx.n_rows_total, int(ctx.X.shape[1])
        n_cat = int(ctx.categorical.sum())
        missing = ctx.X.isna().to_numpy()
        out: dict[str, float | None] = {
            "is_classification": 1.0 if ctx.is_classification else 0.0,
            "n_rows": float(n),
            "log10_n_rows": math.log10(n),
            "n_features": float(p),
            "log10_n_features": math.log10(max(p, 1)),
            "features_to_rows": p / n,
            "log10_rows_to_features": math.log10(n / max(p, 1)),
            "n_numeric": float(p - n_cat),
            "n_categorical": float(n_cat),
            "share_categorical": n_cat / max(p, 1),
            "share_missing_cells": float(missing.mean()) if missing.size else 0.0,
            "share_rows_with_missing": float(missing.any(axis=1).mean()) if missing.size else 0.0,
        }
        if ctx.is_classification:
            counts = np.bincount(ctx.y.astype(np.int64))
            counts = counts[counts > 0]
            k = len(counts)
            ent = _entropy_bits(ctx.y.astype(np.int64))
            out.update(
                {
                    "n_classes": float(k),
                    "class_entropy": ent,
                    "class_balance": ent / math.log2(k) if k > 1 else 0.0,
                    "minority_class_share": float(counts.min() / counts.sum()),
                    "majority_class_share": float(counts.max() / counts.sum()),
                    "log10_imbalance_ratio": math.log10(counts.max() / counts.min()),
                    "target_skewness": None,
                    "target_kurtosis": None,
                    "target_distinct_share": None,
                }
            )
        else:
            y = ctx.y.astype(np.float64)
            out.update(
                {
                    "n_classes": None,
                    "class_entropy": None,
                    "class_balance": None,
                    "minority_class_share": None,
                    "majority_class_share": None,
                    "log10_imbalance_ratio": None,
                    "target_skewness": float(np.nan_to_num(_skew(y[:, None])[0])),
                    "target_kurtosis": float(np.nan_to_num(_kurt(y[:, None])[0])),
                    "target_distinct_share": len(np.unique(y)) / len(y),
                }
            )
        return out


def _moments(N: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = np.sum(~np.isnan(N), axis=0).astype(float)
    mean = np.nanmean(N, axis=0)
    d = N - mean
    m2 = np.nanmean(d**2, axis=0)
    m3 = np.nanmean(d**3, axis=0)
    m4 = np.nanmean(d**4, axis=0)
    return n, m2, m3, m4


def _skew(N: np.ndarray) -> np.ndarray:
    """Skewness per column, e1071 type 3 (pymfe's default): m3 / s^3, s with ddof=1."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n, m2, m3, _ = _moments(N)
        g1 = m3 / m2**1.5
        return np.where(
            m2 > 1e-12 * np.maximum(1.0, np.nanmax(np.abs(N), axis=0) ** 2),
            g1 * ((n - 1) / n) ** 1.5,
            np.nan,
        )


def _kurt(N: np.ndarray) -> np.ndarray:
    """Excess kurtosis per column, e1071 type 3 (pymfe's default): m4 / s^4 - 3."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        n, m2, _, m4 = _moments(N)
        g2 = m4 / m2**2
        return np.where(
            m2 > 1e-12 * np.maximum(1.0, np.nanmax(np.abs(N), axis=0) ** 2),
            g2 * (1 - 1 / n) ** 2 - 3,
            np.nan,
        )


class StatisticalGroup(MetaFeatureGroup):
    name = "statistical"
    specs = _specs(
        "statistical",
        [
            ("skewness_mean", "mean skewness of numeric columns (pymfe skewness.mean)"),
            ("skewness_abs_max", "largest absolute skewness of a numeric column"),
            ("kurtosis_mean", "mean excess kurtosis of numeric columns (pymfe kurtosis.mean)"),
            ("kurtosis_max", "largest excess kurtosis of a numeric column"),
            (
                "cor_abs_mean",
                "mean absolute Pearson correlation of numeric column pairs (cor.mean)",
            ),
            ("cor_abs_max", "largest absolute correlation of a numeric column pair"),
            ("pca_components_95", "share of principal components needed for 95% of variance"),
            ("pca_first_share", "share of variance explained by the first principal component"),
            ("pca_spectrum_entropy", "normalised entropy of the PCA variance spectrum"),
            ("outlier_cells_share", "share of numeric cells beyond 1.5 IQR from the quartiles"),
            ("zero_cells_share", "share of numeric cells that are exactly zero (sparsity)"),
            ("binary_columns_share", "share of columns with exactly two distinct values"),
            ("numeric_distinct_share_mean", "mean share of distinct values among numeric columns"),
        ],
    )

    def compute(self, ctx: Context) -> dict[str, float | None]:
        N = ctx.numeric
        out: dict[str, float | None] = {}
        if N.shape[1]:
            sk, ku = _skew(N), _kurt(N)
            out["skewness_mean"] = _nanmean(sk)
            out["skewness_abs_max"] = _nanmax(np.abs(sk))
            out["kurtosis_mean"] = _nanmean(ku)
            out["kurtosis_max"] = _nanmax(ku)
            Ni = ctx.numeric_imputed
            sd = Ni.std(axis=0)
            live = Ni[:, sd > 0]
            if live.shape[1] >= 2:
                C = np.abs(np.corrcoef(live, rowvar=False))
                tri = C[np.tril_indices(C.shape[0], k=-1)]
                out["cor_abs_mean"] = _nanmean(tri)
                out["cor_abs_max"] = _nanmax(tri)
            else:
                out["cor_abs_mean"] = out["cor_abs_max"] = 0.0
            q1, q3 = np.nanpercentile(N, [25, 75], axis=0)
            iqr = q3 - q1
            with np.errstate(invalid="ignore"):
                outl = (q1 - 1.5 * iqr > N) | (q3 + 1.5 * iqr < N)
            out["outlier_cells_share"] = float(outl.mean())
            out["zero_cells_share"] = float((N == 0).mean())
            distinct = [
                len(np.unique(col[~np.isnan(col)])) / max(1, np.sum(~np.isnan(col))) for col in N.T
            ]
            out["numeric_distinct_share_mean"] = float(np.mean(distinct))
        else:
            for k in (
                "skewness_mean",
                "skewness_abs_max",
                "kurtosis_mean",
                "kurtosis_max",
                "cor_abs_mean",
                "cor_abs_max",
                "outlier_cells_share",
                "zero_cells_share",
                "numeric_distinct_share_mean",
            ):
                out[k] = 0.0
        E = ctx.encoded
        if E.shape[1] >= 1 and E.shape[0] >= 2:
            s = np.linalg.svd(E - E.mean(axis=0), compute_uv=False)
            var = s**2
            total = var.sum()
            if total > 0:
                ratio = var / total
                k95 = int(np.searchsorted(np.cumsum(ratio), 0.95) + 1)
                out["pca_components_95"] = min(k95, E.shape[1]) / E.shape[1]
                out["pca_first_share"] = float(ratio[0])
                r = ratio[ratio > 0]
                out["pca_spectrum_entropy"] = (
                    float(-(r * np.log(r)).sum() / math.log(len(ratio))) if len(ratio) > 1 else 0.0
                )
            else:
                out["pca_components_95"] = out["pca_first_share"] = 1.0
                out["pca_spectrum_entropy"] = 0.0
        else:
            out["pca_components_95"] = out["pca_first_share"] = 1.0
            out["pca_spectrum_entropy"] = 0.0
        n_distinct = ctx.X.nunique(dropna=True).to_numpy()
        out["binary_columns_share"] = float((n_distinct == 2).mean())
        return out


_N_BINS = 10


def _discretise(N: np.ndarray) -> np.ndarray:
    """Equal-frequency bins (at most 10) per numeric column; missing values get their own bin."""
    out = np.empty(N.shape, dtype=np.int64)
    for j in range(N.shape[1]):
        col = N[:, j]
        ok = ~np.isnan(col)
        edges = (
            np.unique(np.quantile(col[ok], np.linspace(0, 1, _N_BINS + 1)[1:-1]))
            if ok.any()
            else np.empty(0)
        )
        codes = np.searchsorted(edges, np.where(ok, col, 0.0), side="right")
        out[:, j] = np.where(ok, codes, len(edges) + 1)
    return out


def _mutual_info_bits(a: np.ndarray, b: np.ndarray) -> float:
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    joint = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb) / a.size
    pa, pb = joint.sum(axis=1), joint.sum(axis=0)
    nz = joint > 0
    return float((joint[nz] * np.log2(joint[nz] / np.outer(pa, pb)[nz])).sum())


class InfoTheoryGroup(MetaFeatureGroup):
    name = "info_theory"
    specs = _specs(
        "info_theory",
        [
            ("attr_entropy_mean", "mean entropy of (binned) columns, normalised by log2 of levels"),
            ("target_entropy", "entropy of the class (or binned regression target) in bits"),
            ("mutual_info_mean", "mean mutual information (bits) between a column and the target"),
            ("mutual_info_max", "largest mutual information between a column and the target"),
            ("mutual_info_norm_mean", "mean mutual information divided by the target entropy"),
            (
                "equivalent_n_attributes",
                "log10(1 + target entropy / mean MI), pymfe eq_num_attr on log",
            ),
            (
                "noise_signal_ratio",
                "log10(1 + (mean column entropy - mean MI) / mean MI), ns_ratio",
            ),
        ],
    )

    def compute(self, ctx: Context) -> dict[str, float | None]:
        D = (
            np.hstack([_discretise(ctx.numeric), ctx.codes])
            if ctx.X.shape[1]
            else np.empty((len(ctx.X), 0), dtype=np.int64)
        )
        t = ctx.target_bins
        h_t = _entropy_bits(t)
        ents, norm_ents, mis = [], [], []
        for col in D.T:
            h = _entropy_bits(col)
            levels = len(np.unique(col))
            ents.append(h)
            norm_ents.append(h / math.log2(levels) if levels > 1 else 0.0)
            mis.append(_mutual_info_bits(col, t))
        mi = np.asarray(mis) if mis else np.zeros(1)
        mi_mean = float(mi.mean())
        ent_mean = float(np.mean(ents)) if ents else 0.0
        return {
            "attr_entropy_mean": float(np.mean(norm_ents)) if norm_ents else 0.0,
            "target_entropy": h_t,
            "mutual_info_mean": mi_mean,
            "mutual_info_max": float(mi.max()),
            "mutual_info_norm_mean": mi_mean / h_t if h_t > 0 else 0.0,
            "equivalent_n_attributes": math.log10(1 + h_t / mi_mean) if mi_mean > 0 else 6.0,
            "noise_signal_ratio": math.log10(1 + max(0.0, ent_mean - mi_mean) / mi_mean)
            if mi_mean > 0
            else 6.0,
        }


class LandmarkingGroup(MetaFeatureGroup):
    """Cheap models scored by 3-fold cross-validation on at most ``max_rows`` rows.

    Scores are *skill*: balanced accuracy rescaled so that chance is 0 and perfect is 1
    (classification), or R² (regression); so both tasks share one scale.
    """

    name = "landmarking"
    max_rows = 1000
    specs = _specs(
        "landmarking",
        [
            ("lm_stump", "skill of a depth-1 decision tree (pymfe best_node), 3-fold CV"),
            ("lm_tree3", "skill of a depth-3 decision tree, 3-fold CV"),
            ("lm_naive_bayes", "skill of Gaussian naive Bayes (classification only), 3-fold CV"),
            ("lm_1nn", "skill of 1-nearest-neighbour on standardised data (one_nn), 3-fold CV"),
            ("lm_linear", "skill of logistic regression / ridge regression, 3-fold CV"),
            ("lm_nonlinearity", "best of lm_tree3 and lm_1nn minus lm_linear"),
            ("lm_best", "best landmark skill"),
        ],
    )

    def compute(self, ctx: Context) -> dict[str, float | None]:
        X = ctx.encoded
        y = ctx.y
        rng = np.random.default_rng(ctx.seed + 17)
        if len(y) > self.max_rows:
            keep = np.sort(rng.choice(len(y), self.max_rows, replace=False))
            X, y = X[keep], y[keep]
        clf = ctx.is_classification
        if clf:
            y = y.astype(np.int64)
            counts = np.bincount(y)
            n_splits = int(max(2, min(3, counts[counts > 0].min())))
            folds = (
                StratifiedKFold(n_splits, shuffle=True, random_state=ctx.seed)
                if counts[counts > 0].min() >= 2
                else KFold(3, shuffle=True, random_state=ctx.seed)
            )
            models = {
                "lm_stump": DecisionTreeClassifier(max_depth=1, random_state=0),
                "lm_tree3": DecisionTreeClassifier(max_depth=3, random_state=0),
                "lm_naive_bayes": GaussianNB(var_smoothing=1e-6),
                "lm_1nn": KNeighborsClassifier(n_neighbors=1, algorithm="brute"),
                "lm_linear": LogisticRegression(C=1.0, max_iter=300),
            }
        else:
            y = y.astype(np.float64)
            folds = KFold(3, shuffle=True, random_state=ctx.seed)
            models = {
                "lm_stump": DecisionTreeRegressor(max_depth=1, random_state=0),
                "lm_tree3": DecisionTreeRegressor(max_depth=3, random_state=0),
                "lm_1nn": KNeighborsRegressor(n_neighbors=1, algorithm="brute"),
                "lm_linear": Ridge(alpha=1.0),
            }
        splits = list(folds.split(X, y))
        out: dict[str, float | None] = {"lm_naive_bayes": None}
        for name, model in models.items():
            scores = []
            for tr, te in splits:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X[tr], y[tr])
                    pred = model.predict(X[te])
                if clf:
                    k = len(np.unique(y))
                    ba = balanced_accuracy_score(y[te], pred)
                    scores.append((ba - 1 / k) / (1 - 1 / k))
                else:
                    scores.append(max(-1.0, r2_score(y[te], pred)))
            out[name] = float(np.mean(scores))
        linear = out["lm_linear"] or 0.0
        nonlin = max(out["lm_tree3"] or 0.0, out["lm_1nn"] or 0.0)
        out["lm_nonlinearity"] = nonlin - linear
        out["lm_best"] = max(v for k, v in out.items() if v is not None and k != "lm_nonlinearity")
        return out
