"""Building the seed knowledge base: the shared design and the jobs of the resumable build.

The design is fixed by its parameters (``Design``): a scrambled Sobol sample of the ``mlp``
space plus the named configurations, evaluated on every corpus dataset with seed 0; a subset of
configurations is repeated with more seeds on a subset of datasets to measure seed noise.
Every trial has a deterministic id (dataset fingerprint, config hash, seed, epochs), so a
build skips what its store already holds and rebuilding a dataset reproduces its results.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any

from advisor.records import dataset_info, deterministic_trial_id, trial_from_result
from advisor_core.spaces import MLP_SPACE, NAMED_CONFIGS, config_hash

__all__ = ["Design", "Job", "design_configs", "run_jobs", "trial_id"]


@dataclass(frozen=True)
class Design:
    """Parameters of the seed build (recorded in the manifest)."""

    n_sobol: int = 90
    sobol_seed: int = 2026
    epochs: int = 20
    split_seed: int = 0
    valid_fraction: float = 0.25
    time_limit_s: float = 30.0
    noise_configs: int = 16
    noise_datasets: int = 30
    noise_seeds: tuple[int, ...] = (1, 2)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def design_configs(design: Design) -> list[dict[str, Any]]:
    """The named configurations first, then the Sobol sample (duplicates removed)."""
    configs = [dict(c) for c in NAMED_CONFIGS.values()]
    seen = {config_hash(c) for c in configs}
    for c in MLP_SPACE.sample(design.n_sobol + 8, seed=design.sobol_seed):
        h = config_hash(c)
        if h not in seen and len(configs) < len(NAMED_CONFIGS) + design.n_sobol:
            seen.add(h)
            configs.append(c)
    return configs


def trial_id(fingerprint: str, config: dict[str, Any], seed: int, epochs: int) -> str:
    return deterministic_trial_id("seed-v1", fingerprint, config_hash(config), seed, epochs)


@dataclass(frozen=True)
class Job:
    """Some configurations (with seeds) of one corpus dataset."""

    dataset: str
    items: tuple[tuple[int, int], ...]  # (config index in the design, seed)


def noise_datasets(names: list[str], design: Design) -> list[str]:
    """A fixed, spread-out subset of datasets for the seed-noise measurement."""
    ranked = sorted(names, key=lambda n: zlib.crc32(n.encode()))
    return sorted(ranked[: design.noise_datasets])


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


def run_jobs(
    job: Job, design: Design, configs: list[dict[str, Any]], device: str = "cpu"
) -> list[dict[str, Any]]:
    """Run one job in this process; return its trial records."""
    from advisor.trials import hardware_description, run_trial, set_threads

    set_threads(1)
    _, cache, info = _load(job.dataset, design)
    out = []
    for index, seed in job.items:
        cfg = configs[index]
        result = run_trial(
            cache,
            cfg,
            epochs=design.epochs,
            seed=seed,
            device=device,
            time_limit=design.time_limit_s,
        )
        out.append(
            trial_from_result(
                result,
                info,
                trial_id=trial_id(info["fingerprint"], cfg, seed, design.epochs),
                contributor="seed-build",
                hardware=hardware_description(),
            ).to_dict()
        )
    return out
