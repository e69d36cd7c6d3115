"""``AdvisorSampler``: an Optuna sampler that combines the ranker's prior with this dataset's
observations.

Until ``LIST_UNTIL`` trials have finished, every proposal continues the ranker's list: its
best-scored configuration at least ``list_distance`` (0.3, as the suggestions) from every trial
so far (the warm start, extended).
After that, every ``INTERLEAVE``-th proposal still continues the list and the others pick, from
a pool of candidates (the ranker's best configurations and perturbations of the best observed
ones), the one with the highest

    acquisition = w_prior * z(ranker score) + (1 - w_prior) * (mu + kappa * sigma)

where ``mu`` and ``sigma`` come from an extra-trees surrogate fitted on the trials observed on
this dataset (features: the configuration in unit space and its ranker score; target: the rank
of the observed objective), and ``w_prior = 1 / (1 + n_observed / handover)`` hands over from
the prior to the data as trials accumulate. Configurations already tried are not proposed
again. Optionally Optuna's TPE proposes instead of the surrogate (``refiner="tpe"``) or
takes over after some trials (``tpe_after``), and the list can adapt to the observed trials
(``list_adapt``). These options were measured on design datasets outside the benchmark
(``reports/search_design_dev*.md``) and are off by default. Every trial records
who proposed it in the user attribute ``proposed_by``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler, TPESampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from advisor.search.prior import Prior
from advisor.suggest import MIN_DISTANCE
from advisor_core.errors import ConfigError
from advisor_core.spaces import CategoricalParam, FloatParam, IntParam, SearchSpace

__all__ = ["PROPOSED_BY", "AdvisorSampler", "distributions", "trial_value"]

KAPPA = 0.5
HANDOVER = 4.0
MIN_NEW_DISTANCE = 0.04
#: Candidates drawn uniformly from the whole space at every proposal (for the surrogate to find
#: regions the ranker scores low).
N_EXPLORE = 0
#: Step sizes (unit space) of the perturbations around the best observed configurations.
LOCAL_SCALES: tuple[float, ...] = (0.07,)
#: After this many finished trials, Optuna's TPE (which sees every trial so far, the warm
#: start included) proposes instead of the prior-weighted surrogate; None: never.
TPE_AFTER: int | None = None
#: The ranker's list first: until this many trials have finished, every proposal is the
#: ranker's next diverse configuration (the best-scored one at least ``DIVERSE_DISTANCE`` from
#: every trial so far), which continues the warm start.
LIST_UNTIL = 10
#: After that, with k > 0, every k-th proposal continues the ranker's list and the others are
#: the surrogate's choice; 0: the surrogate alone.
INTERLEAVE = 2
#: Who proposes the turns after ``LIST_UNTIL`` that do not continue the list: ``surrogate``
#: (the prior-weighted surrogate) or ``tpe`` (Optuna's multivariate TPE, which sees every trial
#: so far, the ranker's list included).
REFINER = "surrogate"
REFINERS = ("surrogate", "tpe")
#: How far apart the list's configurations are (``list_distance``): as far as the suggestions.
DIVERSE_DISTANCE = MIN_DISTANCE
#: The list adapts to the observations (weight of the kernel estimate; 0: the ranker's order).
#: The kernel's bandwidth is ``LIST_BANDWIDTH``: with the default ``list_distance`` the list's
#: next items are too far from the trials for the estimate to matter (measured with 0.08).
LIST_ADAPT = 0.0
LIST_WINDOW = 8
LIST_BANDWIDTH = 0.15
#: The user attribute of every trial that names who proposed it.
PROPOSED_BY = "proposed_by"


def distributions(
    space: SearchSpace,
    param_map: dict[str, str] | None = None,
) -> dict[str, BaseDistribution]:
    """Optuna distributions of a space (names mapped space -> study with ``param_map``)."""
    rename = param_map or {}
    out: dict[str, BaseDistribution] = {}
    for p in space.params:
        name = rename.get(p.name, p.name)
        if isinstance(p, CategoricalParam):
            out[name] = CategoricalDistribution(list(p.choices))
        elif isinstance(p, IntParam):
            out[name] = IntDistribution(p.low, p.high, log=p.log)
        else:
            assert isinstance(p, FloatParam)
            out[name] = FloatDistribution(p.low, p.high, log=p.log)
    return out


def _fit(value: Any, dist: BaseDistribution) -> Any:
    """``value`` made valid for the study's distribution (clipped, or the nearest choice)."""
    if isinstance(dist, CategoricalDistribution):
        return value if value in dist.choices else dist.choices[0]
    if isinstance(dist, IntDistribution):
        i = min(dist.high, max(dist.low, round(float(value))))
        return dist.low + ((i - dist.low) // dist.step) * dist.step
    if isinstance(dist, FloatDistribution):
        f = min(dist.high, max(dist.low, float(value)))
        if dist.step is not None:
            f = dist.low + round((f - dist.low) / dist.step) * dist.step
        return min(dist.high, f)
    return value


def trial_value(t: FrozenTrial) -> float | None:
    """The objective of a finished trial; a pruned trial counts with its last reported value."""
    if t.state == TrialState.COMPLETE and t.values:
        return float(t.values[0])
    if t.state == TrialState.PRUNED and t.intermediate_values:
        return float(t.intermediate_values[max(t.intermediate_values)])
    return None


def _finite(v: float | None) -> bool:
    return v is not None and bool(np.isfinite(v))


class AdvisorSampler(BaseSampler):
    """Prior-guided, observation-refined sampler for one dataset (see the module doc)."""

    def __init__(
        self,
        prior: Prior,
        *,
        n_candidates: int = 600,
        seed: int = 0,
        param_map: dict[str, str] | None = None,
        handover: float = HANDOVER,
        n_explore: int = N_EXPLORE,
        local_scales: tuple[float, ...] = LOCAL_SCALES,
        tpe_after: int | None = TPE_AFTER,
        tpe_multivariate: bool = True,
        interleave: int = INTERLEAVE,
        list_until: int = LIST_UNTIL,
        refiner: str = REFINER,
        list_adapt: float = LIST_ADAPT,
        list_distance: float = DIVERSE_DISTANCE,
    ) -> None:
        if not handover > 0:
            raise ConfigError(f"handover is {handover!r}, but must be > 0")
        self.handover = float(handover)
        self.n_explore = int(n_explore)
        self.local_scales = tuple(local_scales)
        if tpe_after is not None and tpe_after < 1:
            raise ConfigError(f"tpe_after is {tpe_after!r}, but must be >= 1 or None")
        self.tpe_after = tpe_after
        if interleave < 0:
            raise ConfigError(f"interleave is {interleave!r}, but must be >= 0")
        self.interleave = int(interleave)
        self.list_until = int(list_until)
        if refiner not in REFINERS:
            raise ConfigError(f"refiner is {refiner!r}, but must be one of {', '.join(REFINERS)}")
        self.refiner = refiner
        if not list_adapt >= 0:
            raise ConfigError(f"list_adapt is {list_adapt!r}, but must be >= 0")
        self.list_adapt = float(list_adapt)
        if not 0 <= list_distance < 1:
            raise ConfigError(f"list_distance is {list_distance!r}, but must be in [0, 1)")
        self.list_distance = float(list_distance)
        self._tpe = (
            TPESampler(seed=seed, multivariate=tpe_multivariate, n_startup_trials=0)
            if tpe_after is not None or refiner == "tpe"
            else None
        )
        self._use_tpe: dict[tuple[int, int], bool] = {}
        self.prior = prior
        self.space = prior.space
        self.param_map = dict(param_map or {})
        self._to_space = {v: k for k, v in self.param_map.items()}
        self._dists = distributions(self.space, self.param_map)
        self._rng = np.random.default_rng(seed)
        self._fallback = RandomSampler(seed=seed)
        self.pool, self.pool_scores = prior.ranked_candidates(n_candidates, self._rng)
        self._n_candidates = n_candidates
        self._proposal: dict[str, Any] = {}
        self._proposal_key: tuple[int, int] | None = None

    # -- Optuna API ---------------------------------------------------------------------------
    # The whole configuration is proposed once per trial (on its first parameter) and handed
    # out parameter by parameter, so the sampler works with any objective that asks for some
    # or all of the space's parameters, under the study's names (``param_map``) and ranges.
    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._fallback.reseed_rng()
        if self._tpe is not None:
            self._tpe.reseed_rng()

    def _tpe_turn(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether TPE proposes this trial (decided once per trial)."""
        if self._tpe is None:
            return False
        key = (study._study_id, trial.number)
        if key not in self._use_tpe:
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
            n = sum(1 for t in done if _finite(trial_value(t)))
            if self.tpe_after is not None and n >= self.tpe_after:
                use = True
            else:
                use = self.refiner == "tpe" and not self._list_turn(n)
            self._use_tpe = {key: use}
        return self._use_tpe[key]

    def infer_relative_search_space(
        self,
        study: Study,
        trial: FrozenTrial,
    ) -> dict[str, BaseDistribution]:
        if self._tpe_turn(study, trial):
            assert self._tpe is not None
            return self._tpe.infer_relative_search_space(study, trial)
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if self._tpe_turn(study, trial):
            assert self._tpe is not None
            return self._tpe.sample_relative(study, trial, search_space)
        return {}

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._tpe_turn(study, trial):
            assert self._tpe is not None
            return self._tpe.sample_independent(study, trial, param_name, param_distribution)
        space_name = self._to_space.get(param_name, param_name)
        if space_name not in self._dists and param_name not in self._dists:
            return self._fallback.sample_independent(study, trial, param_name, param_distribution)
        key = (study._study_id, trial.number)
        if self._proposal_key != key:
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
            self._proposal = self.propose(done, study.direction)
            self._proposal_key = key
        return _fit(self._proposal[space_name], param_distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        """Records who proposes the trial (user attribute ``proposed_by``: ``warm start``
        for an enqueued trial, ``tpe`` or ``advisor``)."""
        if "fixed_params" in trial.system_attrs:
            who = "warm start"
        else:
            who = "tpe" if self._tpe_turn(study, trial) else "advisor"
        study._storage.set_trial_user_attr(trial._trial_id, PROPOSED_BY, who)
        if self._tpe is not None:
            self._tpe.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._tpe is not None:
            self._tpe.after_trial(study, trial, state, values)

    # -- the proposal ---------------------------------------------------------------------------
    def _config_of(self, t: FrozenTrial) -> dict[str, Any] | None:
        """The trial as a configuration of the space: unknown parameters ignored, the rest
        completed from the space's default."""
        known = set(self.space.names)
        params = {self._to_space.get(k, k): v for k, v in t.params.items()}
        params = {k: v for k, v in params.items() if k in known}
        try:
            return self.space.validate(params, complete=True)
        except Exception:
            return None

    def _in_study_ranges(
        self, configs: list[dict[str, Any]], trials: Sequence[FrozenTrial]
    ) -> list[dict[str, Any]]:
        """``configs`` with numeric values clipped into the study's distributions (known from
        its finished trials) and back into the space's ranges."""
        dists: dict[str, BaseDistribution] = {}
        for t in trials:
            dists.update(t.distributions)
        params = {p.name: p for p in self.space.params}
        clip = []
        for name, dist in dists.items():
            p = params.get(self._to_space.get(name, name))
            if isinstance(p, (FloatParam, IntParam)) and not isinstance(
                dist, CategoricalDistribution
            ):
                clip.append((p, dist))
        if not clip:
            return configs
        out = []
        for c in configs:
            d = dict(c)
            for p, dist in clip:
                if p.name in d:
                    v = min(p.high, max(p.low, _fit(d[p.name], dist)))
                    d[p.name] = round(v) if isinstance(p, IntParam) else float(v)
            out.append(d)
        return out

    def _list_turn(self, n: int) -> bool:
        """Whether the proposal after ``n`` finished trials continues the ranker's list."""
        if n < self.list_until:
            return True
        return bool(self.interleave) and (n - self.list_until) % self.interleave == (
            self.interleave - 1
        )

    def _mapped_dims(self, trials: Sequence[FrozenTrial] = ()) -> np.ndarray | None:
        """The mask of the space's parameters that the study varies (a user's objective may ask
        for some of them only; the others stay at their defaults): the mapped ones, or those
        its trials asked for; None when all vary."""
        if self.param_map:
            return np.array([p.name in self.param_map for p in self.space.params])
        asked = {self._to_space.get(k, k) for t in trials for k in t.distributions}
        mask = np.array([p.name in asked for p in self.space.params])
        return None if not asked or mask.all() else mask

    def _next_diverse(
        self, tried: np.ndarray, trials: Sequence[FrozenTrial], values: np.ndarray
    ) -> dict[str, Any] | None:
        """The ranker's best-scored pool configuration far from every trial so far.

        With ``list_adapt`` > 0 (and 3 or more observations), the choice is among the next
        ``LIST_WINDOW`` such configurations, by the ranker's standardized score plus
        ``list_adapt`` times a kernel estimate (shrunk towards 0) of the standardized rank that
        the observed trials near it reached."""
        pool = self._in_study_ranges(list(self.pool), trials)
        units = self.prior.units(pool)
        dims = self._mapped_dims(trials)
        if len(tried):
            dist = self.prior.distance(units, tried, dims)
            far = dist.min(axis=1) >= self.list_distance
        else:
            far = np.ones(len(pool), dtype=bool)
        idx = np.flatnonzero(far)
        if not idx.size:
            return None
        if self.list_adapt > 0 and len(values) >= 3:
            win = idx[:LIST_WINDOW]
            sc = np.asarray(self.pool_scores)
            z = (sc[win] - sc.mean()) / (sc.std() + 1e-9)
            ranks = (np.argsort(np.argsort(values)) + 0.5) / len(values)
            zr = (ranks - ranks.mean()) / (ranks.std() + 1e-9)
            w = np.exp(-((dist[win] / LIST_BANDWIDTH) ** 2))
            pred = (w @ zr) / (w.sum(axis=1) + 1.0)
            return dict(pool[int(win[int(np.argmax(z + self.list_adapt * pred))])])
        return dict(pool[int(idx[0])])

    def propose(
        self, trials: Sequence[FrozenTrial], direction: StudyDirection = StudyDirection.MAXIMIZE
    ) -> dict[str, Any]:
        """The next configuration given the finished trials of this dataset."""
        obs = []
        for t in trials:
            v = trial_value(t)
            cfg = self._config_of(t)
            if v is not None and cfg is not None and np.isfinite(v):
                obs.append((cfg, v if direction == StudyDirection.MAXIMIZE else -v))
        tried = (
            self.prior.units([c for c, _ in obs]) if obs else np.empty((0, len(self.space.params)))
        )
        best = [c for c, _ in sorted(obs, key=lambda cv: -cv[1])[:3]]
        n = len(obs)
        local: list[dict[str, Any]] = []
        if best:
            per = 240 // len(self.local_scales)
            for sc in self.local_scales:
                local += self.prior.perturb(best, per, self._rng, scale=sc)
        if self.n_explore and n >= 3:
            local += self.space.sample(
                self.n_explore, seed=int(self._rng.integers(1 << 31)), method="random"
            )
        candidates = list(self.pool[:360]) + local
        scores = (
            np.concatenate([self.pool_scores[:360], self.prior.score(local)])
            if local
            else np.asarray(self.pool_scores[:360])
        )
        # as the study will see them: clipped into its own ranges (a user's study may be
        # narrower than the space), so that "already tried" is judged on what would run
        candidates = self._in_study_ranges(candidates, trials)
        units = self.prior.units(candidates)
        z = (scores - scores.mean()) / (scores.std() + 1e-9)
        if self._list_turn(n):
            nxt = self._next_diverse(tried, trials, np.array([v for _, v in obs]))
            if nxt is not None:
                return nxt
        w_prior = 1.0 / (1.0 + n / self.handover)
        acq = w_prior * z
        if n >= 3:
            from sklearn.ensemble import ExtraTreesRegressor

            y = np.array([v for _, v in obs])
            ranks = (np.argsort(np.argsort(y)) + 0.5) / len(y)  # in (0, 1), best near 1
            zr = (ranks - ranks.mean()) / (ranks.std() + 1e-9)
            obs_scores = self.prior.score([c for c, _ in obs])
            X_obs = np.hstack(
                [tried, ((obs_scores - scores.mean()) / (scores.std() + 1e-9))[:, None]]
            )
            X_c = np.hstack([units, z[:, None]])
            model = ExtraTreesRegressor(
                n_estimators=60,
                min_samples_leaf=1,
                random_state=int(self._rng.integers(1 << 31)),
                n_jobs=1,
            ).fit(X_obs, zr)
            per_tree = np.stack([est.predict(X_c) for est in model.estimators_])
            acq = acq + (1.0 - w_prior) * (per_tree.mean(axis=0) + KAPPA * per_tree.std(axis=0))
        if len(tried):
            too_close = (
                self.prior.distance(units, tried, self._mapped_dims(trials)).min(axis=1)
                < MIN_NEW_DISTANCE
            )
            acq = np.where(too_close, -np.inf, acq)
        if not np.isfinite(acq).any():
            return self.space.sample(1, seed=int(self._rng.integers(1 << 31)), method="random")[0]
        return dict(candidates[int(np.argmax(acq))])
