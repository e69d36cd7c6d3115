"""SMAC3 and FLAML peers of the peer benchmark: ``run(problem, budget, seed) -> list[Trial]``.

Each peer runs ``budget`` sequential trials of the ``mlp`` space, every proposal trained by
:meth:`Problem.evaluate` (``EPOCHS`` epochs) and told back to the optimizer before the next
proposal; the trials come back in order with ``proposed_by`` set to the method's name.

* ``smac`` (:func:`run_smac`): SMAC3's ``smac.HyperparameterOptimizationFacade`` (random-forest
  surrogate, log-scaled expected improvement, local and sorted random search, 20% interleaved
  random configurations, the ``Intensifier``) with its default initial design, a scrambled Sobol
  design of ``min(10 * 19, 0.25 * budget)`` configurations (at least one). It is driven through
  ``ask()`` / ``tell(info, TrialValue(cost=-objective))`` (SMAC minimizes) with
  ``Scenario(configspace, deterministic=True, n_trials=budget, seed=seed)``, a temporary
  output directory and ``logging_level=False`` (SMAC's own logging setup would reconfigure the
  root logger). The space becomes a ``ConfigSpace.ConfigurationSpace(seed=seed)`` of ``Float``
  / ``Integer`` (``log=`` as declared) and ``Categorical``; the hyperparameters' defaults are
  the start configuration below, used only when ``include_default=True`` (off by default:
  SMAC's plain initial design).
* ``flaml_cfo`` (:func:`run_cfo`): FLAML's ``flaml.tune.searcher.blendsearch.CFO`` (randomized
  direct search, FLOW2, from the start configuration, restarting when it converges);
* ``flaml_blendsearch`` (:func:`run_blendsearch`): FLAML's
  ``flaml.tune.searcher.blendsearch.BlendSearch`` (CFO's local search threads blended with an
  Optuna TPE global search, seeded by FLAML with ``seed - 10``).

  Both are built as ``cls(metric="valid", mode="max", space=..., points_to_evaluate=[start],
  num_samples=budget, seed=seed)`` and driven through FLAML's searcher interface
  (``suggest(trial_id)`` / ``on_trial_complete(trial_id, result)``), which is what
  ``flaml.tune.run``'s sequential runner does, without its globals and logger handling, and
  with exactly ``budget`` evaluations. No Ray, no time budget (so BlendSearch ignores trial
  cost), no ``low_cost_partial_config``. The space becomes ``tune.loguniform`` /
  ``tune.uniform``, ``tune.lograndint`` / ``tune.randint`` (upper bound ``high + 1``: FLAML's
  is exclusive) and ``tune.choice``. A searcher may return no suggestion (a duplicate, a
  converged thread); it is asked again, as ``tune.run`` does, and after ``_MAX_MISSES`` misses
  in a row a seeded uniform random configuration is evaluated instead (not told to FLAML).

The start configuration is the advisor's ``named_config("default", task=problem.task)`` (the
recipe the advisor starts from with nothing better to say), completed from the space's
default.

A failed or diverged trial (``valid`` None) is told to the optimizer as the worse of the
problem's floor (chance balanced accuracy, or R² 0) and the worst objective seen so far in the
run (SMAC: ``StatusType.CRASHED`` with that cost); its :class:`Trial` keeps ``valid=None``.
Proposals come back to the space's types (floats and ints clipped to the bounds, ints
rounded) and are canonicalized by ``problem.space.validate``. Logging of ``smac``, ``flaml``
and ``optuna`` is raised to ERROR, and warnings ignored, while a peer runs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from benchmarks.peers.problem import Problem, Trial

__all__ = ["METHODS", "run_blendsearch", "run_cfo", "run_smac"]

#: Consecutive empty suggestions before a FLAML peer falls back to a random configuration
#: (``flaml.tune.run``'s ``max_failure`` default).
_MAX_MISSES = 100
_METRIC = "valid"


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Raise the named loggers to ERROR and ignore warnings for the duration."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _start(problem: Problem) -> dict[str, Any]:
    """The configuration the searches start from (the advisor's ``default`` recipe)."""
    from advisor_core.spaces import named_config

    return problem.space.validate(named_config("default", task=problem.task), complete=True)


def _to_space(problem: Problem, raw: Mapping[str, Any]) -> dict[str, Any]:
    """An optimizer's proposal as a canonical configuration of the space."""
    from advisor_core.spaces.params import CategoricalParam, IntParam

    out: dict[str, Any] = {}
    for p in problem.space.params:
        v = raw[p.name]
        if isinstance(p, CategoricalParam):
            out[p.name] = str(v)
        elif isinstance(p, IntParam):
            out[p.name] = int(min(p.high, max(p.low, round(float(v)))))
        else:
            out[p.name] = float(min(p.high, max(p.low, float(v))))
    return problem.space.validate(out)


class _Imputer:
    """The objective told to an optimizer: ``valid``, or for a failed trial the worse of the
    problem's floor and the worst objective seen so far."""

    def __init__(self, problem: Problem) -> None:
        self.floor = float(problem.floor)
        self.worst = math.inf

    def __call__(self, valid: float | None) -> float:
        if valid is None:
            return min(self.floor, self.worst)
        self.worst = min(self.worst, valid)
        return valid


def _evaluate(problem: Problem, config: dict[str, Any], name: str) -> tuple[Trial, float]:
    """Train ``config``; the trial (``proposed_by`` set) and its wall time in seconds."""
    t0 = time.perf_counter()
    trial = problem.evaluate(config)
    trial.proposed_by = name
    return trial, time.perf_counter() - t0


# -- SMAC3 ------------------------------------------------------------------------------------
def _configspace(problem: Problem, default: Mapping[str, Any], seed: int) -> Any:
    """The space as a ``ConfigurationSpace`` whose defaults are ``default``."""
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer

    from advisor_core.spaces.params import CategoricalParam, IntParam

    cs = ConfigurationSpace(seed=seed)
    for p in problem.space.params:
        d = default[p.name]
        if isinstance(p, CategoricalParam):
            cs.add(Categorical(p.name, list(p.choices), default=d))
        elif isinstance(p, IntParam):
            cs.add(Integer(p.name, (int(p.low), int(p.high)), log=p.log, default=int(d)))
        else:
            cs.add(Float(p.name, (float(p.low), float(p.high)), log=p.log, default=float(d)))
    return cs


def run_smac(
    problem: Problem, budget: int, seed: int, *, include_default: bool = False
) -> list[Trial]:
    """SMAC3's ``HyperparameterOptimizationFacade`` for ``budget`` trials (ask/tell);
    ``include_default`` adds the start configuration to the initial design."""
    if budget <= 0:
        return []
    from smac import HyperparameterOptimizationFacade, Scenario
    from smac.runhistory.dataclasses import TrialValue
    from smac.runhistory.enumerations import StatusType

    name = "smac"
    cs = _configspace(problem, _start(problem), seed)
    impute = _Imputer(problem)
    trials: list[Trial] = []
    with (
        _quiet("smac", "ConfigSpace"),
        tempfile.TemporaryDirectory(prefix="smac-peer-") as tmp,
    ):
        scenario = Scenario(
            cs,
            name=f"peer-{seed}",
            deterministic=True,
            n_trials=budget,
            seed=seed,
            output_directory=Path(tmp),
        )
        design = HyperparameterOptimizationFacade.get_initial_design(
            scenario,
            # with one trial and the default, the design is the default alone
            n_configs=0 if include_default and budget == 1 else None,
            additional_configs=[cs.get_default_configuration()] if include_default else None,
        )
        smac = HyperparameterOptimizationFacade(
            scenario,
            None,  # ask/tell only
            initial_design=design,
            logging_level=False,
            overwrite=True,
        )
        for _ in range(budget):
            info = smac.ask()
            trial, seconds = _evaluate(problem, _to_space(problem, dict(info.config)), name)
            status = StatusType.SUCCESS if trial.valid is not None else StatusType.CRASHED
            value = TrialValue(cost=-impute(trial.valid), time=seconds, status=status)
            smac.tell(info, value, save=False)
            trials.append(trial)
    return trials


# -- FLAML ------------------------------------------------------------------------------------
def _flaml_space(problem: Problem) -> dict[str, Any]:
    """The space as ``flaml.tune`` domains."""
    from flaml import tune

    from advisor_core.spaces.params import CategoricalParam, IntParam

    out: dict[str, Any] = {}
    for p in problem.space.params:
        if isinstance(p, CategoricalParam):
            out[p.name] = tune.choice(list(p.choices))
        elif isinstance(p, IntParam):
            # FLAML's integer domains exclude the upper bound
            sampler = tune.lograndint if p.log else tune.randint
            out[p.name] = sampler(int(p.low), int(p.high) + 1)
        else:
            sampler = tune.loguniform if p.log else tune.uniform
            out[p.name] = sampler(float(p.low), float(p.high))
    return out


def _run_flaml(problem: Problem, budget: int, seed: int, name: str, algorithm: str) -> list[Trial]:
    """A FLAML searcher (``CFO`` or ``BlendSearch``) for ``budget`` trials through its
    ``suggest`` / ``on_trial_complete`` interface."""
    if budget <= 0:
        return []
    trials: list[Trial] = []
    impute = _Imputer(problem)
    with warnings.catch_warnings():  # "flaml.automl is not available"
        warnings.simplefilter("ignore")
        from flaml.tune.searcher.blendsearch import CFO, BlendSearch
    with _quiet("flaml", "optuna"):
        cls = {"CFO": CFO, "BlendSearch": BlendSearch}[algorithm]
        searcher = cls(
            metric=_METRIC,
            mode="max",
            space=_flaml_space(problem),
            points_to_evaluate=[_start(problem)],
            num_samples=budget,
            seed=seed,
        )
        misses = 0
        n_random = 0
        while len(trials) < budget:
            trial_id = f"{name}-{seed}-{len(trials)}-{misses}"
            proposal = searcher.suggest(trial_id)
            if proposal is None and misses + 1 < _MAX_MISSES:
                misses += 1
                continue
            misses = 0
            if proposal is None:  # FLAML has nothing to propose: a seeded random configuration
                n_random += 1
                config = problem.space.sample(1, seed=seed + 7919 * n_random, method="random")[0]
                trial, _ = _evaluate(problem, config, name)
                impute(trial.valid)
                trials.append(trial)
                continue
            trial, seconds = _evaluate(problem, _to_space(problem, proposal), name)
            result = {
                _METRIC: impute(trial.valid),
                "config": proposal,
                "time_total_s": seconds,
                "training_iteration": 0,
            }
            searcher.on_trial_complete(trial_id, result)
            trials.append(trial)
    return trials


def run_cfo(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """FLAML's CFO from the start configuration for ``budget`` trials."""
    return _run_flaml(problem, budget, seed, "flaml_cfo", "CFO")


def run_blendsearch(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """FLAML's BlendSearch (CFO + Optuna TPE) from the start configuration for ``budget``
    trials."""
    return _run_flaml(problem, budget, seed, "flaml_blendsearch", "BlendSearch")


METHODS: dict[str, Callable[[Problem, int, int], list[Trial]]] = {
    "smac": run_smac,
    "flaml_cfo": run_cfo,
    "flaml_blendsearch": run_blendsearch,
}
