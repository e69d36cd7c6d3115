"""The trained ranker as a versioned, self-describing artifact (one JSON file).

It records the knowledge-base snapshot (trial count and digest) and the meta-feature version it
was trained on, the feature space (meta-feature scaling, the dataset-by-configuration score
matrix used for priors and explanations), the LightGBM models (the ranker and three quantile
regressors for the predicted objective), the out-of-distribution threshold and the robust
fallback order. :func:`load_or_fit` retrains when the artifact is missing or stale.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from advisor import metafeatures
from advisor._version import __version__
from advisor.ranker.features import FeatureSpace
from advisor.ranker.fit import fit_ranker, ranker_params, training_rows
from advisor.ranker.model import AdvisorRanker, regressor
from advisor.ranker.table import PerformanceTable
from advisor_core.errors import RankerError
from advisor_core.spaces import SearchSpace

__all__ = ["ARTIFACT_FORMAT", "ARTIFACT_VERSION", "RankerArtifact", "train_artifact"]

ARTIFACT_FORMAT = "tuning-advisor-ranker"
ARTIFACT_VERSION = 1
QUANTILES = (0.1, 0.5, 0.9)
#: Share of changed trials (datasets unchanged) that makes an artifact stale.
STALE_SHARE = 0.05
#: Share of knowledge-base datasets whose nearest other-group neighbour is closer than the
#: out-of-distribution threshold.
OOD_QUANTILE = 0.95


class _Booster:
    """A LightGBM booster restored from its model string (predicts DataFrames)."""

    def __init__(self, model_str: str) -> None:
        import lightgbm as lgb

        self.model_str = model_str
        self.booster = lgb.Booster(model_str=model_str)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.booster.predict(X), dtype=float)


@dataclass
class RankerArtifact:
    """A trained ranker with everything ``suggest`` needs."""

    space: SearchSpace
    snapshot: dict[str, Any]
    fs: FeatureSpace
    feature_names: list[str]
    ranker: Any
    quantiles: dict[str, Any]
    values: np.ndarray  # dataset x config raw objective values (for explanations)
    names: list[str]
    ood_threshold: float
    robust_order: list[str]
    params: dict[str, Any]
    trained_at: str
    meta_features_version: str = metafeatures.VERSION
    ranker_features: list[str] | None = None  # the ranker's columns (default: all)
    ranker_offset: float = 0.0  # score += offset * prior_knn (residual ranker)
    pointwise: Any = None  # the pointwise regressor blended with the ranker, if any
    # (weight, ranker scale, pointwise scale[, weight for regression datasets])
    blend: tuple[float, ...] = (0.0, 1.0, 1.0)

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        fs = self.fs

        def arr(a: np.ndarray) -> list[Any]:
            return [[None if (x != x) else float(x) for x in row] for row in np.asarray(a)]

        return {
            "format": ARTIFACT_FORMAT,
            "version": ARTIFACT_VERSION,
            "advisor_version": __version__,
            "trained_at": self.trained_at,
            "space": self.space.to_dict(),
            "meta_features_version": self.meta_features_version,
            "kb_snapshot": self.snapshot,
            "params": self.params,
            "feature_names": self.feature_names,
            "ranker_features": self.ranker_features or self.feature_names,
            "ranker_offset": self.ranker_offset,
            "blend": list(self.blend),
            "feature_space": {
                "k": fs.k,
                "mf_columns": fs.mf_columns,
                "mf_min": fs.mf_min.tolist(),
                "mf_max": fs.mf_max.tolist(),
                "fingerprints": fs.fingerprints,
                "groups": [str(g) for g in fs.groups],
                "tasks": [str(t) for t in fs.tasks],
                "scaled": arr(fs.scaled),
                "config_hashes": fs.config_hashes,
                "configs": [fs.configs[h] for h in fs.config_hashes],
                "norm": arr(fs.norm),
            },
            "values": arr(self.values),
            "names": self.names,
            "ood_threshold": self.ood_threshold,
            "robust_order": self.robust_order,
            "models": {
                "ranker": _model_str(self.ranker),
                **({"pointwise": _model_str(self.pointwise)} if self.pointwise else {}),
                **{k: _model_str(m) for k, m in self.quantiles.items()},
            },
        }

    def save(self, path: str | Path) -> None:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        # a temporary file of this writer's own, so that processes saving at once don't
        # move each other's file away; the last replace wins, whole
        fd, name = tempfile.mkstemp(dir=p.parent, prefix=p.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(self.to_dict()))
            Path(name).replace(p)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> RankerArtifact:
        p = Path(path)
        try:
            d = orjson.loads(p.read_bytes())
        except (OSError, ValueError) as exc:
            raise RankerError(f"cannot read ranker artifact {p}: {exc}") from None
        if d.get("format") != ARTIFACT_FORMAT or d.get("version") != ARTIFACT_VERSION:
            raise RankerError(f"{p} is not a ranker artifact of version {ARTIFACT_VERSION}")
        space = SearchSpace.from_dict(d["space"])
        f = d["feature_space"]
        fs = FeatureSpace.__new__(FeatureSpace)
        fs.space, fs.k, fs.mf_columns = space, int(f["k"]), list(f["mf_columns"])
        fs.mf_min, fs.mf_max = np.array(f["mf_min"]), np.array(f["mf_max"])
        fs.fingerprints, fs.groups = list(f["fingerprints"]), np.array(f["groups"], dtype=object)
        fs.tasks = np.array(f["tasks"], dtype=object)
        fs.scaled = np.array(f["scaled"], dtype=float)
        fs.config_hashes = list(f["config_hashes"])
        fs.configs = dict(zip(fs.config_hashes, f["configs"], strict=True))
        fs.norm = np.array(f["norm"], dtype=float)
        fs.encoded = space.encode([fs.configs[h] for h in fs.config_hashes])
        fs.unit = space.unit_of([fs.configs[h] for h in fs.config_hashes])
        models = d["models"]
        return cls(
            space=space,
            snapshot=d["kb_snapshot"],
            fs=fs,
            feature_names=d["feature_names"],
            ranker=_Booster(models["ranker"]),
            quantiles={
                k: _Booster(v) for k, v in models.items() if k not in ("ranker", "pointwise")
            },
            pointwise=_Booster(models["pointwise"]) if "pointwise" in models else None,
            blend=tuple(d.get("blend", (0.0, 1.0, 1.0))),
            values=np.array(d["values"], dtype=float),
            names=list(d["names"]),
            ood_threshold=float(d["ood_threshold"]),
            robust_order=list(d["robust_order"]),
            params=d.get("params", {}),
            trained_at=d.get("trained_at", ""),
            meta_features_version=d["meta_features_version"],
            ranker_features=list(d.get("ranker_features") or d["feature_names"]),
            ranker_offset=float(d.get("ranker_offset", 0.0)),
        )

    def is_stale(self, snapshot: dict[str, Any]) -> bool:
        """Worth retraining: a new meta-feature version, datasets added or removed, or more
        than ``STALE_SHARE`` of the trials changed. (A few new trials on known datasets
        don't justify a refit on every call.)"""
        if self.meta_features_version != metafeatures.VERSION:
            return True
        if self.is_current(snapshot):
            return False
        if snapshot.get("datasets") != self.snapshot.get("datasets"):
            return True
        n, m = int(snapshot.get("trials", 0)), int(self.snapshot.get("trials", 0))
        return abs(n - m) > STALE_SHARE * max(m, 1)

    def is_current(self, snapshot: dict[str, Any]) -> bool:
        return (
            self.snapshot.get("digest") == snapshot.get("digest")
            and self.meta_features_version == metafeatures.VERSION
        )

    # -- prediction -----------------------------------------------------------------------------
    def _matrix(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The full feature matrix (``feature_names`` order; categoricals as codes)."""
        if isinstance(X, np.ndarray):
            return X
        cols = []
        for name in self.feature_names:
            c = X[name]
            cols.append(
                c.cat.codes.to_numpy(dtype=float)
                if isinstance(c.dtype, pd.CategoricalDtype)
                else c.to_numpy(dtype=float)
            )
        return np.column_stack(cols)

    def score(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The ranker's score of each row (higher is better)."""
        M = self._matrix(X)
        names = self.ranker_features or self.feature_names
        if names != self.feature_names:
            M_r = M[:, [self.feature_names.index(n) for n in names]]
        else:
            M_r = M
        out = self.ranker.predict(M_r)
        if self.pointwise is not None:
            w_clf, a, b = self.blend[:3]
            w: float | np.ndarray = w_clf
            if len(self.blend) > 3 and "mf.is_classification" in self.feature_names:
                regression = M[:, self.feature_names.index("mf.is_classification")] == 0
                w = np.where(regression, self.blend[3], w_clf)
            out = (1 - w) * out / a + w * self.pointwise.predict(M_r) / b
        if self.ranker_offset:
            out = out + self.ranker_offset * M[:, self.feature_names.index("prior_knn")]
        return np.asarray(out, dtype=float)

    def predict_objective(self, X: pd.DataFrame | np.ndarray) -> dict[str, np.ndarray]:
        M = self._matrix(X)
        return {k: np.asarray(m.predict(M), dtype=float) for k, m in self.quantiles.items()}


def _blend(ranker: AdvisorRanker) -> tuple[float, ...]:
    if ranker.pointwise_ is None:
        return (0.0, 1.0, 1.0)
    out: tuple[float, ...] = (float(ranker.pointwise_weight), *ranker.scales_)
    if ranker.pointwise_weight_regression is not None:
        out = (*out, float(ranker.pointwise_weight_regression))
    return out


def _model_str(model: Any) -> str:
    if isinstance(model, _Booster):
        return model.model_str
    if isinstance(model, AdvisorRanker):
        return str(model.model_.booster_.model_to_string())
    return str(model.booster_.model_to_string())


def _ood_threshold(fs: FeatureSpace) -> float:
    nn = []
    for i in range(len(fs.fingerprints)):
        d = fs.distances(fs.scaled[i])
        other = d[fs.groups != fs.groups[i]]
        if other.size:
            nn.append(float(other.min()))
    return float(np.quantile(nn, OOD_QUANTILE)) if nn else float("inf")


def _robust_order(fs: FeatureSpace) -> list[str]:
    """Configurations by the 25th percentile of their normalized score across datasets."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanquantile(fs.norm, 0.25, axis=0)
        mean = np.nanmean(fs.norm, axis=0)
    key = np.where(np.isnan(q), -1.0, q) + 1e-3 * np.where(np.isnan(mean), 0.0, mean)
    return [fs.config_hashes[j] for j in np.argsort(-key, kind="stable")]


def train_artifact(
    table: PerformanceTable,
    snapshot: dict[str, Any],
    *,
    params: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RankerArtifact:
    """Fit the ranker (hyperparameters by grouped CV unless given) and the quantile models."""
    say = progress or (lambda _msg: None)
    if table.datasets.shape[0] < 3:
        raise RankerError(
            f"the knowledge base has {table.datasets.shape[0]} usable dataset(s) "
            f"for space {table.space.name!r}; the ranker needs at least 3"
        )
    fs = FeatureSpace(table)
    X, norm, sizes = training_rows(fs)
    if params is None:
        say("choosing the ranker's hyperparameters by grouped cross-validation")
        params = ranker_params(fs, X, norm, sizes)
    say("fitting the ranker")
    ranker = fit_ranker(X, norm, sizes, params)
    row = {fp: i for i, fp in enumerate(fs.fingerprints)}
    col = {h: j for j, h in enumerate(fs.config_hashes)}
    values = np.full_like(fs.norm, np.nan)
    v = table.values
    values[[row[f] for f in v["fingerprint"]], [col[h] for h in v["config_hash"]]] = v[
        "value"
    ].to_numpy()
    # same row order as training_rows: datasets with >= 2 configurations, then configurations
    kept = [i for i in range(len(fs.fingerprints)) if (~np.isnan(fs.norm[i])).sum() >= 2]
    y_raw = np.concatenate([values[i][~np.isnan(fs.norm[i])] for i in kept])
    quantiles = {}
    for a in QUANTILES:
        say(f"fitting the {int(a * 100)}% quantile model of the objective")
        m = regressor(objective="quantile", alpha=a)
        m.fit(X, y_raw)
        quantiles[f"q{int(a * 100)}"] = m
    return RankerArtifact(
        space=table.space,
        snapshot=snapshot,
        fs=fs,
        feature_names=list(X.columns),
        ranker=_Booster(_model_str(ranker)),
        quantiles={k: _Booster(_model_str(m)) for k, m in quantiles.items()},
        values=values,
        names=[str(table.datasets.loc[fp, "name"]) for fp in fs.fingerprints],
        ood_threshold=_ood_threshold(fs),
        robust_order=_robust_order(fs),
        params=dict(params),
        trained_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        ranker_features=list(ranker.feature_names_),
        ranker_offset=float(ranker.prior_offset or 0.0),
        pointwise=None if ranker.pointwise_ is None else _Booster(_model_str(ranker.pointwise_)),
        blend=_blend(ranker),
    )
