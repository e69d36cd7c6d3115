"""The trained ranker as a versioned, self-describing artifact (one JSON file).

It records the knowledge-base snapshot (trial count and digest) and the meta-feature version it
was trained on, the feature space (meta-feature scaling, the dataset-by-configuration score
matrix used for priors and explanations), the LightGBM models (the ranker, its pointwise
partner and three quantile regressors for the predicted objective), the blend of the ranker's
parts, the out-of-distribution threshold and the robust fallback order.
:class:`advisor.ranker.cache.ArtifactCache` (behind ``Advisor.ranker``) reloads it, and
retrains when it is missing or stale.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from advisor import metafeatures
from advisor._version import __version__
from advisor.ranker.features import FeatureSpace, json_matrix
from advisor.ranker.fit import fit_ranker, ranker_params, training_rows
from advisor.ranker.model import AdvisorRanker, Blend, regressor
from advisor.ranker.risk import conformal_margin, fit_risk
from advisor.ranker.table import PerformanceTable, source_of
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
_MODEL_KEYS = ("ranker", "pointwise", "risk")


class _Booster:
    """A LightGBM booster restored from its model string (predicts numeric matrices)."""

    def __init__(self, model_str: str) -> None:
        import lightgbm as lgb

        self.model_str = model_str
        self.booster = lgb.Booster(model_str=model_str)

        self.compiled: Any = None

    def compile(self, cache_dir: str | Path) -> bool:
        """Predict with native code from now on (:mod:`advisor.ranker.compiled`)."""
        from advisor.ranker.compiled import compile_model

        if self.compiled is None:  # False: it failed once, not to be tried again
            self.compiled = compile_model(self.model_str, cache_dir) or False
        return bool(self.compiled)

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.compiled:
            return np.asarray(self.compiled.predict(X), dtype=float)
        return np.asarray(self.booster.predict(X), dtype=float)


@dataclass
class RankerArtifact:
    """A trained ranker with everything ``suggest`` needs.

    ``score`` blends the ranker's parts with :class:`~advisor.ranker.model.Blend`, the same
    code as :meth:`AdvisorRanker.predict`. Saved by :meth:`save` (:meth:`to_dict` as JSON) and
    restored by :meth:`load` (:meth:`from_dict`); a restored artifact scores exactly as the
    saved one.
    """

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
    pointwise: Any = None  # the pointwise regressor blended with the ranker, if any
    blend: Blend = field(default_factory=Blend)
    risk: Any = None  # the failed share of seeds (None: nothing ever failed)
    interval_margin: float = 0.0  # conformal margin of the 80% interval
    fail: np.ndarray | None = None  # dataset x config failed share of seeds

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The artifact's JSON form (format ``ARTIFACT_FORMAT``, version ``ARTIFACT_VERSION``)."""
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
            "ranker_offset": self.blend.offset,
            "blend": self.blend.to_list(),
            "feature_space": self.fs.to_dict(),
            "values": json_matrix(self.values),
            "names": self.names,
            "ood_threshold": self.ood_threshold,
            "robust_order": self.robust_order,
            **({"interval_margin": self.interval_margin} if self.interval_margin else {}),
            **({"fail": json_matrix(self.fail)} if self.fail is not None else {}),
            "models": {
                "ranker": _model_str(self.ranker),
                **({"pointwise": _model_str(self.pointwise)} if self.pointwise else {}),
                **({"risk": _model_str(self.risk)} if self.risk else {}),
                **{k: _model_str(m) for k, m in self.quantiles.items()},
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankerArtifact:
        """The inverse of :meth:`to_dict`; a :class:`RankerError` for anything else."""
        if data.get("format") != ARTIFACT_FORMAT or data.get("version") != ARTIFACT_VERSION:
            raise RankerError(f"not a ranker artifact of version {ARTIFACT_VERSION}")
        try:
            space = SearchSpace.from_dict(data["space"])
            models = data["models"]
            return cls(
                space=space,
                snapshot=dict(data["kb_snapshot"]),
                fs=FeatureSpace.from_dict(data["feature_space"], space),
                feature_names=list(data["feature_names"]),
                ranker=_Booster(models["ranker"]),
                quantiles={k: _Booster(v) for k, v in models.items() if k not in _MODEL_KEYS},
                values=np.array(data["values"], dtype=float),
                names=list(data["names"]),
                ood_threshold=float(data["ood_threshold"]),
                robust_order=list(data["robust_order"]),
                params=dict(data.get("params", {})),
                trained_at=str(data.get("trained_at", "")),
                meta_features_version=str(data["meta_features_version"]),
                ranker_features=list(data.get("ranker_features") or data["feature_names"]),
                pointwise=_Booster(models["pointwise"]) if "pointwise" in models else None,
                blend=Blend.from_list(
                    data.get("blend", (0.0, 1.0, 1.0)), float(data.get("ranker_offset", 0.0))
                ),
                risk=_Booster(models["risk"]) if "risk" in models else None,
                interval_margin=float(data.get("interval_margin", 0.0)),
                fail=np.array(data["fail"], dtype=float) if "fail" in data else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RankerError(f"malformed ranker artifact ({type(exc).__name__}: {exc})") from None

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
        """The artifact saved at ``path`` (a :class:`RankerError` if it is not one)."""
        p = Path(path)
        try:
            data = orjson.loads(p.read_bytes())
        except (OSError, ValueError) as exc:
            raise RankerError(f"cannot read ranker artifact {p}: {exc}") from None
        if not isinstance(data, dict):
            raise RankerError(f"{p} is not a ranker artifact of version {ARTIFACT_VERSION}")
        try:
            return cls.from_dict(data)
        except RankerError as exc:
            raise RankerError(f"{p}: {exc}") from None

    @functools.cached_property
    def avg_rank(self) -> pd.Series:
        """Each configuration's mean rank across the knowledge base's datasets
        (:func:`~advisor.ranker.knn.portfolio_rank` of ``fs.norm``; computed once)."""
        from advisor.ranker.knn import portfolio_rank

        return portfolio_rank(self.fs.norm, self.fs.config_hashes)

    @functools.cached_property
    def base_names(self) -> list[str]:
        """``names`` without their budget suffix (``" @128"``): the datasets themselves."""
        return [n.rsplit(" @", 1)[0] for n in self.names]

    def compile(self, cache_dir: str | Path) -> int:
        """Compile every model to native code (:mod:`advisor.ranker.compiled`; kept in
        ``cache_dir``), so that scoring is several times faster; the predictions are the same.
        Without the ``lleaves`` package nothing changes.

        Parameters
        ----------
        cache_dir : str or Path
            Folder of compiled models.

        Returns
        -------
        int
            Models compiled (0 without ``lleaves``).
        """
        boosters = [self.ranker, self.pointwise, self.risk, *self.quantiles.values()]
        return sum(b.compile(cache_dir) for b in boosters if isinstance(b, _Booster))

    def is_stale(self, snapshot: dict[str, Any]) -> bool:
        """Worth retraining: a new meta-feature version, datasets added or removed, trials it
        learned from taken back (``advisor kb remove``), or more than ``STALE_SHARE`` of the
        trials changed. (A few new trials on known datasets don't justify a refit on every
        call.)"""
        if self.meta_features_version != metafeatures.VERSION:
            return True
        if self.is_current(snapshot):
            return False
        if int(snapshot.get("removals", 0)) != int(self.snapshot.get("removals", 0)):
            return True
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

    def _column(self, M: np.ndarray, name: str) -> np.ndarray | None:
        return M[:, self.feature_names.index(name)] if name in self.feature_names else None

    def score(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The ranker's score of each row (higher is better): ``AdvisorRanker.predict``."""
        M = self._matrix(X)
        names = self.ranker_features or self.feature_names
        if names != self.feature_names:
            M_r = M[:, [self.feature_names.index(n) for n in names]]
        else:
            M_r = M
        return self.blend.score(
            self.ranker.predict(M_r),
            None if self.pointwise is None else self.pointwise.predict(M_r),
            is_classification=self._column(M, "mf.is_classification"),
            prior_knn=self._column(M, "prior_knn"),
        )

    def predict_objective(self, X: pd.DataFrame | np.ndarray) -> dict[str, np.ndarray]:
        """The predicted objective of each row: median ``q50`` and the 80% interval
        ``q10``..``q90`` (the quantile models' widened by the conformal margin)."""
        M = self._matrix(X)
        out = {k: np.asarray(m.predict(M), dtype=float) for k, m in self.quantiles.items()}
        if "q10" in out and "q90" in out:
            out["q10"] = out["q10"] - self.interval_margin
            out["q90"] = out["q90"] + self.interval_margin
        return out

    def predict_risk(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The predicted chance that a seed of each row's configuration fails (0 to 1)."""
        M = self._matrix(X)
        if self.risk is None:
            return np.zeros(len(M))
        return np.clip(np.asarray(self.risk.predict(M), dtype=float), 0.0, 1.0)


def _model_str(model: Any) -> str:
    if isinstance(model, _Booster):
        return model.model_str
    if isinstance(model, AdvisorRanker):
        return str(model.model_.booster_.model_to_string())
    return str(model.booster_.model_to_string())


def _ood_threshold(fs: FeatureSpace) -> float:
    nn = []
    for i in range(len(fs.fingerprints)):
        d = fs.distances(fs.scaled[i], data_only=True)
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
    fs = FeatureSpace.from_table(table)
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
    fail = np.full_like(fs.norm, np.nan)
    fail[[row[f] for f in v["fingerprint"]], [col[h] for h in v["config_hash"]]] = v[
        "fail_share"
    ].to_numpy()
    y_fail = np.concatenate([fail[i][~np.isnan(fs.norm[i])] for i in kept])
    say("fitting the risk model (chance of failure)")
    risk = fit_risk(X, y_fail)
    say("calibrating the 80% interval by cross-validation over sources")
    # held out by source (KEEL, each R package, ...): the interval must hold on data from a
    # collection the knowledge base has never seen, not only on a new dataset of a known one
    sources = np.concatenate(
        [[source_of(fs.groups[i])] * int((~np.isnan(fs.norm[i])).sum()) for i in kept]
    )
    margin = conformal_margin(X, y_raw, sources)
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
        pointwise=None if ranker.pointwise_ is None else _Booster(_model_str(ranker.pointwise_)),
        blend=ranker.blend_,
        risk=None if risk is None else _Booster(_model_str(risk)),
        interval_margin=margin,
        fail=fail,
    )
