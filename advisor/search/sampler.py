"""``AdvisorSampler``: a proposal policy adapted to Optuna.

The sampler hands out one proposal per trial: on the trial's first parameter it asks its
policy (:mod:`advisor.search.policies`; by default :class:`AdvisorPolicy`, the ranker's list,
then list and surrogate in turn) for the next configuration given the study's finished trials,
and then hands it out parameter by parameter, under the study's names (``param_map``) and made
valid for the study's own distributions, so it works with any objective that asks for some or
all of the space's parameters. Parameters the space does not know are sampled at random.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from advisor.candidates import MIN_DISTANCE, RankedList
from advisor.search.optuna_io import distributions, fit_value, trial_value
from advisor.search.policies import (
    HANDOVER,
    INTERLEAVE,
    LIST_UNTIL,
    AdvisorPolicy,
    History,
    ProposalPolicy,
)
from advisor.search.warm_start import WARM_START
from advisor_core.errors import ConfigError
from advisor_core.spaces import FloatParam, IntParam

__all__ = ["PROPOSED_BY", "AdvisorSampler"]

#: The user attribute that names who proposed a trial (see :meth:`AdvisorSampler.proposer`).
PROPOSED_BY = "proposed_by"
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class AdvisorSampler(BaseSampler):
    """An Optuna sampler that continues the ranker's list for one dataset, then refines it
    with the study's own trials.

    Parameters
    ----------
    ranked : RankedList
        The dataset's ranked candidate list (:func:`advisor.candidates.rank_candidates`, the
        list ``suggest`` shows); enqueue its first items as the warm start
        (:func:`~advisor.search.warm_start.enqueue_warm_start`) and the sampler continues it.
    policy : ProposalPolicy, optional
        Who proposes; default: :class:`~advisor.search.policies.AdvisorPolicy` with the four
        options below (which must then be left at their defaults).
    seed : int, default=0
        Seed of the default policy and of the random fallback.
    param_map : dict, optional
        Space name to study name (``{"learning_rate": "lr"}``); with a map, distances between
        configurations are judged on the mapped parameters only.
    handover : float, default=4.0
        After how many observed trials the surrogate's prior weighs half; > 0.
    list_until : int, default=10
        Until this many trials have finished, every proposal continues the list.
    interleave : int, default=2
        After that, every ``interleave``-th proposal continues the list, the others are the
        surrogate's (0: the surrogate alone).
    list_distance : float, default=0.3
        The list's items are at least this far from every trial so far; in [0, 1).

    Notes
    -----
    Who proposed a trial is :meth:`proposer`; the search records it in the trial's user
    attribute ``proposed_by``. In your own objective, after the trial's ``suggest_*`` calls::

        trial.set_user_attr("proposed_by", sampler.proposer(trial.study, trial.number))

    Examples
    --------
    >>> sampler = Advisor().sampler(mf.values, task="classification")  # doctest: +SKIP
    >>> study = optuna.create_study(direction="maximize", sampler=sampler)  # doctest: +SKIP
    """

    def __init__(
        self,
        ranked: RankedList,
        *,
        policy: ProposalPolicy | None = None,
        seed: int = 0,
        param_map: Mapping[str, str] | None = None,
        handover: float = HANDOVER,
        list_until: int = LIST_UNTIL,
        interleave: int = INTERLEAVE,
        list_distance: float = MIN_DISTANCE,
    ) -> None:
        if policy is None:
            policy = AdvisorPolicy(
                ranked,
                seed=seed,
                handover=handover,
                list_until=list_until,
                interleave=interleave,
                list_distance=list_distance,
            )
        else:
            given = (handover, list_until, interleave, list_distance)
            defaults = (HANDOVER, LIST_UNTIL, INTERLEAVE, MIN_DISTANCE)
            names = ("handover", "list_until", "interleave", "list_distance")
            changed = [n for n, v, d in zip(names, given, defaults, strict=True) if v != d]
            if changed:
                raise ConfigError(
                    f"{', '.join(changed)} set the default policy, but a policy was given"
                )
        self.ranked = ranked
        self.policy = policy
        self.space = ranked.space
        self.param_map = dict(param_map or {})
        self._to_space = {v: k for k, v in self.param_map.items()}
        self._dists = distributions(self.space, self.param_map)
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        self._proposals: dict[tuple[str, int], dict[str, Any]] = {}
        self._proposers: dict[tuple[str, int], str] = {}

    # -- Optuna API ---------------------------------------------------------------------------
    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._fallback.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if trial.user_attrs.get(WARM_START):
            self._proposers[(study.study_name, trial.number)] = "warm start"

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        space_name = self._to_space.get(param_name, param_name)
        if space_name not in self._dists and param_name not in self._dists:
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        key = (study.study_name, trial.number)
        if key not in self._proposals:
            config = self.policy.propose(self.history(study))
            who = "advisor"
            if config is None:
                seed = int(self._rng.integers(1 << 31))
                config, who = self.space.sample(1, seed=seed, method="random")[0], "random"
            self._proposals[key] = config
            self._proposers.setdefault(key, who)
        return fit_value(self._proposals[key][space_name], param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._proposals.pop((study.study_name, trial.number), None)

    # -- what the policy sees -------------------------------------------------------------------
    def proposer(self, study: Study, trial_number: int) -> str | None:
        """Who proposed trial ``trial_number`` of ``study``.

        Returns
        -------
        str or None
            ``"warm start"`` (an enqueued suggestion), ``"advisor"`` (the policy),
            ``"random"`` (the policy had nothing to propose), or ``None`` for a trial this
            sampler did not propose (enqueued by someone else, or run by another process).
        """
        return self._proposers.get((study.study_name, trial_number))

    def history(self, study: Study) -> History:
        """The study's finished trials as the policy sees them (see :class:`History`)."""
        trials = study.get_trials(deepcopy=False, states=_FINISHED)
        sign = 1.0 if study.direction == StudyDirection.MAXIMIZE else -1.0
        configs, values = [], []
        for t in trials:
            v = trial_value(t)
            config = self._config_of(t)
            if v is not None and config is not None and np.isfinite(v):
                configs.append(config)
                values.append(sign * v)
        units = self.space.unit_of(configs) if configs else np.empty((0, len(self.space.params)))
        return History(
            tuple(configs),
            np.array(values),
            units,
            self._mapped_dims(trials),
            self._as_run(trials),
            self._pending(study),
        )

    def _pending(self, study: Study) -> np.ndarray | None:
        """Unit rows of the running trials whose parameters are all chosen (other workers'
        trials; the trial being sampled has none yet)."""
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        names = set(self.param_map) if self.param_map else set(self.space.names)
        configs = []
        for t in running:
            if names <= {self._to_space.get(k, k) for k in t.params}:
                config = self._config_of(t)
                if config is not None:
                    configs.append(config)
        return self.space.unit_of(configs) if configs else None

    def _config_of(self, t: FrozenTrial) -> dict[str, Any] | None:
        """The trial as a configuration of the space: unknown parameters ignored, the rest
        completed from the space's default."""
        params = {self._to_space.get(k, k): v for k, v in t.params.items()}
        params = {k: v for k, v in params.items() if k in set(self.space.names)}
        try:
            return self.space.validate(params, complete=True)
        except ConfigError:
            return None

    def _mapped_dims(self, trials: Sequence[FrozenTrial]) -> np.ndarray | None:
        """The space's parameters that the study varies (a user's objective may ask for some
        of them only; the others stay at their defaults): the mapped ones, or those its trials
        asked for; None when all vary."""
        if self.param_map:
            return np.array([p.name in self.param_map for p in self.space.params])
        asked = {self._to_space.get(k, k) for t in trials for k in t.distributions}
        mask = np.array([p.name in asked for p in self.space.params])
        return None if not asked or mask.all() else mask

    def _as_run(self, trials: Sequence[FrozenTrial]) -> Any:
        """Configurations as the study runs them: numbers clipped into the study's own
        distributions (known from its finished trials) and back into the space's ranges, so
        that "already tried" is judged on what would run; None when that changes nothing."""
        dists: dict[str, BaseDistribution] = {}
        for t in trials:
            dists.update(t.distributions)
        params = {p.name: p for p in self.space.params}
        clip: list[tuple[FloatParam | IntParam, BaseDistribution]] = []
        for name, dist in dists.items():
            p = params.get(self._to_space.get(name, name))
            if not isinstance(p, FloatParam | IntParam):
                continue
            if not isinstance(dist, CategoricalDistribution) and not _covers(dist, p):
                clip.append((p, dist))
        if not clip:
            return None

        def as_run(configs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
            out = []
            for c in configs:
                d = dict(c)
                for p, dist in clip:
                    if p.name in d:
                        v = min(p.high, max(p.low, fit_value(d[p.name], dist)))
                        d[p.name] = round(v) if isinstance(p, IntParam) else float(v)
                out.append(d)
            return out

        return as_run


def _covers(dist: Any, p: FloatParam | IntParam) -> bool:
    """Whether every value of ``p`` is valid for ``dist`` unchanged."""
    if isinstance(dist, IntDistribution):
        exact = isinstance(p, IntParam) and dist.step == 1
    else:
        exact = getattr(dist, "step", None) is None
    return bool(exact and dist.low <= p.low and dist.high >= p.high)
