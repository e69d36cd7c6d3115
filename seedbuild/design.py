"""Building the seed knowledge base: the shared design and the jobs of the resumable build.

Space ``mlp`` version 2. The design is fixed by its parameters (``Design``):

* **shared design** (every corpus dataset, seeds 0, 1, 2, ``epochs`` epochs): the named
  recipes, then ``n_shapes`` architecture *shapes* (a scrambled Sobol sample of what stacked
  models must share: optimizer, batch size, depth, width, activation, normalization,
  parametrization, embeddings, encodings; at most ``max_hidden_weights`` weights between hidden
  layers, which bounds the build's cost: the space allows wider, deeper networks, which the
  ranker scores by extrapolation) times ``variants`` settings of everything else
  (learning rate, momentum, second moment, weight decay, dropout, schedules, warmup, label
  smoothing; a Sobol sample per shape). The variants and seeds of one shape train as one stack
  (:func:`advisor.trials.run_trials`), which is what makes three seeds everywhere affordable;
* **long budgets**: on each dataset the named recipes of ``LONG_NAMED`` and the ``long_top``
  configurations with the best seed-mean are trained again for ``long_epochs`` epochs (seed 0),
  so that advice for long budgets rests on evidence;
* **large data**: the 20,000-row size variants get the named recipes and the ``large_top``
  configurations that are best on average on the shared design, with every seed.

Every trial has a deterministic id (dataset fingerprint, configuration hash, seed, epochs), so a
build skips what its store already holds and rebuilding a dataset reproduces its results.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from advisor.records import dataset_info, deterministic_trial_id, trial_from_result
from advisor_core.spaces import MLP_SPACE, config_hash, named_config

__all__ = [
    "LONG_NAMED",
    "NAMED",
    "SHAPE_PARAMS",
    "Design",
    "Job",
    "design_configs",
    "run_jobs",
    "trial_id",
]

#: The named recipes of the design (``default`` is one of them under another name).
NAMED = ("plain", "sklearn", "rtdl", "wide_regularized", "sgd_cosine", "small_fast", "realmlp")
#: The named recipes that also get the long budget on every dataset (``default`` is chosen
#: among them by their results at every budget).
LONG_NAMED = ("plain", "rtdl", "wide_regularized", "realmlp")
#: What the models of one stack share (the rest varies within a shape).
SHAPE_PARAMS = (
    "optimizer",
    "batch_size",
    "num_layers",
    "width",
    "activation",
    "normalization",
    "parametrization",
    "numerical_embedding",
    "categorical_encoding",
    "feature_scaling",
)


@dataclass(frozen=True)
class Design:
    """Parameters of the seed build (recorded in the manifest)."""

    space_version: int = MLP_SPACE.version
    n_shapes: int = 20
    variants: int = 4
    max_hidden_weights: int = 250_000
    sobol_seed: int = 2026
    epochs: int = 20
    seeds: tuple[int, ...] = (0, 1, 2)
    split_seed: int = 0
    valid_fraction: float = 0.25
    time_limit_s: float = 240.0
    long_epochs: int = 128
    long_top: int = 6
    large_top: int = 24

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _unit_rows(n: int, dims: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    m = int(np.ceil(np.log2(max(n, 2))))
    return qmc.Sobol(d=dims, scramble=True, seed=seed).random_base2(m)[:n]


def design_configs(design: Design, task: str) -> list[dict[str, Any]]:
    """The named recipes (for ``task``), then ``n_shapes`` x ``variants`` configurations whose
    shape parameters are shared within blocks of ``variants`` (duplicates removed)."""
    names = MLP_SPACE.names
    shape_idx = [names.index(p) for p in SHAPE_PARAMS]
    other_idx = [j for j in range(len(names)) if j not in shape_idx]
    configs = [named_config(n, task=task) for n in NAMED]
    seen = {config_hash(c) for c in configs}
    candidates = _unit_rows(8 * design.n_shapes, len(shape_idx), design.sobol_seed)
    shapes = [
        u for u in candidates if _hidden_weights(_shape(u, shape_idx)) <= design.max_hidden_weights
    ]
    for s, shape_u in enumerate(shapes[: design.n_shapes]):
        inner = _unit_rows(design.variants, len(other_idx), design.sobol_seed + 1 + s)
        for var_u in inner:
            u = np.empty(len(names))
            u[shape_idx], u[other_idx] = shape_u, var_u
            c = MLP_SPACE.from_unit(u)
            if config_hash(c) not in seen:
                seen.add(config_hash(c))
                configs.append(c)
    return configs


def _shape(shape_u: np.ndarray, shape_idx: list[int]) -> dict[str, Any]:
    params = [MLP_SPACE.params[j] for j in shape_idx]
    return {p.name: p.from_unit(float(x)) for p, x in zip(params, shape_u, strict=True)}


def _hidden_weights(shape: dict[str, Any]) -> int:
    """Weights between hidden layers (what makes a trial expensive whatever the data)."""
    return int(shape["width"]) ** 2 * (int(shape["num_layers"]) - 1)


def stack_groups(configs: list[dict[str, Any]]) -> list[list[int]]:
    """Indices of ``configs`` by shape (the blocks that train as one stack), in design order."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, c in enumerate(configs):
        groups.setdefault(tuple(c[p] for p in SHAPE_PARAMS), []).append(i)
    return list(groups.values())


def trial_id(fingerprint: str, config: dict[str, Any], seed: int, epochs: int) -> str:
    return deterministic_trial_id("seed-v2", fingerprint, config_hash(config), seed, epochs)


@dataclass(frozen=True)
class Job:
    """Some configurations (with seeds and a budget) of one corpus dataset, trained together."""

    dataset: str
    items: tuple[tuple[int, int], ...]  # (config index in the dataset's design, seed)
    epochs: int = 20


_CACHE: dict[str, Any] = {}


def _load(name: str, design: Design) -> tuple[Any, Any, dict[str, Any]]:
    """Dataset, split cache and record info of a corpus entry (cached per worker process)."""
    if _CACHE.get("name") != name:
        from advisor.data import SplitCache
        from advisor.metafeatures import extract
        from seedbuild.corpus import corpus, load_entry

        entry = {e.name: e for e in corpus()}[name]
        ds = load_entry(entry)
        info = dataset_info(
            ds, extract(ds), name=entry.name, source=entry.source, group=entry.group
        )
        cache = SplitCache(ds, valid_fraction=design.valid_fraction, seed=design.split_seed)
        _CACHE.clear()
        _CACHE.update(name=name, ds=ds, cache=cache, info=info)
    return _CACHE["ds"], _CACHE["cache"], _CACHE["info"]


def run_jobs(job: Job, design: Design, device: str = "cpu") -> list[dict[str, Any]]:
    """Run one job in this process (its trials as stacks); return its trial records."""
    from advisor.trials import TrialSpec, hardware_description, run_trials, set_threads

    set_threads(1)
    ds, cache, info = _load(job.dataset, design)
    configs = design_configs(design, ds.task)
    specs = [
        TrialSpec(configs[i], seed=s, epochs=job.epochs, time_limit=design.time_limit_s)
        for i, s in job.items
    ]
    results, _ = run_trials(cache, specs, device=device)
    hardware = hardware_description()
    return [
        trial_from_result(
            result,
            info,
            trial_id=trial_id(info["fingerprint"], configs[i], s, job.epochs),
            contributor="seed-build",
            hardware=hardware,
        ).to_dict()
        for (i, s), result in zip(job.items, results, strict=True)
    ]
