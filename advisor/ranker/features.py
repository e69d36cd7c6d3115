"""Ranker features: meta-features, the encoded configuration, and what a portfolio knows.

Besides the dataset's meta-features and the configuration (log10 for log-scaled values,
categoricals as categories), every row carries two priors computed on *other* datasets:

* ``prior_mean`` – the configuration's mean normalized score on the training datasets
  (for a training row: leave its own group out);
* ``prior_knn`` – its mean normalized score on the ``k`` nearest training datasets by scaled L1
  distance of meta-features (again leaving the row's own group out).

A configuration never evaluated in the knowledge base takes the priors of its nearest evaluated
configuration (its "parent").
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from advisor.ranker.table import BUDGET_COLUMN, PerformanceTable, budget_aware
from advisor_core.spaces import CategoricalParam, SearchSpace

__all__ = [
    "UNSEEN_SHRINK",
    "FeatureSpace",
    "config_frame",
    "encoded_frame",
    "json_matrix",
    "perturb_units",
]

PRIORS = ("prior_mean", "prior_knn")
#: Interaction features of data and configuration (:meth:`FeatureSpace.derived`).
DERIVED = ("x.log10_steps_per_epoch", "x.log10_total_steps", "x.log10_weights")
#: Weight of the ranker's own score for a configuration it never saw evaluated, against the
#: score of its nearest evaluated configuration (the rest is shrunk towards that parent).
UNSEEN_SHRINK = 0.5


def config_frame(space: SearchSpace, configs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Encoded configurations: ``hp.NAME`` columns (categoricals as pandas categories)."""
    return encoded_frame(space, space.encode(configs))


def encoded_frame(space: SearchSpace, enc: np.ndarray) -> pd.DataFrame:
    """``hp.NAME`` columns from an :meth:`SearchSpace.encode` matrix."""
    out: dict[str, Any] = {}
    for j, p in enumerate(space.params):
        col = enc[:, j]
        if isinstance(p, CategoricalParam):
            out[f"hp.{p.name}"] = pd.Categorical.from_codes(
                col.astype(int).tolist(), categories=pd.Index(list(p.choices))
            )
        else:
            out[f"hp.{p.name}"] = col
    return pd.DataFrame(out)


class FeatureSpace:
    """Everything needed to turn (dataset, configurations) into ranker rows.

    Fitted on a :class:`PerformanceTable` (:meth:`from_table`) or restored from its stored
    arrays (:meth:`from_dict`); holds the meta-feature scaling, the dataset-by-configuration
    matrix of normalized scores and the configuration encodings.

    Parameters
    ----------
    space : SearchSpace
        The space of the configurations.
    configs : mapping of str to dict
        The knowledge base's configurations by hash, in column order.
    fingerprints, groups, tasks : sequence of str
        One per knowledge-base dataset, in row order.
    mf_columns : list of str
        The meta-feature columns (``mf.NAME``).
    mf_min, mf_max : ndarray
        The meta-features' range over the knowledge base (the scaling).
    scaled : ndarray
        The datasets' scaled meta-features (datasets x ``mf_columns``; see :meth:`scale`).
    norm : ndarray
        Normalized scores, datasets x configurations (NaN: not evaluated).
    k_neighbors : int
        How many nearest datasets ``prior_knn`` averages.
    """

    def __init__(
        self,
        space: SearchSpace,
        *,
        configs: Mapping[str, Mapping[str, Any]],
        fingerprints: Sequence[str],
        groups: Sequence[str] | np.ndarray,
        tasks: Sequence[str] | np.ndarray,
        mf_columns: Sequence[str],
        mf_min: np.ndarray,
        mf_max: np.ndarray,
        scaled: np.ndarray,
        norm: np.ndarray,
        k_neighbors: int = 10,
    ) -> None:
        self.space = space
        self.k = int(k_neighbors)
        self.mf_columns = list(mf_columns)
        self.fingerprints = list(fingerprints)
        self.groups = np.asarray(groups, dtype=object)
        self.tasks = np.asarray(tasks, dtype=object)
        self.mf_min = np.asarray(mf_min, dtype=float)
        self.mf_max = np.asarray(mf_max, dtype=float)
        self.scaled = np.asarray(scaled, dtype=float)
        self.config_hashes = list(configs)
        self.configs = {h: dict(configs[h]) for h in self.config_hashes}
        self.norm = np.asarray(norm, dtype=float)
        listed = [self.configs[h] for h in self.config_hashes]
        self.encoded = self.space.encode(listed)
        self.unit = self.space.unit_of(listed)

    @classmethod
    def from_table(cls, table: PerformanceTable, k_neighbors: int = 10) -> FeatureSpace:
        """Fit the scaling and the score matrix on a performance table."""
        ds = table.datasets
        fingerprints = list(ds.index)
        M = ds[table.mf_columns].to_numpy(dtype=float)
        mf_min = np.nanmin(np.where(np.isnan(M), np.inf, M), axis=0)
        mf_max = np.nanmax(np.where(np.isnan(M), -np.inf, M), axis=0)
        mf_min = np.where(np.isfinite(mf_min), mf_min, 0.0)
        mf_max = np.where(np.isfinite(mf_max), mf_max, 1.0)
        hashes = sorted(table.configs)
        col = {h: j for j, h in enumerate(hashes)}
        row = {fp: i for i, fp in enumerate(fingerprints)}
        norm = np.full((len(row), len(col)), np.nan)
        v = table.values
        norm[[row[f] for f in v["fingerprint"]], [col[h] for h in v["config_hash"]]] = v[
            "norm"
        ].to_numpy()
        return cls(
            table.space,
            configs={h: table.configs[h] for h in hashes},
            fingerprints=fingerprints,
            groups=ds["group"].to_numpy(),
            tasks=ds["task"].to_numpy(),
            mf_columns=table.mf_columns,
            mf_min=mf_min,
            mf_max=mf_max,
            scaled=_scale(M, mf_min, mf_max),
            norm=norm,
            k_neighbors=k_neighbors,
        )

    def to_dict(self) -> dict[str, Any]:
        """The stored form (JSON-ready; NaN as ``None``); the space is stored apart."""
        return {
            "k": self.k,
            "mf_columns": self.mf_columns,
            "mf_min": self.mf_min.tolist(),
            "mf_max": self.mf_max.tolist(),
            "fingerprints": self.fingerprints,
            "groups": [str(g) for g in self.groups],
            "tasks": [str(t) for t in self.tasks],
            "scaled": json_matrix(self.scaled),
            "config_hashes": self.config_hashes,
            "configs": [self.configs[h] for h in self.config_hashes],
            "norm": json_matrix(self.norm),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], space: SearchSpace) -> FeatureSpace:
        """The inverse of :meth:`to_dict`."""
        return cls(
            space,
            configs=dict(zip(data["config_hashes"], data["configs"], strict=True)),
            fingerprints=data["fingerprints"],
            groups=data["groups"],
            tasks=data["tasks"],
            mf_columns=data["mf_columns"],
            mf_min=np.array(data["mf_min"], dtype=float),
            mf_max=np.array(data["mf_max"], dtype=float),
            scaled=np.array(data["scaled"], dtype=float),
            norm=np.array(data["norm"], dtype=float),
            k_neighbors=int(data["k"]),
        )

    # -- meta-features ------------------------------------------------------------------------
    def scale(self, M: np.ndarray) -> np.ndarray:
        """Min-max scaling over the knowledge base; missing values become -1 (far away)."""
        return _scale(M, self.mf_min, self.mf_max)

    def distances(self, scaled_row: np.ndarray, *, data_only: bool = False) -> np.ndarray:
        """Mean absolute difference to every knowledge-base dataset (scaled L1); with
        ``data_only``, over the meta-features of the data alone (not the budget): how unlike
        the knowledge base a dataset is."""
        diff = np.abs(self.scaled - scaled_row[None, :])
        if data_only and BUDGET_COLUMN in self.mf_columns:
            diff = np.delete(diff, self.mf_columns.index(BUDGET_COLUMN), axis=1)
        return np.mean(diff, axis=1)

    # -- priors -------------------------------------------------------------------------------
    def _priors(self, mask: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Priors from the datasets in ``mask`` (per configuration)."""
        N = self.norm[mask]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(N, axis=0)
            d = dist[mask]
            order = np.argsort(d, kind="stable")[: self.k]
            w = 1.0 / (d[order] + 0.02)
            K = N[order]
            knn = np.nansum(K * w[:, None], axis=0) / np.nansum(
                np.where(np.isnan(K), 0, 1) * w[:, None], axis=0
            )
        mean = np.where(np.isnan(mean), 0.5, mean)
        knn = np.where(np.isnan(knn), mean, knn)
        return mean, knn

    def training_priors(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Priors of training dataset ``i``, leaving its own group out."""
        mask = self.groups != self.groups[i]
        return self._priors(mask, self.distances(self.scaled[i]))

    def query_priors(
        self,
        scaled_row: np.ndarray,
        exclude_group: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        dist = self.distances(scaled_row)
        mask = (
            np.ones(len(self.fingerprints), dtype=bool)
            if exclude_group is None
            else self.groups != exclude_group
        )
        mean, knn = self._priors(mask, dist)
        return mean, knn, dist

    # -- configurations -----------------------------------------------------------------------
    def parents_unit(self, U: np.ndarray) -> np.ndarray:
        """Index of the nearest evaluated configuration of each unit-cube row."""
        cat = np.array([isinstance(p, CategoricalParam) for p in self.space.params])
        d = np.zeros((len(U), len(self.unit)))
        for j in range(U.shape[1]):
            diff = U[:, j][:, None] - self.unit[:, j][None, :]
            d += (diff != 0).astype(float) if cat[j] else np.abs(diff)
        return np.argmin(d, axis=1)

    def parents(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Index of the nearest evaluated configuration of each config (Gower-like)."""
        return self.parents_unit(self.space.unit_of(configs))

    # -- rows ---------------------------------------------------------------------------------
    def rows(
        self,
        mf_row: np.ndarray,
        configs: Sequence[Mapping[str, Any]],
        prior_mean: np.ndarray,
        prior_knn: np.ndarray,
    ) -> pd.DataFrame:
        """Feature rows for ``configs`` on a dataset with meta-features ``mf_row``."""
        return self.rows_encoded(mf_row, self.space.encode(configs), prior_mean, prior_knn)

    def matrix(
        self, mf_row: np.ndarray, enc: np.ndarray, prior_mean: np.ndarray, prior_knn: np.ndarray
    ) -> np.ndarray:
        """The numeric form of :meth:`rows_encoded` (categoricals as their codes)."""
        n = len(enc)
        parts = [np.broadcast_to(mf_row, (n, len(mf_row))), enc, prior_mean, prior_knn]
        derived = self.derived(mf_row, enc)
        return np.column_stack(parts if derived is None else [*parts, derived])

    @property
    def derived_columns(self) -> list[str]:
        """The interaction features this space gets (see :meth:`derived`)."""
        return list(DERIVED) if self._derived_index() is not None else []

    def _derived_index(self) -> tuple[int, ...] | None:
        if not budget_aware(self.space):  # version 1 of mlp keeps its evaluated features
            return None
        names = self.space.names
        need_mf = ("mf.n_rows", "mf.n_features")
        if not all(p in names for p in ("batch_size", "width", "num_layers")) or not all(
            c in self.mf_columns for c in need_mf
        ):
            return None
        budget = self.mf_columns.index(BUDGET_COLUMN) if BUDGET_COLUMN in self.mf_columns else -1
        return (
            self.mf_columns.index("mf.n_rows"),
            self.mf_columns.index("mf.n_features"),
            budget,
            names.index("batch_size"),
            names.index("width"),
            names.index("num_layers"),
        )

    def derived(self, mf_row: np.ndarray, enc: np.ndarray) -> np.ndarray | None:
        """Interactions between the data and the configuration that neither shows alone:
        optimizer steps per epoch (training rows / batch size), steps in the whole budget, and
        the network's weights (log10 each); ``None`` for spaces without those
        hyperparameters."""
        index = self._derived_index()
        if index is None:
            return None
        i_rows, i_feat, i_budget, j_batch, j_width, j_layers = index
        n_train = 0.75 * np.nan_to_num(mf_row[i_rows], nan=1000.0)
        n_feat = np.nan_to_num(mf_row[i_feat], nan=10.0)
        epochs = 2.0 ** mf_row[i_budget] if i_budget >= 0 else 20.0
        epochs = np.nan_to_num(epochs, nan=20.0)
        batch = self._decode(enc[:, j_batch], "batch_size")
        width = self._decode(enc[:, j_width], "width")
        layers = self._decode(enc[:, j_layers], "num_layers")
        steps = np.log10(np.maximum(1.0, np.ceil(n_train / np.minimum(batch, n_train))))
        weights = np.log10(width * n_feat + width**2 * np.maximum(layers - 1, 0) + 1.0)
        return np.column_stack([steps, steps + np.log10(epochs), weights])

    def _decode(self, col: np.ndarray, name: str) -> np.ndarray:
        p = self.space.param(name)
        return np.power(10.0, col) if getattr(p, "log", False) else np.asarray(col, dtype=float)

    def rows_encoded(
        self, mf_row: np.ndarray, enc: np.ndarray, prior_mean: np.ndarray, prior_knn: np.ndarray
    ) -> pd.DataFrame:
        """Feature rows from an encoded configuration matrix (see ``SearchSpace.encode``)."""
        X = encoded_frame(self.space, enc)
        mf = pd.DataFrame(np.repeat(mf_row[None, :], len(enc), axis=0), columns=self.mf_columns)
        X = pd.concat([mf, X], axis=1)
        X["prior_mean"] = prior_mean
        X["prior_knn"] = prior_knn
        derived = self.derived(mf_row, enc)
        if derived is not None:
            for j, name in enumerate(DERIVED):
                X[name] = derived[:, j]
        return X


def json_matrix(a: np.ndarray) -> list[list[float | None]]:
    """A 2-D array as nested lists for JSON, NaN as ``None``."""
    return [[None if (x != x) else float(x) for x in row] for row in np.asarray(a)]


def _scale(M: np.ndarray, mf_min: np.ndarray, mf_max: np.ndarray) -> np.ndarray:
    span = np.where(mf_max > mf_min, mf_max - mf_min, 1.0)
    S = np.clip((M - mf_min) / span, -0.5, 1.5)
    return np.where(np.isnan(S), -1.0, S)


def perturb_units(
    space: SearchSpace,
    base: np.ndarray,
    n: int,
    rng: np.random.Generator,
    scale: float = 0.07,
    flip: float = 0.15,
) -> np.ndarray:
    """``n`` unit-cube points near the rows of ``base`` (row ``i`` perturbs base row
    ``i % len(base)``): Gaussian steps for numbers, random category changes with probability
    ``flip`` (vectorised)."""
    if n <= 0 or len(base) == 0:
        return np.empty((0, len(space.params)))
    U = base[np.arange(n) % len(base)].copy()
    for j, p in enumerate(space.params):
        if isinstance(p, CategoricalParam):
            k = len(p.choices)
            idx = np.minimum(k - 1, np.floor(U[:, j] * k))
            flips = rng.random(n) < flip
            idx = np.where(flips, rng.integers(0, k, n), idx)
            U[:, j] = (idx + 0.5) / k
        else:
            U[:, j] = np.clip(U[:, j] + rng.normal(0.0, scale, n), 0.0, 1.0)
    return U
