"""The design runs' variants of the search's policy, kept out of the product.

Each variant is a ``ProposalPolicy`` (``advisor.search.policies``) that the product's
``AdvisorSampler`` takes as ``policy=``; the runners (``benchmarks/search/bench_search.py``,
``benchmarks/search/trace_search.py``, ``experiments/search_simulation/search_simulation.py``)
build one from a strategy string such as ``advisor:refiner=tpe,list_until=4`` with
:func:`sampler_options` (on a list) or :func:`search_options` (for ``Advisor.search``).
Options (off by default, as they were in the sampler):

* ``refiner=tpe``: Optuna's multivariate TPE proposes the turns after ``list_until`` that do
  not continue the list (instead of the surrogate); ``tpe_after=N``: TPE proposes every turn
  once N trials have finished; ``tpe_multivariate=0``: independent TPE;
* ``list_adapt=W``: the list's next item is chosen among its next ``LIST_WINDOW`` by the
  ranker's standardized score plus W times a kernel estimate of what the trials near it
  reached;
* ``n_explore=N``: N uniform candidates for the surrogate (after 3 trials);
  ``local_scales=A/B``: perturbation steps around the best trials (default 0.07).

TPE here is refitted on the history at each proposal (an in-memory study of the observed
trials, a pruned trial as complete with its last reported value); before it left the sampler
(commit 6461385) it ran on the study itself. ``python experiments/search_design/policies.py``
checks the variants on the shipped seed's ranker.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from advisor.candidates import MIN_DISTANCE, RankedList
from advisor.search import SAMPLER_OPTIONS, History
from advisor.search.policies import (
    HANDOVER,
    INTERLEAVE,
    LIST_UNTIL,
    N_LOCAL,
    AdvisorPolicy,
    ListContinuation,
    SurrogateRefinement,
)
from advisor_core.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

EXPERIMENT_OPTIONS = (
    "list_adapt",
    "local_scales",
    "n_explore",
    "refiner",
    "tpe_after",
    "tpe_multivariate",
)
LIST_WINDOW = 8
LIST_BANDWIDTH = 0.15


class TPEProposal:
    """Optuna's TPE fitted on the observed trials."""

    def __init__(self, ranked: RankedList, *, seed: int = 0, multivariate: bool = True) -> None:
        self.space = ranked.space
        self.multivariate = multivariate
        self.rng = np.random.default_rng(seed)

    def propose(self, history: History) -> dict[str, Any]:
        import optuna

        from advisor.search import distributions

        dists = distributions(self.space)
        sampler = optuna.samplers.TPESampler(
            seed=int(self.rng.integers(1 << 31)),
            multivariate=self.multivariate,
            n_startup_trials=0,
        )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.add_trials(
            [
                optuna.trial.create_trial(params=dict(c), distributions=dists, value=float(v))
                for c, v in zip(history.configs, history.values, strict=True)
            ]
        )
        return self.space.validate(study.ask(dists).params)


class AdaptiveList(ListContinuation):
    """The list's next item chosen among its next ``LIST_WINDOW`` far-enough items by
    z(ranker score) + ``adapt`` * a kernel estimate of the observed trials' standardized rank
    near it (shrunk towards 0), once 3 trials are observed."""

    def __init__(self, ranked: RankedList, distance: float, adapt: float) -> None:
        super().__init__(ranked, distance)
        if not adapt >= 0:
            raise ConfigError(f"list_adapt is {adapt!r}, but must be >= 0")
        self.adapt = float(adapt)

    def propose(self, history: History) -> dict[str, Any] | None:
        if self.adapt == 0 or history.n < 3:
            return super().propose(history)
        ranked = self.ranked
        dist = ranked.prior.distance(ranked.units, history.units, history.dims)
        idx = np.flatnonzero(dist.min(axis=1) >= self.distance)
        if not idx.size:
            return None
        win = idx[:LIST_WINDOW]
        sc = np.asarray(ranked.scores)
        z = (sc[win] - sc.mean()) / (sc.std() + 1e-9)
        ranks = (np.argsort(np.argsort(history.values)) + 0.5) / history.n
        zr = (ranks - ranks.mean()) / (ranks.std() + 1e-9)
        w = np.exp(-((dist[win] / LIST_BANDWIDTH) ** 2))
        pred = (w @ zr) / (w.sum(axis=1) + 1.0)
        return ranked.config(int(win[int(np.argmax(z + self.adapt * pred))]))


class ExploringSurrogate(SurrogateRefinement):
    """The surrogate with perturbations at several ``local_scales`` and ``n_explore`` uniform
    candidates (once 3 trials are observed)."""

    def __init__(
        self,
        ranked: RankedList,
        *,
        handover: float,
        seed: int,
        n_explore: int = 0,
        local_scales: tuple[float, ...] = (0.07,),
    ) -> None:
        super().__init__(ranked, handover=handover, seed=seed)
        self.n_explore = int(n_explore)
        self.local_scales = tuple(local_scales)

    def candidates(self, history: History) -> tuple[list[dict[str, Any]], np.ndarray]:
        order = sorted(range(history.n), key=lambda r: -history.values[r])[:3]
        best = [history.configs[r] for r in order]
        local: list[dict[str, Any]] = []
        for scale in self.local_scales if best else ():
            local += self.prior.perturb(best, N_LOCAL // len(self.local_scales), self.rng, scale)
        if self.n_explore and history.n >= 3:
            seed = int(self.rng.integers(1 << 31))
            local += self.ranked.space.sample(self.n_explore, seed=seed, method="random")
        configs = self._pool + local
        scores = np.concatenate([self._pool_scores, self.prior.score(local)])
        return (configs if history.as_run is None else history.as_run(configs)), scores


class DesignPolicy(AdvisorPolicy):
    """``AdvisorPolicy``'s schedule with the design runs' variants (module docstring)."""

    def __init__(
        self,
        ranked: RankedList,
        *,
        seed: int = 0,
        handover: float = HANDOVER,
        list_until: int = LIST_UNTIL,
        interleave: int = INTERLEAVE,
        list_distance: float = MIN_DISTANCE,
        refiner: str = "surrogate",
        tpe_after: int | None = None,
        tpe_multivariate: bool = True,
        list_adapt: float = 0.0,
        n_explore: int = 0,
        local_scales: tuple[float, ...] = (0.07,),
    ) -> None:
        super().__init__(
            ranked,
            seed=seed,
            handover=handover,
            list_until=list_until,
            interleave=interleave,
            list_distance=list_distance,
        )
        if refiner not in ("surrogate", "tpe"):
            raise ConfigError(f"refiner is {refiner!r}, but must be one of surrogate, tpe")
        if tpe_after is not None and tpe_after < 1:
            raise ConfigError(f"tpe_after is {tpe_after!r}, but must be >= 1 or None")
        self.list = AdaptiveList(ranked, list_distance, list_adapt)
        self.refiner = ExploringSurrogate(
            ranked, handover=handover, seed=seed, n_explore=n_explore, local_scales=local_scales
        )
        uses_tpe = refiner == "tpe" or tpe_after is not None
        self.tpe = (
            TPEProposal(ranked, seed=seed, multivariate=tpe_multivariate) if uses_tpe else None
        )
        self.refiner_name = refiner
        self.tpe_after = tpe_after
        self.who: list[str] = []  # who proposed each call, for the check below

    def propose(self, history: History) -> dict[str, Any]:
        n = history.n
        if self.tpe is not None and self.tpe_after is not None and n >= self.tpe_after:
            return self._by("tpe", self.tpe.propose(history))
        if self.list_turn(n):
            config = self.list.propose(history)
            if config is not None:
                return self._by("list", config)
            return self._by("surrogate", self.refiner.propose(history))
        if self.tpe is not None and self.refiner_name == "tpe":
            return self._by("tpe", self.tpe.propose(history))
        return self._by("surrogate", self.refiner.propose(history))

    def _by(self, who: str, config: dict[str, Any]) -> dict[str, Any]:
        self.who.append(who)
        return config


def sampler_options(
    ranked: RankedList, seed: int, options: Mapping[str, Any]
) -> dict[str, Any] | None:
    """``AdvisorSampler`` options for a strategy's options: the product's own as they are,
    or, with a design option among them, ``{"policy": DesignPolicy(...)}``."""
    unknown = sorted(set(options) - set(SAMPLER_OPTIONS) - set(EXPERIMENT_OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown option {', '.join(unknown)}; the product's: {', '.join(SAMPLER_OPTIONS)}; "
            f"the design runs': {', '.join(EXPERIMENT_OPTIONS)}"
        )
    if not set(options) & set(EXPERIMENT_OPTIONS):
        return dict(options) or None
    opts = dict(options)
    if "local_scales" in opts:
        opts["local_scales"] = tuple(float(x) for x in str(opts["local_scales"]).split("/"))
    if "tpe_multivariate" in opts:
        opts["tpe_multivariate"] = bool(opts["tpe_multivariate"])
    return {"policy": DesignPolicy(ranked, seed=seed, **opts)}


def search_options(adv: Any, data: Any, seed: int, options: Mapping[str, Any]) -> Any:
    """``Advisor.search``'s ``sampler_options`` for a strategy's options: the product's as
    they are; with design options, a :class:`DesignPolicy` on the list the search builds for
    ``data`` (a ``Dataset``) and ``seed``."""
    if not set(options) & set(EXPERIMENT_OPTIONS):
        return dict(options) or None
    from advisor.candidates import Prior, rank_candidates
    from advisor.metafeatures import extract

    ranked = rank_candidates(Prior(adv.ranker(), extract(data).values, data.task), seed=seed)
    return sampler_options(ranked, seed, options)


def _check() -> None:
    """The variants' schedules on the shipped seed's ranker, with a toy objective."""
    import optuna

    from advisor.candidates import Prior, rank_candidates
    from advisor.ranker.artifact import RankerArtifact
    from advisor.search import AdvisorSampler, distributions, enqueue_warm_start, suggest_config
    from knowledge_base import SEED_FILE
    from knowledge_base.logfiles import read_records

    art = RankerArtifact.load(REPO / "knowledge_base" / "seed" / "ranker-mlp@1.json")
    rec = next(iter(read_records(SEED_FILE)))["dataset"]
    ranked = rank_candidates(Prior(art, rec["meta_features"], rec["task"]), seed=2)
    dists = distributions(ranked.space)
    optuna.logging.set_verbosity(optuna.logging.ERROR)

    def run(n_trials: int, **options: Any) -> tuple[DesignPolicy, optuna.Study]:
        opts = sampler_options(ranked, 2, options)
        assert opts is not None and isinstance(opts["policy"], DesignPolicy)
        study = optuna.create_study(direction="maximize", sampler=AdvisorSampler(ranked, **opts))
        enqueue_warm_start(study, ranked.diverse_configs(2))
        study.optimize(
            lambda t: -abs(np.log10(suggest_config(t, dists)["learning_rate"]) + 2.5),
            n_trials=n_trials,
        )
        return opts["policy"], study

    policy, study = run(9, refiner="tpe", list_until=4, interleave=2)
    assert policy.who == ["list"] * 2 + ["tpe", "list"] * 2 + ["tpe"], policy.who
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 9
    policy, _ = run(9, tpe_after=5)
    assert policy.who == ["list"] * 3 + ["tpe"] * 4, policy.who
    policy, _ = run(14, n_explore=50, local_scales="0.03/0.1", list_adapt=1.0)
    assert policy.who == ["list"] * 8 + ["surrogate", "list", "surrogate", "list"], policy.who
    for bad, fragment in [
        ({"refiner": "gp"}, "refiner is 'gp', but must be one of surrogate, tpe"),
        ({"tpe_after": 0}, "tpe_after"),
        ({"list_adapt": -1.0}, "list_adapt"),
        ({"kappa": 1.0}, "unknown option kappa"),
    ]:
        try:
            sampler_options(ranked, 0, bad)
            message = ""
        except ConfigError as exc:
            message = str(exc)
        assert fragment in message, (bad, message)
    print("design policies: ok")


if __name__ == "__main__":
    _check()
