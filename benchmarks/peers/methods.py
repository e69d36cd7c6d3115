"""The benchmark's own methods: the advisor's search as a user runs it, and Optuna's samplers
(cold TPE, cold random, TPE with the advisor's suggestions enqueued). The peer libraries'
methods live in ``synetune_peers.py`` and ``smac_flaml_peers.py`` (the ``bench`` extra)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from benchmarks.peers.problem import EPOCHS, Problem, Trial

Method = Callable[[Problem, int, int], list[Trial]]
WARM_K = 3


def run_advisor(problem: Problem, budget: int, seed: int, kb_url: str | None = None) -> list[Trial]:
    """``Advisor.search``, strategy ``advisor``: warm start, the sampler's refinement,
    successive-halving pruning (a pruned trial counts as a trial, with no validation score)."""
    from advisor.facade import Advisor

    result = Advisor(kb_url, device="cpu").search(
        problem.parts[0],
        n_trials=budget,
        epochs=EPOCHS,
        seed=seed,
        contribute=False,
        compare_default=False,
        progress=False,
    )
    out = []
    for r in result.trials.sort_values("number").to_dict("records"):
        ok = r["status"] in ("complete", "timeout") and r["score"] is not None
        valid = float(r["score"]) if ok and math.isfinite(float(r["score"])) else None
        out.append(Trial(dict(r["config"]), valid, int(r["epochs"]), str(r["proposed_by"] or "")))
    return out


def _optuna(
    problem: Problem,
    budget: int,
    seed: int,
    sampler: Any,
    name: str,
    enqueue: list[dict[str, Any]] | None = None,
) -> list[Trial]:
    import optuna

    from advisor.search.optuna_io import distributions, fit_value

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = distributions(problem.space)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for cfg in enqueue or []:
        study.enqueue_trial({k: fit_value(v, dists[k]) for k, v in cfg.items() if k in dists})
    out = []
    for _ in range(budget):
        trial = study.ask(dists)
        t = problem.evaluate(dict(trial.params))
        warm = "enqueued" if trial.number < len(enqueue or []) else name
        t.proposed_by = warm
        if t.valid is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, t.valid)
        out.append(t)
    return out


def run_tpe(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """Optuna's TPE, cold (its default 10 random start-up trials)."""
    import optuna

    return _optuna(problem, budget, seed, optuna.samplers.TPESampler(seed=seed), "tpe")


def run_random(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """Random sampling of the space."""
    import optuna

    return _optuna(problem, budget, seed, optuna.samplers.RandomSampler(seed=seed), "random")


def run_tpe_warm(
    problem: Problem, budget: int, seed: int, kb_url: str | None = None
) -> list[Trial]:
    """Optuna's TPE with the advisor's top ``WARM_K`` suggestions enqueued first (what a user of
    the Optuna integration's ``warm_start`` gets), then TPE on its own."""
    import optuna

    from advisor.facade import Advisor

    advice = Advisor(kb_url).suggest(problem.parts[0], k=WARM_K, epochs=EPOCHS, seed=seed)
    warm = [dict(s.config) for s in advice.suggestions]
    sampler = optuna.samplers.TPESampler(seed=seed)
    return _optuna(problem, budget, seed, sampler, "tpe", enqueue=warm)


OWN: dict[str, Method] = {
    "advisor": run_advisor,
    "tpe_warm": run_tpe_warm,
    "tpe": run_tpe,
    "random": run_random,
}

#: Methods that start cold (no knowledge of other datasets): the speed-up is against the best.
COLD = ("tpe", "random", "smac", "flaml_cfo", "flaml_blendsearch")


@functools.cache
def all_methods() -> dict[str, Method]:
    """The own methods and every peer whose library is installed."""
    methods = dict(OWN)
    try:
        from benchmarks.peers.smac_flaml_peers import METHODS as SMAC_FLAML

        methods.update(SMAC_FLAML)
    except ImportError as exc:  # the bench extra is not installed
        print(f"skipping SMAC3 / FLAML: {exc}")
    try:
        from benchmarks.peers.synetune_peers import METHODS as SYNE

        methods.update(SYNE)
    except ImportError as exc:
        print(f"skipping Syne Tune: {exc}")
    return methods
