"""Proposal policies: what the search proposes after its warm start.

A policy sees the study's finished trials as a :class:`History` (configurations of the space,
values to maximise) and returns the next configuration, or ``None`` when it has nothing to
propose; :class:`~advisor.search.sampler.AdvisorSampler` adapts a policy to Optuna. The
product's policy, :class:`AdvisorPolicy`, continues the ranker's list
(:class:`ListContinuation`) until ``list_until`` trials have finished, then gives every
``interleave``-th turn to the list and the others to :class:`SurrogateRefinement`, which picks
the candidate with the highest

    acquisition = w_prior * z(ranker score) + (1 - w_prior) * (mu + kappa * sigma)

where ``mu`` and ``sigma`` come from an extra-trees surrogate fitted on the observed trials
(features: the configuration in unit space and its ranker score; target: the rank of the
observed value) and ``w_prior = 1 / (1 + n_observed / handover)`` hands over from the prior to
the data. The design runs that chose this schedule: ``experiments/search_design/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from advisor.candidates import MIN_DISTANCE, RankedList
from advisor_core.errors import ConfigError

__all__ = [
    "HANDOVER",
    "INTERLEAVE",
    "LIST_UNTIL",
    "AdvisorPolicy",
    "History",
    "ListContinuation",
    "ProposalPolicy",
    "SurrogateRefinement",
]

#: The prior's weight halves after this many observed trials.
HANDOVER = 4.0
#: Until this many trials have finished, every proposal continues the ranker's list.
LIST_UNTIL = 10
#: After that, every ``INTERLEAVE``-th proposal continues the list (0: never again).
INTERLEAVE = 2
#: The surrogate's optimism (weight of the trees' spread).
KAPPA = 0.5
#: The surrogate proposes nothing closer than this to a trial so far.
MIN_NEW_DISTANCE = 0.04
#: The surrogate's candidates: the list's first ``N_POOL`` and ``N_LOCAL`` perturbations of
#: the three best trials.
N_POOL = 360
N_LOCAL = 240


@dataclass(frozen=True)
class History:
    """The finished trials of one study, as a policy sees them.

    Attributes
    ----------
    configs : tuple of dict
        The trials with a finite value, as complete configurations of the space.
    values : ndarray
        Their values, higher is better (a pruned trial: its last reported value).
    units : ndarray
        ``configs`` in unit space.
    dims : ndarray of bool or None
        The hyperparameters the study varies (``None``: all); distances are judged on these.
    as_run : callable or None
        Configurations as the study would run them (clipped into its own ranges);
        ``None`` when the study runs the space's configurations unchanged.
    pending : ndarray or None
        Unit-space rows of the configurations other workers are running now (no value yet):
        proposed again, they would train twice.
    """

    configs: tuple[dict[str, Any], ...]
    values: np.ndarray
    units: np.ndarray
    dims: np.ndarray | None = None
    as_run: Callable[[Sequence[Mapping[str, Any]]], list[dict[str, Any]]] | None = None
    pending: np.ndarray | None = None

    def taken(self, tried: np.ndarray | None = None) -> np.ndarray:
        """Rows not to propose again: ``tried`` (default :attr:`units`) and :attr:`pending`."""
        rows = self.units if tried is None else tried
        if self.pending is None or not len(self.pending):
            return rows
        return np.vstack([rows, self.pending]) if len(rows) else self.pending

    @property
    def n(self) -> int:
        """How many trials have been observed."""
        return len(self.configs)


class ProposalPolicy(Protocol):
    """Proposes the next configuration of a search from its history (the plug-in point of
    :class:`~advisor.search.sampler.AdvisorSampler`)."""

    def propose(self, history: History) -> dict[str, Any] | None:
        """The next configuration of the space, or ``None`` for none."""
        ...


class ListContinuation:
    """The ranker's list, continued: its first configuration at least ``distance`` from every
    trial so far.

    After the warm start (the list's first diverse items) this is the next item of the list
    that ``suggest`` shows: a trial that runs an item of the list is placed where the list
    places that item.

    Parameters
    ----------
    ranked : RankedList
        The dataset's list (:func:`advisor.candidates.rank_candidates`).
    distance : float, default=MIN_DISTANCE
        Mean per-hyperparameter distance in [0, 1).
    """

    def __init__(self, ranked: RankedList, distance: float = MIN_DISTANCE) -> None:
        if not 0 <= distance < 1:
            raise ConfigError(f"list_distance is {distance!r}, but must be in [0, 1)")
        self.ranked = ranked
        self.distance = float(distance)

    def _tried(self, history: History) -> np.ndarray:
        rows = history.units.copy()
        for r, config in enumerate(history.configs):
            pos = self.ranked.position(config)
            if pos is not None:
                rows[r] = self.ranked.units[pos]
        return rows

    def propose(self, history: History) -> dict[str, Any] | None:
        ranked = self.ranked
        if history.as_run is None:
            units = ranked.units
        else:
            units = ranked.space.unit_of(history.as_run(ranked.configs))
        taken = history.taken(self._tried(history) if history.as_run is None else None)
        if len(taken):
            d = ranked.prior.distance(units, taken, history.dims).min(axis=1)
            idx = np.flatnonzero(d >= self.distance)
        else:
            idx = np.arange(len(ranked))
        if not idx.size:
            return None
        config = ranked.config(int(idx[0]))
        return config if history.as_run is None else history.as_run([config])[0]


class SurrogateRefinement:
    """The candidate with the best mix of the ranker's prior and an extra-trees surrogate of
    the observed trials (see the module docstring).

    Parameters
    ----------
    ranked : RankedList
        The dataset's list: its first ``N_POOL`` items are candidates, its prior scores them.
    handover : float, default=HANDOVER
        The prior's weight is ``1 / (1 + n_observed / handover)``; > 0.
    seed : int, default=0
        Seed of the perturbations and of the trees.
    """

    def __init__(self, ranked: RankedList, *, handover: float = HANDOVER, seed: int = 0) -> None:
        if not handover > 0:
            raise ConfigError(f"handover is {handover!r}, but must be > 0")
        self.ranked = ranked
        self.prior = ranked.prior
        self.handover = float(handover)
        self.rng = np.random.default_rng(seed)
        n = min(N_POOL, len(ranked))
        self._pool = ranked.configs[:n]
        self._pool_scores = np.asarray(ranked.scores[:n])
        self._pool_units = ranked.space.unit_of(self._pool)

    def candidates(self, history: History) -> tuple[list[dict[str, Any]], np.ndarray]:
        """The configurations to choose from (as the study would run them) and their ranker
        scores: the list's first items and perturbations of the three best trials."""
        order = sorted(range(history.n), key=lambda r: -history.values[r])[:3]
        best = [history.configs[r] for r in order]
        local = self.prior.perturb(best, N_LOCAL, self.rng) if best else []
        configs = self._pool + local
        scores = np.concatenate([self._pool_scores, self.prior.score(local)])
        if history.as_run is not None:
            configs = history.as_run(configs)
        return configs, scores

    def propose(self, history: History) -> dict[str, Any]:
        configs, scores = self.candidates(history)
        if history.as_run is None:
            n = len(self._pool)
            units = np.vstack([self._pool_units, self.prior.units(configs[n:])])
        else:
            units = self.prior.units(configs)
        z = (scores - scores.mean()) / (scores.std() + 1e-9)
        n_obs = history.n
        w_prior = 1.0 / (1.0 + n_obs / self.handover)
        acq = w_prior * z
        if n_obs >= 3:
            from sklearn.ensemble import ExtraTreesRegressor

            ranks = (np.argsort(np.argsort(history.values)) + 0.5) / n_obs  # best near 1
            zr = (ranks - ranks.mean()) / (ranks.std() + 1e-9)
            obs_z = (self.prior.score(list(history.configs)) - scores.mean()) / (
                scores.std() + 1e-9
            )
            model = ExtraTreesRegressor(
                n_estimators=60,
                min_samples_leaf=1,
                random_state=int(self.rng.integers(1 << 31)),
                n_jobs=1,
            ).fit(np.hstack([history.units, obs_z[:, None]]), zr)
            X_c = np.hstack([units, z[:, None]])
            per_tree = np.stack([est.predict(X_c) for est in model.estimators_])
            acq = acq + (1.0 - w_prior) * (per_tree.mean(axis=0) + KAPPA * per_tree.std(axis=0))
        if len(history.taken()):
            near = self.prior.distance(units, history.taken(), history.dims).min(axis=1)
            acq = np.where(near < MIN_NEW_DISTANCE, -np.inf, acq)
        if not np.isfinite(acq).any():
            seed = int(self.rng.integers(1 << 31))
            return self.ranked.space.sample(1, seed=seed, method="random")[0]
        return dict(configs[int(np.argmax(acq))])


class AdvisorPolicy:
    """The search's policy: the ranker's list first, then list and surrogate in turn.

    Parameters
    ----------
    ranked : RankedList
        The dataset's list (the warm start is its first items).
    seed : int, default=0
        Seed of the surrogate.
    handover : float, default=4.0
        How fast the surrogate's prior hands over to the observed trials (see
        :class:`SurrogateRefinement`); > 0.
    list_until : int, default=10
        Until this many trials have finished, every proposal continues the list; >= 0.
    interleave : int, default=2
        After that, every ``interleave``-th proposal continues the list and the others are the
        surrogate's; 0: the surrogate alone; >= 0.
    list_distance : float, default=0.3
        The list's items are at least this far from every trial so far; in [0, 1).
    """

    def __init__(
        self,
        ranked: RankedList,
        *,
        seed: int = 0,
        handover: float = HANDOVER,
        list_until: int = LIST_UNTIL,
        interleave: int = INTERLEAVE,
        list_distance: float = MIN_DISTANCE,
    ) -> None:
        if isinstance(interleave, bool) or not isinstance(interleave, int) or interleave < 0:
            raise ConfigError(f"interleave is {interleave!r}, but must be an integer >= 0")
        if isinstance(list_until, bool) or not isinstance(list_until, int) or list_until < 0:
            raise ConfigError(f"list_until is {list_until!r}, but must be an integer >= 0")
        self.list = ListContinuation(ranked, list_distance)
        self.refiner = SurrogateRefinement(ranked, handover=handover, seed=seed)
        self.list_until = list_until
        self.interleave = interleave

    def list_turn(self, n: int) -> bool:
        """Whether the proposal after ``n`` observed trials continues the list."""
        if n < self.list_until:
            return True
        k = self.interleave
        return bool(k) and (n - self.list_until) % k == k - 1

    def propose(self, history: History) -> dict[str, Any]:
        if self.list_turn(history.n):
            config = self.list.propose(history)
            if config is not None:
                return config
        return self.refiner.propose(history)
