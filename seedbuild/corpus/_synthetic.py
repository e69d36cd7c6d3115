"""Seeded scikit-learn generators that fill gaps of the real data sets.

Gaps covered: sizes 300-2,500 rows, up to 500 features with few informative ones, label noise
(``flip_y`` 0.0 / 0.1 / 0.3), class imbalance (90/10, 97/3), 3 / 5 / 10 classes, nonlinear
boundaries (moons, circles, Hastie), nonlinear regression (Friedman 1-3, sparse uncorrelated),
low effective rank, heavy-tailed (Student t, 2 d.o.f.) noise, and target scales from 1e-4 to 1e6.
Features are ``x0..x{k-1}``, the target ``y``; ``random_state`` is the CRC-32 of the entry name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from seedbuild.corpus._entry import CorpusEntry, Param, seed_for

__all__ = ["entries", "load_frame"]

TARGET = "y"
LICENCE = "n/a (generated)"
_POST = ("y_scale", "y_shift", "t_noise_df", "t_noise_scale")


_TaskName = Literal["classification", "regression"]


@dataclass(frozen=True)
class _Spec:
    name: str
    task: _TaskName
    generator: str
    kwargs: tuple[tuple[str, Param], ...]
    description: str


def _clf(name: str, description: str, n: int, f: int, **kw: Param) -> _Spec:
    base: dict[str, Param] = {"n_samples": n, "n_features": f, "flip_y": 0.0}
    args = tuple({**base, **kw}.items())
    return _Spec(name, "classification", "make_classification", args, description)


def _reg(name: str, description: str, n: int, f: int, **kw: Param) -> _Spec:
    args = tuple({"n_samples": n, "n_features": f, **kw}.items())
    return _Spec(name, "regression", "make_regression", args, description)


def _gen(name: str, task: _TaskName, generator: str, description: str, **kw: Param) -> _Spec:
    return _Spec(name, task, generator, tuple(kw.items()), description)


# fmt: off
_SPECS: tuple[_Spec, ...] = (
    _clf("clf-base-20f-1000", "binary, 6 informative + 4 redundant, no label noise",
         1000, 20, n_informative=6, n_redundant=4),
    _clf("clf-noise10-20f-1500", "binary, 10% of labels random (flip_y=0.1)",
         1500, 20, n_informative=6, n_redundant=4, flip_y=0.1),
    _clf("clf-noise30-20f-2000", "binary, 30% of labels random (flip_y=0.3)",
         2000, 20, n_informative=6, n_redundant=4, flip_y=0.3),
    _clf("clf-imb90-20f-1500", "binary, classes 90/10",
         1500, 20, n_informative=6, n_redundant=4, weights=(0.9, 0.1)),
    _clf("clf-imb97-20f-2500", "binary, classes 97/3",
         2500, 20, n_informative=6, n_redundant=4, weights=(0.97, 0.03)),
    _clf("clf-3class-10f-600", "3 classes, one cluster each, 5 informative",
         600, 10, n_informative=5, n_redundant=2, n_classes=3, n_clusters_per_class=1),
    _clf("clf-5class-30f-1500", "5 classes, 10 informative, 5 redundant",
         1500, 30, n_informative=10, n_redundant=5, n_classes=5),
    _clf("clf-10class-40f-2500", "10 classes, 15 informative, 5 redundant",
         2500, 40, n_informative=15, n_redundant=5, n_classes=10, n_clusters_per_class=1),
    _clf("clf-highdim-100f-300", "binary, 100 features (5 informative), 300 rows",
         300, 100, n_informative=5, n_redundant=5),
    _clf("clf-highdim-250f-800", "binary, 250 features (8 informative)",
         800, 250, n_informative=8, n_redundant=4),
    _clf("clf-highdim-500f-1200", "binary, 500 features (10 informative)",
         1200, 500, n_informative=10, n_redundant=10),
    _gen("clf-moons-2f-1000", "classification", "make_moons",
         "two interleaved half-moons, noise 0.3", n_samples=1000, noise=0.3),
    _gen("clf-circles-2f-800", "classification", "make_circles",
         "two concentric circles, noise 0.15, radius ratio 0.5",
         n_samples=800, noise=0.15, factor=0.5),
    _gen("clf-hastie-10f-2000", "classification", "make_hastie_10_2",
         "Hastie et al. 10.2: sum of squared Gaussians above the chi-square median",
         n_samples=2000),
    _reg("reg-linear-20f-1000", "linear, 10 informative of 20, Gaussian noise sd 10",
         1000, 20, n_informative=10, noise=10.0),
    _reg("reg-lowrank-50f-1500", "linear on features of effective rank 5, 20 informative",
         1500, 50, n_informative=20, effective_rank=5, tail_strength=0.5, noise=1.0),
    _reg("reg-highdim-100f-400", "linear, 100 features (10 informative), 400 rows",
         400, 100, n_informative=10, noise=5.0),
    _reg("reg-highdim-250f-800", "linear, 250 features (10 informative)",
         800, 250, n_informative=10, noise=5.0),
    _reg("reg-highdim-500f-1500", "linear, 500 features (15 informative)",
         1500, 500, n_informative=15, noise=5.0),
    _reg("reg-noisy-10f-300", "linear, 3 informative of 10, low signal-to-noise (sd 100)",
         300, 10, n_informative=3, noise=100.0),
    _reg("reg-heavytail-20f-1500", "linear, 8 informative, Student-t (2 d.o.f.) noise x20",
         1500, 20, n_informative=8, noise=0.0, t_noise_df=2.0, t_noise_scale=20.0),
    _reg("reg-largescale-10f-600", "linear, target scaled to about 1e6 +- 1e6",
         600, 10, n_informative=5, noise=5.0, y_scale=1e4, y_shift=1e6),
    _reg("reg-smallscale-15f-2500", "linear, target scaled to about 1e-2",
         2500, 15, n_informative=15, noise=10.0, y_scale=1e-4),
    _gen("reg-friedman1-10f-1000", "regression", "make_friedman1",
         "Friedman #1: sin, quadratic and linear terms of 5 of 10 features",
         n_samples=1000, n_features=10, noise=1.0),
    _gen("reg-friedman2-4f-800", "regression", "make_friedman2",
         "Friedman #2: impedance of an AC circuit (target 0-1,700)", n_samples=800, noise=100.0),
    _gen("reg-friedman3-4f-1200", "regression", "make_friedman3",
         "Friedman #3: phase angle of an AC circuit (target 0-1.6)", n_samples=1200, noise=0.1),
    _gen("reg-sparse-uncorr-10f-2000", "regression", "make_sparse_uncorrelated",
         "4 of 10 independent features linear in the target", n_samples=2000, n_features=10),
)
# fmt: on


def entries() -> list[CorpusEntry]:
    out = []
    for s in _SPECS:
        name = f"synthetic:{s.name}"
        out.append(
            CorpusEntry(
                name=name,
                source=f"synthetic: sklearn.datasets.{s.generator}",
                group=f"synthetic:{s.name}",
                task=s.task,
                licence=LICENCE,
                synthetic=True,
                description=f"{s.generator}: {s.description}",
                kind="synthetic",
                params=(("generator", s.generator), *s.kwargs, ("random_state", seed_for(name))),
            )
        )
    return out


def _num(post: dict[str, Param], key: str, default: float) -> float:
    value = post.get(key)
    return float(value) if isinstance(value, int | float) else default


def _post(y: np.ndarray, post: dict[str, Param], seed: int) -> np.ndarray:
    """Add Student-t noise (``t_noise_df``, ``t_noise_scale``), then scale and shift ``y``."""
    if "t_noise_df" in post:
        noise = np.random.default_rng(seed).standard_t(_num(post, "t_noise_df", 2.0), len(y))
        y = y + _num(post, "t_noise_scale", 1.0) * noise
    return y * _num(post, "y_scale", 1.0) + _num(post, "y_shift", 0.0)


def load_frame(entry: CorpusEntry) -> tuple[pd.DataFrame, str]:
    """Generate the data: features ``x0..`` and target ``y``."""
    from sklearn import datasets

    params = dict(entry.params)
    generator = str(params.pop("generator"))
    post = {k: params.pop(k) for k in _POST if k in params}
    kwargs: dict[str, Any] = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    X, y = getattr(datasets, generator)(**kwargs)
    y = np.asarray(y)
    if entry.task == "classification":
        y = (y > 0).astype(np.int64) if generator == "make_hastie_10_2" else y.astype(np.int64)
    else:
        y = _post(y.astype(np.float64), post, entry.int_param("random_state") + 1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame[TARGET] = y
    return frame, TARGET
