"""Syne Tune's transfer-learning schedulers as peers of the benchmark (``syne-tune`` 0.16).

Every method is given the same transfer data: :func:`~benchmarks.peers.problem.transfer_data`
for the problem's task (the shipped knowledge base's datasets of that task, never the problem's
own), one :class:`TransferLearningTaskEvaluations` per dataset: its configurations fitted into
the ``mlp`` space (numbers clipped into range, ints rounded, a missing hyperparameter taken from
the space's default; a row with an unknown category or a non-finite value is dropped) as a
DataFrame in Syne Tune's value form, and the ``norm`` column (1 best, 0 worst, within the
dataset) as the objective, maximized. Datasets with fewer than ``MIN_ROWS`` usable rows are left
out. Each method then runs ``budget`` sequential trials through ``AskTellScheduler`` (no Tuner,
no backend): ask, fit the proposal into the space's types (ints as int, clipped), train it with
:meth:`Problem.evaluate`, tell the validation objective (a failed trial is reported with
``on_trial_error``). All trials are ``proposed_by`` the method's name.

* ``synetune_zero_shot`` -- ``ZeroShotTransfer`` (Wistuba et al. 2015): greedily proposes the
  transfer configurations that minimize the average rank over the transfer datasets, given the
  ones already chosen. It needs every configuration evaluated on every dataset, so it is given
  the largest complete block of the transfer data (a dataset's configuration set S, with every
  dataset that evaluated all of S; the block maximizing |S| x #datasets). In 0.16 the class
  defines ``get_config`` but inherits ``suggest`` from ``SingleFidelityScheduler``, which asks
  its default *random* searcher, so ``ZeroShotTransfer.suggest`` is plain random search; a
  subclass routes ``suggest`` to ``get_config``. Once the block's configurations are used up
  it falls back to that random searcher over the whole space. With the shipped knowledge base
  the block is 87 configurations x 38 datasets (regression), 39 x 148 (classification).
* ``synetune_bounding_box`` -- ``BoundingBox`` (Perrone et al. 2019): the space restricted to
  the min-max box of the best configuration of each transfer dataset (categoricals: the set of
  their values), searched by Syne Tune's ``TPE`` (``KernelDensityEstimator``: random until it
  has one observation per hyperparameter, then TPE with a third of the proposals random) --
  the model-based choice, as in the paper's BO inside the box. A box side of one value becomes
  a constant. With one best configuration from each of 65-175 datasets the box keeps every
  category and most of each numeric range, so this is close to TPE on the whole space.
* ``synetune_quantile`` -- ``QuantileBasedSurrogateSearcher`` (Salinas et al. 2020, copula
  Thompson sampling) in a ``SingleObjectiveScheduler``: an XGBoost surrogate fitted on all
  transfer rows (objective Gaussian-copula-normalized per dataset) predicts 100,000 random
  candidates of the space once; each proposal is the best candidate under a fresh Gaussian
  sample of the predictions. The searcher always takes the *lowest* sample (it minimizes
  whatever it is given, with no mode argument), so it is given ``-norm``. It ignores the
  problem's own results (0.16 implements only the transfer prior, not the copula GP), and
  its set-up (sampling and predicting the candidates) takes 15-30 s on two cores.

Imports: ``zero_shot`` and ``quantile_based_searcher`` import ``BlackboxSurrogate`` from
``syne_tune.blackbox_repository``, whose package ``__init__`` imports ``huggingface_hub``, which
only syne-tune's ``extra`` extra installs (not the project's ``bench`` extra). When that import
fails, :func:`_blackbox_shim` registers the package without running its ``__init__`` so that its
``blackbox_surrogate`` module (numpy, pandas, scikit-learn only) still imports.

Seeding: ``seed`` goes to every scheduler and searcher; 0.16's random and KDE searchers draw
from numpy's global generator, so each run also seeds it (and ``random``) with ``seed``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import math
import random
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.peers.problem import Problem, Trial, transfer_data

__all__ = [
    "METHODS",
    "MIN_ROWS",
    "fit_config",
    "run_bounding_box",
    "run_quantile",
    "run_zero_shot",
    "synetune_space",
    "transfer_evaluations",
]

METRIC = "objective"
MIN_ROWS = 3  # a transfer dataset with fewer usable rows is left out
logger = logging.getLogger(__name__)


def synetune_space(space: Any) -> dict[str, Any]:
    """The ``mlp`` :class:`SearchSpace` as a Syne Tune config space."""
    from syne_tune.config_space import choice, lograndint, loguniform, randint, uniform

    out: dict[str, Any] = {}
    for p in space.params:
        if p.kind == "categorical":
            out[p.name] = choice(list(p.choices))
        elif p.kind == "int":
            out[p.name] = (lograndint if p.log else randint)(int(p.low), int(p.high))
        else:
            out[p.name] = (loguniform if p.log else uniform)(float(p.low), float(p.high))
    return out


def fit_config(space: Any, config: Mapping[str, Any]) -> dict[str, Any] | None:
    """``config`` in the space's types: numbers clipped into range (ints rounded), missing
    hyperparameters from the default; ``None`` if a value cannot be fitted."""
    default = dict(space.default or {})
    out: dict[str, Any] = {}
    for p in space.params:
        v = config.get(p.name, default.get(p.name))
        if p.kind == "categorical":
            if v is None or str(v) not in p.choices:
                return None
            out[p.name] = str(v)
            continue
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(x):
            return None
        x = min(float(p.high), max(float(p.low), x))
        out[p.name] = int(min(p.high, max(p.low, round(x)))) if p.kind == "int" else x
    return out


def transfer_evaluations(
    problem: Problem, sign: float = 1.0, data: pd.DataFrame | None = None
) -> dict[str, Any]:
    """One ``TransferLearningTaskEvaluations`` per transfer dataset of the problem's task,
    objective ``sign * norm`` (averaged over rows that fit to the same configuration)."""
    from syne_tune.optimizer.schedulers.transfer_learning.transfer_learning_task_evaluation import (
        TransferLearningTaskEvaluations,
    )

    space = problem.space
    names = [p.name for p in space.params]
    cs = synetune_space(space)
    df = transfer_data(task=problem.task) if data is None else data
    out: dict[str, Any] = {}
    dropped = 0
    for dataset, group in df.groupby("dataset", sort=True):
        rows: dict[tuple[Any, ...], list[float]] = {}
        for config, y in zip(group["config"], group["norm"], strict=True):
            cfg = fit_config(space, config) if isinstance(config, Mapping) else None
            if cfg is None or y is None or not math.isfinite(float(y)):
                dropped += 1
                continue
            rows.setdefault(tuple(cfg[n] for n in names), []).append(float(y))
        if len(rows) < MIN_ROWS:
            continue
        hps = pd.DataFrame(list(rows), columns=names)
        ys = np.array([sign * float(np.mean(v)) for v in rows.values()]).reshape(-1, 1, 1, 1)
        out[str(dataset)] = TransferLearningTaskEvaluations(
            configuration_space=cs,
            hyperparameters=hps,
            objectives_names=[METRIC],
            objectives_evaluations=ys,
        )
    logger.debug("transfer data: %d datasets, %d rows dropped", len(out), dropped)
    if not out:
        raise ValueError(f"no usable transfer data for task {problem.task!r}")
    return out


def complete_block(evals: dict[str, Any]) -> dict[str, Any]:
    """The largest block of ``evals`` where every configuration is on every dataset (same row
    order everywhere), as ``ZeroShotTransfer`` needs: a dataset's configuration set S and the
    datasets that evaluated all of S, maximizing |S| x #datasets."""
    from syne_tune.optimizer.schedulers.transfer_learning.transfer_learning_task_evaluation import (
        TransferLearningTaskEvaluations,
    )

    keyed = {
        task: {tuple(r): i for i, r in enumerate(e.hyperparameters.itertuples(index=False))}
        for task, e in evals.items()
    }
    best: tuple[int, list[Any], list[str]] = (-1, [], [])
    for task in sorted(keyed):
        keys = sorted(keyed[task], key=repr)
        tasks = [t for t in sorted(keyed) if all(k in keyed[t] for k in keys)]
        if len(keys) * len(tasks) > best[0]:
            best = (len(keys) * len(tasks), keys, tasks)
    _, keys, tasks = best
    out = {}
    for t in tasks:
        e = evals[t]
        idx = [keyed[t][k] for k in keys]
        out[t] = TransferLearningTaskEvaluations(
            configuration_space=e.configuration_space,
            hyperparameters=e.hyperparameters.iloc[idx].reset_index(drop=True),
            objectives_names=list(e.objectives_names),
            objectives_evaluations=e.objectives_evaluations[idx],
        )
    return out


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Syne Tune's prints (``BoundingBox``, ``catchtime``) and warnings."""
    log = logging.getLogger("syne_tune")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        log.setLevel(level)


def _blackbox_shim() -> None:
    """Make ``syne_tune.blackbox_repository.blackbox_surrogate`` importable without
    ``huggingface_hub`` (see the module docstring); a no-op when the package imports."""
    try:
        import syne_tune.blackbox_repository  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name is None or not e.name.startswith("huggingface_hub"):
            raise
        spec = importlib.util.find_spec("syne_tune.blackbox_repository")
        if spec is None or spec.submodule_search_locations is None:
            raise
        for k in [k for k in sys.modules if k.startswith("syne_tune.blackbox_repository")]:
            del sys.modules[k]  # half-imported leftovers of the failed import
        pkg = types.ModuleType("syne_tune.blackbox_repository")
        pkg.__path__ = list(spec.submodule_search_locations)
        pkg.__spec__ = spec
        sys.modules["syne_tune.blackbox_repository"] = pkg


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _loop(scheduler: Any, problem: Problem, budget: int, name: str) -> list[Trial]:
    """``budget`` sequential trials through ``AskTellScheduler``."""
    from syne_tune.optimizer.schedulers.ask_tell_scheduler import AskTellScheduler

    ask_tell = AskTellScheduler(base_scheduler=scheduler)
    space = problem.space
    out: list[Trial] = []
    for _ in range(budget):
        with _quiet():
            trial = ask_tell.ask()
        cfg = fit_config(space, trial.config)
        if cfg is None:  # cannot happen with this config space; keep the loop going anyway
            cfg = dict(space.default)
        t = problem.evaluate(cfg)
        t.proposed_by = name
        with _quiet():
            if t.valid is None:
                scheduler.on_trial_error(trial)
            else:
                ask_tell.tell(trial, {METRIC: float(t.valid)})
        out.append(t)
    return out


def run_zero_shot(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """``ZeroShotTransfer`` on the largest complete block of the transfer data; random search
    over the space once its configurations are used up."""
    from syne_tune.config_space import cast_config_values, postprocess_config
    from syne_tune.optimizer.scheduler import TrialSuggestion

    _blackbox_shim()
    from syne_tune.optimizer.schedulers.transfer_learning.zero_shot import ZeroShotTransfer

    class _ZeroShot(ZeroShotTransfer):
        """0.16's ``suggest`` asks the default random searcher; use ``get_config``."""

        def suggest(self) -> TrialSuggestion | None:
            cfg = self.get_config()
            if cfg is None:
                return super().suggest()
            cfg = cast_config_values(cfg, self.config_space)
            return TrialSuggestion.start_suggestion(postprocess_config(cfg, self.config_space))

    _seed(seed)
    cs = synetune_space(problem.space)
    block = complete_block(transfer_evaluations(problem))
    with _quiet():
        scheduler = _ZeroShot(
            config_space=cs,
            metric=METRIC,
            transfer_learning_evaluations=block,
            do_minimize=False,
            sort_transfer_learning_evaluations=False,
            use_surrogates=False,
            random_seed=seed,
        )
    return _loop(scheduler, problem, budget, "synetune_zero_shot")


def _constants(cs: dict[str, Any]) -> dict[str, Any]:
    """A box side of one value as a constant (the KDE searcher divides by its width)."""
    from syne_tune.config_space import Categorical, Domain

    out: dict[str, Any] = {}
    for k, d in cs.items():
        if isinstance(d, Categorical) and len(d.categories) == 1:
            out[k] = d.categories[0]
        elif isinstance(d, Domain) and hasattr(d, "lower") and d.lower >= d.upper:
            out[k] = d.cast(d.lower)
        else:
            out[k] = d
    return out


def run_bounding_box(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """``BoundingBox`` around each transfer dataset's best configuration, Syne Tune's ``TPE``
    inside the box."""
    from syne_tune.optimizer.baselines import TPE
    from syne_tune.optimizer.schedulers.transfer_learning.bounding_box import BoundingBox

    def scheduler_fun(box: dict[str, Any], metric: str, do_minimize: bool, rs: int) -> Any:
        return TPE(_constants(box), metric=metric, do_minimize=do_minimize, random_seed=rs)

    _seed(seed)
    cs = synetune_space(problem.space)
    evals = transfer_evaluations(problem)
    with _quiet():
        scheduler = BoundingBox(
            scheduler_fun,
            config_space=cs,
            metric=METRIC,
            transfer_learning_evaluations=evals,
            do_minimize=False,
            num_hyperparameters_per_task=1,
            random_seed=seed,
        )
    return _loop(scheduler, problem, budget, "synetune_bounding_box")


def run_quantile(problem: Problem, budget: int, seed: int) -> list[Trial]:
    """``QuantileBasedSurrogateSearcher`` (copula Thompson sampling on the transfer data) in a
    ``SingleObjectiveScheduler``; it minimizes, so it is given ``-norm``."""
    from syne_tune.optimizer.schedulers.single_objective_scheduler import (
        SingleObjectiveScheduler,
    )

    _blackbox_shim()
    from syne_tune.optimizer.schedulers.transfer_learning.quantile_based.quantile_based_searcher import (  # noqa: E501
        QuantileBasedSurrogateSearcher,
    )

    _seed(seed)
    cs = synetune_space(problem.space)
    evals = transfer_evaluations(problem, sign=-1.0)
    with _quiet():
        searcher = QuantileBasedSurrogateSearcher(
            config_space=cs,
            transfer_learning_evaluations=evals,
            normalization="gaussian",
            random_seed=seed,
        )
        scheduler = SingleObjectiveScheduler(
            cs, metric=METRIC, do_minimize=False, searcher=searcher, random_seed=seed
        )
    return _loop(scheduler, problem, budget, "synetune_quantile")


METHODS: dict[str, Callable[[Problem, int, int], list[Trial]]] = {
    "synetune_zero_shot": run_zero_shot,
    "synetune_bounding_box": run_bounding_box,
    "synetune_quantile": run_quantile,
}
